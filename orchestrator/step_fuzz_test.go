package orchestrator

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// fuzzSpec holds the small workflows FuzzStep drives: a chain, a diamond,
// maps, and a conditional. Task t is cached, u retries, v does neither.
const fuzzSpec = `apiVersion: aloft/v1
kind: Task
name: t
inputs: {a: "int?", b: "int?"}
outputs: {y: int, l: list<int>}
command: [f, "F1", "{{inputs.a}}", "{{inputs.b}}", "{{outputs.y}}", "{{outputs.l}}"]
cache: {version: "1"}
---
apiVersion: aloft/v1
kind: Task
name: u
inputs: {a: "int?", xs: "list<int?>?"}
outputs: {y: int}
command: [f, "F2", "{{inputs.a}}", "{{inputs.xs}}", "{{outputs.y}}"]
retries: 2
---
apiVersion: aloft/v1
kind: Task
name: v
inputs: {a: "int?"}
outputs: {y: int}
command: [f, "F3", "{{inputs.a}}", "{{outputs.y}}"]
---
apiVersion: aloft/v1
kind: Workflow
name: chain
inputs: {k: {type: int, default: 3}}
outputs: {y: "{{c.y}}"}
nodes:
  a: {task: u, inputs: {a: "{{inputs.k}}"}}
  b: {task: t, inputs: {a: "{{a.y}}"}}
  c: {task: v, inputs: {a: "{{b.y}}"}}
---
apiVersion: aloft/v1
kind: Workflow
name: diamond
failure_policy: run_to_completion
outputs: {y: "{{d.y}}"}
nodes:
  a: {task: t}
  b: {task: u, inputs: {a: "{{a.y}}"}}
  c: {task: v, inputs: {a: "{{a.y}}"}}
  d: {task: t, inputs: {a: "{{b.y}}", b: "{{c.y}}"}}
---
apiVersion: aloft/v1
kind: Workflow
name: maps
failure_policy: run_to_completion
outputs: {ys: "{{m.y}}", zs: "{{n.y}}", g: "{{g.y}}"}
nodes:
  src: {task: t, inputs: {a: 1}}
  m: {map: u, over: {a: "{{src.l}}"}, concurrency: 2, min_success_ratio: 0.5}
  n: {map: t, over: {a: [1, 2, 3]}, inputs: {b: "{{src.y}}"}}
  g: {task: u, inputs: {xs: "{{m.y}}"}}
---
apiVersion: aloft/v1
kind: Workflow
name: cond
outputs: {y: "{{d.y}}"}
nodes:
  a: {task: u}
  c:
    branches:
      - {when: "{{a.y}} > 50", task: v, inputs: {a: "{{a.y}}"}}
      - {when: "{{a.y}} > 20", task: u}
  e:
    branches:
      - {when: "{{a.y}} < 10", task: t}
      - {otherwise: true, task: t, inputs: {a: 1}}
  d: {task: v, inputs: {a: "{{c.y}}"}, after: [e]}
`

var fuzzWorkflows = []string{"chain", "diamond", "maps", "cond"}

// A fuzz input is a header byte (bits 0-1: the workflow; bit 3: NoCache;
// bit 4: OverwriteCache; bit 6: do not start with ExecutionRequested) and
// then records of four bytes, one event each, so that a mutation changes one
// event and not the reading of all that follow. The first byte of a record
// says what happens (low four bits, modulo fuzzOps) and how much time
// passes (high four bits); the other three are its arguments.
const (
	fuzzRequest    = iota
	fuzzCache      // node, item, hit (bit 0) and outputs (the rest)
	fuzzDispatched // node, item, attempt (bits 0-2) and job (the rest)
	fuzzStarted    // node, item, attempt
	fuzzSucceeded  // node, item, attempt (bits 0-1) and outputs (the rest)
	fuzzFailed     // node, item, attempt (bits 0-1) and kind (the rest)
	fuzzCancel
	fuzzTick      // seconds
	fuzzRedeliver // which event that was applied, again: it must change nothing
	fuzzRespond   // 9 and up: answer a command Step emitted, as a shell would: which, kind, outputs
	fuzzOps       = 14
)

// fuzzRecord builds one record of a fuzz input.
func fuzzRecord(op byte, args ...byte) []byte {
	rec := []byte{op, 0, 0, 0}
	copy(rec[1:], args)
	return rec
}

// FuzzStep drives Step with schedules read from the fuzz input: events in
// any order, including nonsense (nodes and items out of range, negative
// items, wrong attempts, events before ExecutionRequested and after the
// end), mixed with proper answers to the commands Step emitted. Step must
// never panic, an ended run must stay as it is, no Dispatch may repeat an
// attempt, every command must name an existing node and item, and an event
// delivered again must change nothing.
func FuzzStep(f *testing.F) {
	spec, err := Parse("fuzz.yaml", []byte(fuzzSpec))
	if err != nil {
		f.Fatal(err)
	}
	wfs := make([]*Compiled, len(fuzzWorkflows))
	for i, name := range fuzzWorkflows {
		if wfs[i], err = Compile(spec, name); err != nil {
			f.Fatal(err)
		}
	}
	input := func(header byte, recs ...[]byte) []byte {
		return append([]byte{header}, slices.Concat(recs...)...)
	}
	respond := func(n int) []byte { // answer the first pending command n times, successfully
		return bytes.Repeat(fuzzRecord(fuzzRespond), n)
	}
	for w := range byte(len(fuzzWorkflows)) {
		f.Add(input(w, respond(40)))
		f.Add(input(w|8, respond(40)))    // no cache
		f.Add(input(w|0x10, respond(40))) // overwrite the cache
		f.Add(input(w|0x40, fuzzRecord(fuzzSucceeded, 0, 0, 1), fuzzRecord(fuzzCancel), fuzzRecord(fuzzRequest), respond(3)))
		f.Add(input(w, fuzzRecord(fuzzRespond, 7), fuzzRecord(fuzzRespond, 200), fuzzRecord(fuzzCancel),
			fuzzRecord(fuzzRespond), fuzzRecord(fuzzTick, 255), respond(2)))
		f.Add(input(w, fuzzRecord(fuzzSucceeded, 0, 255, 1), fuzzRecord(fuzzFailed, 130, 3, 0), fuzzRecord(fuzzDispatched, 1, 0, 9),
			fuzzRecord(fuzzCache, 0, 0, 1), fuzzRecord(fuzzStarted, 250, 201, 222)))
		// Acks, starts and ends, each delivered again.
		f.Add(input(w, fuzzRecord(fuzzRespond+1), fuzzRecord(fuzzRedeliver, 1), fuzzRecord(fuzzRespond+2), fuzzRecord(fuzzRedeliver, 2),
			fuzzRecord(fuzzRespond), fuzzRecord(fuzzRedeliver, 3), fuzzRecord(fuzzRespond+1, 1), fuzzRecord(fuzzRedeliver, 4),
			fuzzRecord(fuzzRespond+3), fuzzRecord(fuzzRedeliver, 5), fuzzRecord(fuzzTick, 9), respond(3)))
		// Failures of every kind, with retries after their backoff.
		for k := range byte(len(fuzzKinds)) {
			f.Add(input(w, fuzzRecord(fuzzRespond), fuzzRecord(fuzzRespond+3, 0, k), fuzzRecord(fuzzRespond+3, 1, k),
				fuzzRecord(fuzzRespond, 2), fuzzRecord(fuzzTick, 30), respond(20)))
		}
		// The first node succeeds with chosen outputs (y and the length of
		// list l from the last byte), then everything else succeeds.
		for _, y := range []byte{4*5 + 4, 25*5 + 4, 50*5 + 4, 0*5 + 4} {
			f.Add(input(w, fuzzRecord(fuzzRespond+4, 0, 0, y), respond(30)))
		}
	}
	// Found by a structured search: a map node fails (run_to_completion)
	// while one of its items waits out a retry backoff.
	f.Add([]byte{2, 12, 2, 3, 0, 9, 1, 3, 0, 9, 0, 4, 0, 9, 1, 4, 0, 12, 2, 3, 0, 12, 2, 4, 0, 9, 1, 3, 0, 12, 1, 3, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		fuzzRun(t, wfs[int(data[0]&3)], data)
	})
}

// node gives a node index: mostly in range (or one past), sometimes wild.
func fuzzNode(b byte, n int) int32 {
	if b < 200 {
		return int32(int(b) % (n + 1))
	}
	return int32(int8(b)) * 1000
}

// fuzzItem gives a map item: -1 to 3, sometimes wild.
func fuzzItem(b byte) int {
	if b < 200 {
		return int(b)%5 - 1
	}
	return int(int8(b))
}

// fuzzAttempt gives an attempt: 0 to 3, sometimes wild.
func fuzzAttempt(b byte) int {
	if b < 200 {
		return int(b) % 4
	}
	return int(int8(b))
}

// fuzzOutputs gives the outputs of an attempt: the task function's, or
// values the input chooses (y and the length of l, to steer conditions and
// map sizes), or nonsense.
func fuzzOutputs(b byte, task *TaskTemplate, in map[string]Literal) map[string]Literal {
	switch b % 5 {
	case 1:
		return nil
	case 2:
		return map[string]Literal{"y": String("not an int"), "l": Int(int64(b))}
	case 3:
		return map[string]Literal{"l": List(Int(1), Literal{}, Int(3), Int(4), Int(5))}
	case 4:
		y := int64(b / 5)
		l := make([]Literal, y%5)
		for i := range l {
			l[i] = Int(int64(i))
		}
		return map[string]Literal{"y": Int(y), "l": List(l...)}
	}
	return simTask(task.Command[1], task.Outputs, in)
}

var fuzzKinds = []ErrorKind{ErrUser, ErrTimeout, ErrOOM, ErrSystem, ErrNoRetry, "unheard-of"}

// fuzzState is the checking shell of one fuzz run.
type fuzzState struct {
	t          testing.TB
	wf         *Compiled
	s          State
	enc        []byte
	now        time.Time
	pending    []Command // commands emitted, not yet answered
	applied    []Event   // events that changed the state (ticks aside)
	dispatched map[attemptKey]bool
	acked      map[attemptKey]bool // attempts acknowledged while they could run
}

// redeliver applies an event that was applied before: Step must ignore it.
func (fs *fuzzState) redeliver(ev Event) {
	next, cmds := Step(fs.s, ev, fs.now)
	enc, _ := next.Encode()
	if !bytes.Equal(enc, fs.enc) || len(cmds) > 0 {
		fs.t.Fatalf("%+v delivered again changed the state (%d commands):\n%s\n%s", ev, len(cmds), fs.enc, enc)
	}
	fs.s = next
}

func fuzzRun(t testing.TB, wf *Compiled, data []byte) {
	opt := Options{Exec: "fuzz", NoCache: data[0]&8 != 0, OverwriteCache: data[0]&0x10 != 0}
	fs := &fuzzState{t: t, wf: wf, now: t0, dispatched: map[attemptKey]bool{}, acked: map[attemptKey]bool{}}
	fs.s = NewState(wf, "sha256:fuzz", opt, t0)
	fs.enc, _ = fs.s.Encode()
	if data[0]&0x40 == 0 {
		fs.step(ExecutionRequested{Inputs: map[string]Literal{"k": Int(3)}})
	}
	task := func(node int32) *TaskTemplate {
		if node < 0 || int(node) >= len(wf.Nodes) || wf.Tasks[wf.Nodes[node].Task] == nil {
			return &TaskTemplate{Command: []string{"f", "none"}}
		}
		return wf.Tasks[wf.Nodes[node].Task]
	}
	n := len(wf.Nodes)
	for i := 1; i < len(data) && i < 1+4*300; i += 4 {
		var rec [4]byte
		copy(rec[:], data[i:])
		fs.now = fs.now.Add(time.Duration(rec[0]>>4) * 250 * time.Millisecond)
		node, a, b := fuzzNode(rec[1], n), rec[2], rec[3]
		var ev Event
		switch op := int(rec[0]&0x0f) % fuzzOps; op {
		case fuzzRequest:
			ev = ExecutionRequested{}
		case fuzzCache:
			ev = CacheResult{Node: node, Item: fuzzItem(a), Hit: b&1 == 0, Outputs: fuzzOutputs(b>>1, task(node), nil)}
		case fuzzDispatched:
			ev = Dispatched{Node: node, Item: fuzzItem(a), Attempt: fuzzAttempt(b & 7), JobID: fmt.Sprintf("j%d", b>>6)}
		case fuzzStarted:
			ev = AttemptStarted{Node: node, Item: fuzzItem(a), Attempt: fuzzAttempt(b)}
		case fuzzSucceeded:
			ev = AttemptSucceeded{Node: node, Item: fuzzItem(a), Attempt: int(b & 3), Outputs: fuzzOutputs(b>>2, task(node), nil)}
		case fuzzFailed:
			ev = AttemptFailed{Node: node, Item: fuzzItem(a), Attempt: int(b & 3), Kind: fuzzKinds[int(b>>2)%len(fuzzKinds)]}
		case fuzzCancel:
			ev = CancelRequested{Reason: "fuzz"}
		case fuzzTick:
			fs.now = fs.now.Add(time.Duration(rec[1]) * time.Second)
			ev = Tick{}
		case fuzzRedeliver:
			if len(fs.applied) > 0 {
				fs.redeliver(fs.applied[int(rec[1])%len(fs.applied)])
			}
			continue
		default:
			ev = fs.answer(op-fuzzRespond, rec[1], a, b)
		}
		if ev != nil {
			fs.step(ev)
		}
	}
}

// answer turns pending command number which into the fact a shell would
// feed back: how says what (success, ack, start, failure of kind, success
// with outputs chosen by out).
func (fs *fuzzState) answer(how int, which, kind, out byte) Event {
	if len(fs.pending) == 0 {
		return Tick{}
	}
	i := int(which) % len(fs.pending)
	c := fs.pending[i]
	fs.pending = append(fs.pending[:i], fs.pending[i+1:]...)
	switch c := c.(type) {
	case Dispatch:
		switch how {
		case 1, 2: // the attempt goes on: it stays pending
			fs.pending = append(fs.pending, c)
			if how == 1 {
				return Dispatched{Node: c.Node, Item: c.Item, Attempt: c.Attempt, JobID: "job"}
			}
			return AttemptStarted{Node: c.Node, Item: c.Item, Attempt: c.Attempt}
		case 3:
			return AttemptFailed{Node: c.Node, Item: c.Item, Attempt: c.Attempt, Kind: fuzzKinds[int(kind)%len(fuzzKinds)]}
		}
		outputs := simTask(c.Task.Command[1], c.Task.Outputs, c.Inputs)
		if how == 4 {
			outputs = fuzzOutputs(out, c.Task, c.Inputs)
		}
		return AttemptSucceeded{Node: c.Node, Item: c.Item, Attempt: c.Attempt, Outputs: outputs}
	case LookupCache:
		res := CacheResult{Node: c.Node, Item: c.Item, Hit: how%2 == 1}
		if res.Hit {
			res.Outputs = simTask(c.Task.Command[1], c.Task.Outputs, c.Inputs)
		}
		return res
	case Wake:
		if c.At.After(fs.now) {
			fs.now = c.At
		}
		return Tick{}
	}
	return nil
}

// step applies one event and checks the invariants.
func (fs *fuzzState) step(ev Event) {
	t := fs.t
	prev := fs.s
	prevSeq, prevPhase := prev.Seq, prev.Phase
	cp, err := DecodeState(fs.enc, fs.wf)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if d, ok := ev.(Dispatched); ok && prevPhase == ExecRunning {
		if it, ok := phaseOf(prev, d.Node, d.Item); ok && it.Phase.Active() && it.Attempt == d.Attempt &&
			(d.Item >= 0) == (fs.wf.Nodes[d.Node].Kind == NodeMap) {
			fs.acked[attemptKey{d.Node, d.Item, d.Attempt}] = true
		}
	}
	next, cmds := Step(prev, ev, fs.now)
	next2, cmds2 := Step(cp, ev, fs.now)
	enc, err := next.Encode()
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	enc2, _ := next2.Encode()
	if !bytes.Equal(enc, enc2) || !reflect.DeepEqual(cmds, cmds2) {
		t.Fatalf("%+v: Step on the state and on its decoded copy differ:\n%s\n%s", ev, enc, enc2)
	}
	if prevPhase.Terminal() && (!bytes.Equal(enc, fs.enc) || len(cmds) > 0) {
		t.Fatalf("%+v changed the %s execution (%d commands):\n%s\n%s", ev, prevPhase, len(cmds), fs.enc, enc)
	}
	if changed := !bytes.Equal(enc, fs.enc); changed != (next.Seq == prevSeq+1) || !changed && next.Seq != prevSeq {
		t.Fatalf("%+v: state changed %v, seq %d -> %d", ev, changed, prevSeq, next.Seq)
	}
	for _, c := range cmds {
		fs.checkCommand(next, c)
	}
	fuzzCheckCounts(t, fs.wf, next)
	each(next, func(node int32, item int, it *NodeState) {
		if it.Phase.Active() && it.JobID == "" && fs.acked[attemptKey{node, item, it.Attempt}] {
			t.Fatalf("%s[%d] is %s, its submission acknowledged, but it records no job", fs.wf.Nodes[node].Name, item, it.Phase)
		}
	})
	if _, tick := ev.(Tick); !tick && !bytes.Equal(enc, fs.enc) {
		fs.applied = append(fs.applied, ev)
	}
	fs.s, fs.enc = next, enc
	fs.pending = append(fs.pending, cmds...)
}

func (fs *fuzzState) checkCommand(st State, c Command) {
	t := fs.t
	target := func(what string, node int32, item int) *NodeState {
		if node < 0 || int(node) >= len(fs.wf.Nodes) {
			t.Fatalf("%s names node %d of %d", what, node, len(fs.wf.Nodes))
		}
		n := &fs.wf.Nodes[node]
		ns := &st.Nodes[node]
		if n.Kind != NodeMap {
			if item != -1 || n.Kind != NodeTask {
				t.Fatalf("%s names item %d of %s (kind %d)", what, item, n.Name, n.Kind)
			}
			return ns
		}
		if item < 0 || item >= len(ns.Items) {
			t.Fatalf("%s names item %d of map node %s, which has %d", what, item, n.Name, len(ns.Items))
		}
		return &ns.Items[item]
	}
	switch c := c.(type) {
	case Dispatch:
		it := target("dispatch", c.Node, c.Item)
		key := attemptKey{c.Node, c.Item, c.Attempt}
		if fs.dispatched[key] {
			t.Fatalf("attempt %d of %s[%d] dispatched twice", c.Attempt, c.NodeName, c.Item)
		}
		fs.dispatched[key] = true
		if it.Phase != Queued || it.Attempt != c.Attempt || c.Attempt < 1 {
			t.Fatalf("dispatch of attempt %d of %s[%d], which is %s at attempt %d", c.Attempt, c.NodeName, c.Item, it.Phase, it.Attempt)
		}
		for _, d := range fs.wf.Nodes[c.Node].Deps {
			if !st.Nodes[d].Phase.Done() {
				t.Fatalf("dispatch of %s before its upstream %s is done (%s)", c.NodeName, fs.wf.Nodes[d].Name, st.Nodes[d].Phase)
			}
		}
	case LookupCache:
		if it := target("cache lookup", c.Node, c.Item); it.Phase != CacheLookup {
			t.Fatalf("cache lookup of a %s item", it.Phase)
		}
	case WriteCatalog:
		target("catalog write", c.Node, c.Item)
	case Cancel:
		if it := target("cancel", c.Node, c.Item); it.Phase != Aborted {
			t.Fatalf("cancel of a %s item", it.Phase)
		}
	case Finish:
		if !st.Phase.Terminal() || c.Phase != st.Phase {
			t.Fatalf("finish %s of a %s execution", c.Phase, st.Phase)
		}
	}
}

// fuzzCheckCounts checks the counters a state keeps against its nodes.
func fuzzCheckCounts(t testing.TB, wf *Compiled, st State) {
	terminal, retrying := 0, 0
	for i := range st.Nodes {
		ns := &st.Nodes[i]
		if ns.Phase.Terminal() {
			terminal++
		} else if st.Phase.Terminal() {
			t.Fatalf("the execution is %s, node %s is %s", st.Phase, wf.Nodes[i].Name, ns.Phase)
		}
		if ns.Phase == Retrying {
			retrying++
		}
		active, ended := 0, 0
		for j := range ns.Items {
			switch p := ns.Items[j].Phase; {
			case p.Terminal():
				ended++
			case p == Retrying:
				retrying++
				active++
			case p.Active():
				active++
			}
		}
		if wf.Nodes[i].Kind == NodeMap && ns.Phase == Running {
			if int(ns.Active) != active || int(ns.Ended) != ended {
				t.Fatalf("map %s counts %d active, %d ended; has %d, %d", wf.Nodes[i].Name, ns.Active, ns.Ended, active, ended)
			}
			if c := wf.Nodes[i].Concurrency; c > 0 && active > c {
				t.Fatalf("map %s runs %d items, concurrency %d", wf.Nodes[i].Name, active, c)
			}
		}
	}
	if st.Phase == ExecRunning && (st.Done != terminal || st.Retrying != retrying) {
		t.Fatalf("state counts %d ended and %d retrying; has %d and %d", st.Done, st.Retrying, terminal, retrying)
	}
}
