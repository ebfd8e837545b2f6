package orchestrator

import (
	"reflect"
	"testing"
	"time"
)

// chain3 is a -> b -> c with literal input 1, task t (retries 1).
func chain3() *builder {
	b := newBuilder()
	a := b.task("a", "t", input("n"))
	bb := b.task("b", "t", out(a))
	b.task("c", "t", out(bb))
	b.c.Outputs = []Output{{Name: "y", Type: Type{Kind: KindInt}, From: out(2)}}
	return b
}

type stepCase struct {
	name   string
	wf     func() *builder
	opt    Options
	events []Event // applied after ExecutionRequested, at t0 + 1s each
	want   []string
	phases []Phase
	exec   ExecPhase
}

func TestStep(t *testing.T) {
	cases := []stepCase{
		{name: "start dispatches the roots", wf: chain3, want: []string{"dispatch a #1"},
			phases: []Phase{Queued, Pending, Pending}, exec: ExecRunning},
		{name: "dispatched records the job", wf: chain3, events: []Event{Dispatched{Node: 0, Item: -1, Attempt: 1, JobID: "j1"}},
			want: nil, phases: []Phase{Queued, Pending, Pending}, exec: ExecRunning},
		{name: "started moves to running", wf: chain3, events: []Event{AttemptStarted{Node: 0, Item: -1, Attempt: 1}},
			want: nil, phases: []Phase{Running, Pending, Pending}, exec: ExecRunning},
		{name: "success releases the next node", wf: chain3, events: []Event{AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(2)}},
			want: []string{"dispatch b #1"}, phases: []Phase{Succeeded, Queued, Pending}, exec: ExecRunning},
		{name: "duplicate success changes nothing", wf: chain3, events: []Event{
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(2)},
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(2)}},
			want: nil, phases: []Phase{Succeeded, Queued, Pending}, exec: ExecRunning},
		{name: "stale attempt ignored", wf: chain3, events: []Event{AttemptSucceeded{Node: 0, Item: -1, Attempt: 2, Outputs: ys(2)}},
			want: nil, phases: []Phase{Queued, Pending, Pending}, exec: ExecRunning},
		{name: "user error retries after backoff", wf: chain3, events: []Event{AttemptFailed{Node: 0, Item: -1, Attempt: 1, Kind: ErrUser, Message: "exit 1"}},
			want: []string{"wake +1.6s"}, phases: []Phase{Retrying, Pending, Pending}, exec: ExecRunning},
		{name: "tick before backoff does nothing", wf: chain3, events: []Event{
			AttemptFailed{Node: 0, Item: -1, Attempt: 1, Kind: ErrUser}, Tick{}},
			want: []string{"wake +1.6s"}, phases: []Phase{Retrying, Pending, Pending}, exec: ExecRunning},
		{name: "tick after backoff dispatches attempt 2", wf: chain3, events: []Event{
			AttemptFailed{Node: 0, Item: -1, Attempt: 1, Kind: ErrTimeout}, Tick{}, Tick{}},
			want: []string{"dispatch a #2"}, phases: []Phase{Queued, Pending, Pending}, exec: ExecRunning},
		{name: "retries exhausted fail fast", wf: chain3, events: []Event{
			AttemptFailed{Node: 0, Item: -1, Attempt: 1, Kind: ErrOOM}, Tick{}, Tick{},
			AttemptFailed{Node: 0, Item: -1, Attempt: 2, Kind: ErrUser}},
			want: []string{"finish failed", "notify failed"}, phases: []Phase{Failed, Aborted, Aborted}, exec: ExecFailed},
		{name: "system errors do not spend retries", wf: chain3, events: []Event{
			AttemptFailed{Node: 0, Item: -1, Attempt: 1, Kind: ErrSystem}, Tick{}, Tick{},
			AttemptFailed{Node: 0, Item: -1, Attempt: 2, Kind: ErrUser}, Tick{}, Tick{}, Tick{}, Tick{}},
			want: []string{"dispatch a #3"}, phases: []Phase{Queued, Pending, Pending}, exec: ExecRunning},
		{name: "permanent error does not retry", wf: chain3, events: []Event{
			AttemptFailed{Node: 0, Item: -1, Attempt: 1, Kind: ErrNoRetry}},
			want: []string{"finish failed", "notify failed"}, phases: []Phase{Failed, Aborted, Aborted}, exec: ExecFailed},
		{name: "cancel aborts active attempts", wf: chain3, events: []Event{CancelRequested{}},
			want: []string{"cancel 0", "finish aborted", "notify aborted"}, phases: []Phase{Aborted, Aborted, Aborted}, exec: ExecAborted},
		{name: "events after the end change nothing", wf: chain3, events: []Event{CancelRequested{},
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(2)}, CancelRequested{}, Tick{}},
			want: nil, phases: []Phase{Aborted, Aborted, Aborted}, exec: ExecAborted},
		{name: "success of all resolves outputs", wf: chain3, events: []Event{
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(2)},
			AttemptSucceeded{Node: 1, Item: -1, Attempt: 1, Outputs: ys(3)},
			AttemptSucceeded{Node: 2, Item: -1, Attempt: 1, Outputs: ys(4)}},
			want: []string{"finish succeeded", "notify succeeded"}, phases: []Phase{Succeeded, Succeeded, Succeeded}, exec: ExecSucceeded},
		{name: "cached node looks up first", wf: cachedPair,
			want: []string{"lookup 0"}, phases: []Phase{CacheLookup, Pending}, exec: ExecRunning},
		{name: "cache hit skips the run", wf: cachedPair, events: []Event{CacheResult{Node: 0, Item: -1, Hit: true, Outputs: ys(9)}},
			want: []string{"lookup 1"}, phases: []Phase{Cached, CacheLookup}, exec: ExecRunning},
		{name: "cache miss dispatches and writes the catalog", wf: cachedPair, events: []Event{
			CacheResult{Node: 0, Item: -1}, AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(9)}},
			want: []string{"write-catalog 0", "lookup 1"}, phases: []Phase{Succeeded, CacheLookup}, exec: ExecRunning},
		{name: "no-cache neither looks up nor writes", wf: cachedPair, opt: Options{NoCache: true}, events: []Event{
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(9)}},
			want: []string{"dispatch b #1"}, phases: []Phase{Succeeded, Queued}, exec: ExecRunning},
		{name: "overwrite-cache runs and writes", wf: cachedPair, opt: Options{OverwriteCache: true}, events: []Event{
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(9)}},
			want: []string{"write-catalog 0", "dispatch b #1"}, phases: []Phase{Succeeded, Queued}, exec: ExecRunning},
		{name: "run to completion skips dependents of a failure", wf: diamondRTC, events: []Event{
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(1)},
			AttemptFailed{Node: 1, Item: -1, Attempt: 1, Kind: ErrNoRetry}},
			want: nil, phases: []Phase{Succeeded, Failed, Queued, Skipped}, exec: ExecRunning},
		{name: "run to completion ends failed", wf: diamondRTC, events: []Event{
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(1)},
			AttemptFailed{Node: 1, Item: -1, Attempt: 1, Kind: ErrNoRetry},
			AttemptSucceeded{Node: 2, Item: -1, Attempt: 1, Outputs: ys(1)}},
			want: []string{"finish failed", "notify failed"}, phases: []Phase{Succeeded, Failed, Succeeded, Skipped}, exec: ExecFailed},
		{name: "map fans out within concurrency", wf: mapWF,
			want: []string{"dispatch m[0] #1", "dispatch m[1] #1"}, phases: []Phase{Running}, exec: ExecRunning},
		{name: "map item end frees a slot", wf: mapWF, events: []Event{AttemptSucceeded{Node: 0, Item: 1, Attempt: 1, Outputs: ys(20)}},
			want: []string{"dispatch m[2] #1"}, phases: []Phase{Running}, exec: ExecRunning},
		{name: "map gathers outputs in item order", wf: mapWF, events: []Event{
			AttemptSucceeded{Node: 0, Item: 1, Attempt: 1, Outputs: ys(20)},
			AttemptSucceeded{Node: 0, Item: 0, Attempt: 1, Outputs: ys(10)},
			AttemptSucceeded{Node: 0, Item: 2, Attempt: 1, Outputs: ys(30)}},
			want: []string{"finish succeeded", "notify succeeded"}, phases: []Phase{Succeeded}, exec: ExecSucceeded},
		{name: "map fails once the ratio cannot be met", wf: mapWF, events: []Event{
			AttemptFailed{Node: 0, Item: 1, Attempt: 1, Kind: ErrNoRetry}},
			want: []string{"cancel 0[0]", "finish failed", "notify failed"}, phases: []Phase{Failed}, exec: ExecFailed},
		{name: "branch taken and untaken", wf: condWF, events: []Event{
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(5)}},
			want: []string{"dispatch big #1"}, phases: []Phase{Succeeded, Skipped, Queued, Pending}, exec: ExecRunning},
		{name: "select takes the branch outputs", wf: condWF, events: []Event{
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(5)},
			AttemptSucceeded{Node: 2, Item: -1, Attempt: 1, Outputs: ys(50)}},
			want: []string{"finish succeeded", "notify succeeded"}, phases: []Phase{Succeeded, Skipped, Succeeded, Succeeded}, exec: ExecSucceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.wf()
			s, cmds := b.start(t, tc.opt)
			for i, ev := range tc.events {
				s, cmds = Step(s, ev, t0.Add(time.Duration(i+1)*600*time.Millisecond))
			}
			if got := kinds(cmds); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("commands = %q, want %q", got, tc.want)
			}
			var phases []Phase
			for _, n := range s.Nodes {
				phases = append(phases, n.Phase)
			}
			if !reflect.DeepEqual(phases, tc.phases) {
				t.Errorf("phases = %v, want %v", phases, tc.phases)
			}
			if s.Phase != tc.exec {
				t.Errorf("exec phase = %v, want %v (%s)", s.Phase, tc.exec, s.Error)
			}
		})
	}
}

func cachedPair() *builder {
	b := newBuilder()
	a := b.task("a", "c", lit(1))
	b.task("b", "c", out(a))
	return b
}

// diamondRTC: a -> {b, c}; b -> d; run to completion.
func diamondRTC() *builder {
	b := newBuilder()
	a := b.task("a", "t", lit(1))
	bb := b.task("b", "t", out(a))
	b.task("c", "t", out(a))
	b.task("d", "t", out(bb))
	b.c.FailurePolicy = RunToCompletion
	return b
}

func mapWF() *builder {
	b := newBuilder()
	l := List(Int(1), Int(2), Int(3))
	b.c.Nodes = append(b.c.Nodes, Node{Name: "m", Kind: NodeMap, Task: "t", Over: []string{"x"}, Concurrency: 2,
		Inputs:  []Bind{{Input: "x", From: Source{Kind: FromLiteral, Lit: &l}}},
		Outputs: []Param{{Name: "y", Type: ListOf(Type{Kind: KindInt})}}})
	b.c.Outputs = []Output{{Name: "ys", Type: ListOf(Type{Kind: KindInt}), From: out(0)}}
	b.c.Tasks["t"].Retries = 0
	return b
}

// condWF: a; if a.y > 3 then big else small; select "pick".
func condWF() *builder {
	b := newBuilder()
	a := b.task("a", "t", lit(1))
	gt := Cond{Left: out(a), Op: ">", Right: lit(3)}
	small := b.task("pick.b0", "t", out(a))
	b.c.Nodes[small].Guard = &Guard{When: &Cond{Left: out(a), Op: "<=", Right: lit(3)}}
	big := b.task("big", "t", out(a))
	b.c.Nodes[big].Guard = &Guard{Unless: []Cond{*b.c.Nodes[small].Guard.When}, When: &gt}
	sel := int32(len(b.c.Nodes))
	b.c.Nodes = append(b.c.Nodes, Node{Name: "pick", Kind: NodeSelect, Choices: []int32{small, big},
		Outputs: []Param{{Name: "y", Type: Type{Kind: KindInt}}}})
	b.dep(small, sel)
	b.dep(big, sel)
	b.c.Outputs = []Output{{Name: "y", Type: Type{Kind: KindInt}, From: out(sel)}}
	return b
}

func TestStepDiamondStartsA(t *testing.T) {
	b := diamondRTC()
	s, cmds := b.start(t, Options{})
	if got := kinds(cmds); !reflect.DeepEqual(got, []string{"dispatch a #1"}) {
		t.Fatalf("got %q", got)
	}
	s, cmds = Step(s, AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(1)}, t0)
	if got := kinds(cmds); len(got) != 2 {
		t.Fatalf("got %q", got)
	}
	if s.Outputs != nil {
		t.Fatal("outputs before the end")
	}
}

func TestPendingCommandsAfterCrash(t *testing.T) {
	b := cachedPair()
	s, _ := b.start(t, Options{})
	if got := kinds(PendingCommands(s)); !reflect.DeepEqual(got, []string{"lookup 0"}) {
		t.Fatalf("pending = %q", got)
	}
	s, _ = Step(s, CacheResult{Node: 0, Item: -1}, t0)
	if got := kinds(PendingCommands(s)); !reflect.DeepEqual(got, []string{"dispatch a #1"}) {
		t.Fatalf("pending = %q", got)
	}
	s, _ = Step(s, Dispatched{Node: 0, Item: -1, Attempt: 1, JobID: "j"}, t0)
	if got := kinds(PendingCommands(s)); got != nil {
		t.Fatalf("pending after ack = %q", got)
	}
	if a := ActiveAttempts(s); len(a) != 1 || a[0].JobID != "j" {
		t.Fatalf("active = %+v", a)
	}
}

func TestStateRoundTrip(t *testing.T) {
	b := chain3()
	s, _ := b.start(t, Options{Exec: "e1", Project: "p", Domain: "d"})
	s, _ = Step(s, AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(2)}, t0)
	enc, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeState(enc, b.c)
	if err != nil {
		t.Fatal(err)
	}
	enc2, _ := d.Encode()
	if string(enc) != string(enc2) {
		t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
	}
	// Stepping the decoded state gives what stepping the original gives.
	_, c1 := Step(s, AttemptSucceeded{Node: 1, Item: -1, Attempt: 1, Outputs: ys(3)}, t0)
	_, c2 := Step(d, AttemptSucceeded{Node: 1, Item: -1, Attempt: 1, Outputs: ys(3)}, t0)
	if !reflect.DeepEqual(kinds(c1), kinds(c2)) {
		t.Fatalf("%q vs %q", kinds(c1), kinds(c2))
	}
}

func TestStartedCountsReclaims(t *testing.T) {
	wf := chainN(1)
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	s := NewState(wf, "d", Options{Exec: "e"}, now)
	s, _ = Step(s, ExecutionRequested{}, now)
	s, _ = Step(s, CacheResult{Node: 0, Item: -1}, now)
	s, _ = Step(s, AttemptStarted{Node: 0, Item: -1, Attempt: 1}, now)
	seq := s.Seq
	s, _ = Step(s, AttemptStarted{Node: 0, Item: -1, Attempt: 1, Reclaims: 2}, now)
	if s.Nodes[0].Reclaims != 2 || s.Seq == seq {
		t.Fatalf("reclaims %d (seq %d -> %d)", s.Nodes[0].Reclaims, seq, s.Seq)
	}
	seq = s.Seq
	s, _ = Step(s, AttemptStarted{Node: 0, Item: -1, Attempt: 1, Reclaims: 1}, now) // stale
	if s.Nodes[0].Reclaims != 2 || s.Seq != seq {
		t.Fatalf("a stale report changed the count: %d", s.Nodes[0].Reclaims)
	}
	s, _ = Step(s, AttemptFailed{Node: 0, Item: -1, Attempt: 1, Kind: ErrSystem, Message: "host lost"}, now)
	s, _ = Step(s, Tick{}, now.Add(time.Hour))
	if s.Nodes[0].Attempt != 2 || s.Nodes[0].Reclaims != 0 {
		t.Fatalf("attempt %d reclaims %d: a new attempt starts with none", s.Nodes[0].Attempt, s.Nodes[0].Reclaims)
	}
}
