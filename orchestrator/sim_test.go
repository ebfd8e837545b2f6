package orchestrator

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The simulator plays the shell around Step (ARCHITECTURE.md, "The core: a
// pure state machine"): it runs random workflows (sim_gen_test.go) under
// random schedules — facts delivered in random order, duplicated, delayed,
// crashes between persist and act, conflicting writers, cancels — checks
// Step's invariants after every step, and compares the outcome with the
// reference evaluator (sim_ref_test.go).

var (
	simSeeds = flag.Int("sim.seeds", 2000, "number of seeded schedules TestSimulator runs")
	simSeed  = flag.Int64("sim.seed", -1, "replay only this seed of TestSimulator")
)

func TestSimulator(t *testing.T) {
	seeds := make([]uint64, 0, *simSeeds)
	if *simSeed >= 0 {
		seeds = append(seeds, uint64(*simSeed))
	} else {
		for i := range *simSeeds {
			seeds = append(seeds, uint64(i))
		}
	}
	start := time.Now()
	results := make([]*simResult, len(seeds))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				results[i] = runSim(seeds[i])
			}
		})
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()

	var total simFaults
	var failed, faultless, nodes, steps, recoveries, reused int
	phases := map[ExecPhase]int{}
	for _, res := range results {
		total.add(res.faults)
		nodes += res.nodes
		steps += res.steps
		phases[res.phase]++
		reused += res.reused
		if res.recovered {
			recoveries++
		}
		if res.err == "" && res.plan.faulty && res.faults.injected() == 0 {
			res.err = "the run was to inject faults and injected none"
		}
		if res.err == "" && !res.plan.faulty && res.faults.injected() != 0 {
			res.err = fmt.Sprintf("a fault-free run injected faults: %+v", res.faults)
		}
		if !res.plan.faulty {
			faultless++
		}
		if res.err == "" {
			continue
		}
		if failed++; failed <= 3 {
			t.Errorf("%s", res.report())
		}
	}
	if failed > 3 {
		t.Errorf("%d more seeds failed", failed-3)
	}
	t.Logf("simulator: %d runs (%d fault-free), %d nodes, %d steps in %v; ended %d succeeded, %d failed, %d aborted",
		len(seeds), faultless, nodes, steps, time.Since(start).Round(time.Millisecond),
		phases[ExecSucceeded], phases[ExecFailed], phases[ExecAborted])
	t.Logf("faults injected: %s", total)
	t.Logf("recoveries of failed or aborted runs: %d, reusing %d nodes and items", recoveries, reused)
	if len(seeds) >= 100 {
		// The set of runs must have exercised every kind of fault.
		for _, k := range total.byKind() {
			if k.n == 0 {
				t.Errorf("no %s was injected in %d runs", k.name, len(seeds))
			}
		}
		if recoveries == 0 || reused == 0 {
			t.Errorf("%d recoveries reused %d nodes: recovery was not exercised", recoveries, reused)
		}
		if phases[ExecSucceeded] == 0 || phases[ExecFailed] == 0 || phases[ExecAborted] == 0 {
			t.Errorf("runs ended %v: every outcome should occur", phases)
		}
	}
}

// simFaults counts what a run injected.
type simFaults struct {
	Reorder    int // a fact delivered before older ones
	Duplicate  int // a fact delivered again
	Delay      int // the clock jumped ahead (with a Tick)
	Crash      int // a crash between persist and act: commands dropped, PendingCommands redelivered
	Conflict   int // a conflicting writer: the event applied to a stale state first, that write lost
	Cancel     int // a CancelRequested
	Redelivery int // a Dispatch redelivered after a crash for an attempt already claimed
	Failures   int // failed attempts (not shell faults, counted for the summary)
	CacheHits  int
	Busy       int // a reservation found held by another execution
	Takeover   int // a waiting node asked again after the holder's lease ended
}

func (f *simFaults) add(o simFaults) {
	f.Reorder += o.Reorder
	f.Duplicate += o.Duplicate
	f.Delay += o.Delay
	f.Crash += o.Crash
	f.Conflict += o.Conflict
	f.Cancel += o.Cancel
	f.Redelivery += o.Redelivery
	f.Failures += o.Failures
	f.CacheHits += o.CacheHits
	f.Busy += o.Busy
	f.Takeover += o.Takeover
}

func (f simFaults) injected() int {
	return f.Reorder + f.Duplicate + f.Delay + f.Crash + f.Conflict + f.Cancel
}

type faultKind struct {
	name string
	n    int
}

func (f simFaults) byKind() []faultKind {
	return []faultKind{{"reorder", f.Reorder}, {"duplicate", f.Duplicate}, {"delay", f.Delay}, {"crash", f.Crash},
		{"conflicting writer", f.Conflict}, {"cancel", f.Cancel}, {"dispatch redelivery", f.Redelivery},
		{"attempt failure", f.Failures}, {"cache hit", f.CacheHits},
		{"reservation held elsewhere", f.Busy}, {"reservation asked again", f.Takeover}}
}

func (f simFaults) String() string {
	return fmt.Sprintf("reorder %d, duplicate %d, delay %d, crash %d, conflicting writer %d, cancel %d, dispatch redelivered %d; attempt failures %d, cache hits %d",
		f.Reorder, f.Duplicate, f.Delay, f.Crash, f.Conflict, f.Cancel, f.Redelivery, f.Failures, f.CacheHits)
}

// simPlan is how a run schedules facts and injects faults.
type simPlan struct {
	size                            int // nodes asked of the generator
	faulty                          bool
	pDup, pDelay, pCrash, pConflict float64
	cancelAt                        int // step that injects a CancelRequested; 0: none
	forceStep                       int // a crash (or conflicting writer) is forced at this step (or the first after it)
	forceCrash                      bool
	failP                           float64 // probability that an attempt fails
	permanent                       bool    // failures may be permanent (no retry)
	hitP                            float64 // probability that a cache lookup hits
	killOnCancel                    bool    // a Cancel command kills the job: its facts vanish
	opt                             Options
}

func newPlan(seed uint64) simPlan {
	r := rand.New(rand.NewPCG(seed, 0x51a7))
	p := simPlan{faulty: seed%20 != 1}
	switch {
	case seed%500 == 7:
		p.size = 250 + r.IntN(51)
	case seed%50 == 3:
		p.size = 30 + r.IntN(50)
	default:
		p.size = 1 + r.IntN(12)
	}
	if p.faulty {
		p.pDup = 0.02 + 0.13*r.Float64()
		p.pDelay = 0.01 + 0.07*r.Float64()
		p.pCrash = 0.01 + 0.07*r.Float64()
		p.pConflict = 0.01 + 0.07*r.Float64()
		if r.IntN(8) == 0 {
			p.cancelAt = 1 + r.IntN(3*p.size+6)
		}
		p.forceStep = r.IntN(2)
		p.forceCrash = p.forceStep == 0 || r.IntN(2) == 0
	}
	if r.IntN(5) >= 2 {
		p.failP = 0.05 + 0.25*r.Float64()
		p.permanent = r.IntN(2) == 0
	}
	p.hitP = 0.6 * r.Float64()
	p.killOnCancel = r.IntN(2) == 0
	switch r.IntN(10) {
	case 0:
		p.opt.NoCache = true
	case 1:
		p.opt.OverwriteCache = true
	}
	p.opt.Exec = fmt.Sprintf("sim-%d", seed)
	return p
}

// simResult is the outcome of one seed.
type simResult struct {
	recovered bool // a recovery of the failed or aborted run ran too
	reused    int  // nodes and map items the recovery reused
	seed      uint64
	plan      simPlan
	faults    simFaults
	phase     ExecPhase
	nodes     int
	steps     int
	err       string
	yaml      string
	events    []string
}

func (r *simResult) report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %s\n", r.seed, r.err)
	fmt.Fprintf(&b, "replay: go test ./orchestrator/ -run TestSimulator -sim.seed=%d -v\n", r.seed)
	fmt.Fprintf(&b, "plan: %+v\nfaults: %s\n", r.plan, r.faults)
	if len(r.events) > 0 {
		fmt.Fprintf(&b, "last events:\n  %s\n", strings.Join(r.events, "\n  "))
	}
	fmt.Fprintf(&b, "spec:\n%s", r.yaml)
	return b.String()
}

type attemptKey struct {
	node    int32
	item    int
	attempt int
}

type itemKey struct {
	node int32
	item int
}

// simFact is an event waiting in the pool; tick facts carry their time.
type simFact struct {
	ev     Event
	at     time.Time // Tick: the Wake time
	key    attemptKey
	isTick bool
}

// simFailure is what the harness panics with when a check fails.
type simFailure struct{ msg string }

type sim struct {
	seed uint64
	plan simPlan
	r    *rand.Rand
	gs   *genSpec
	spec *Spec
	wf   *Compiled
	ref0 *refResult // the reference without failures: names and waits

	waitDone  [][]int32 // per node: nodes that must be done before it starts
	waitEnded [][]int32 // per node: nodes that must have ended (not failed or aborted)

	now   time.Time
	cur   State
	enc   []byte
	hist  [][]byte // recent encodings, for conflicting writers
	snap  simSnap
	step  int
	limit int

	pool      []simFact
	delivered []simFact // for duplicates

	claims      map[attemptKey]bool // the runner's claim of each attempt
	completions map[attemptKey]int  // completion facts made per attempt
	dispatched  map[attemptKey]bool // Step's Dispatch commands
	acked       map[attemptKey]bool // attempts whose submission was acknowledged
	inputs      map[itemKey]map[string]Literal
	finishes    int
	cancelled   bool // a CancelRequested ended the run
	forced      bool // the fault forced on faulty runs was injected
	jobs        int

	faults simFaults
	events []simNote // ring of recent events

	// A recovery run: the node states of the execution it recovers, and
	// the reference's view of them.
	reuse []NodeState
	prior refFailed
	refRe *refResult // the recovery's reference without failures
}

func runSim(seed uint64) (res *simResult) {
	plan := newPlan(seed)
	gs := generateSpec(seed, plan.size)
	res = &simResult{seed: seed, plan: plan, yaml: gs.yaml}
	s := &sim{seed: seed, plan: plan, gs: gs, r: rand.New(rand.NewPCG(seed, 0x5eed)),
		now: t0, claims: map[attemptKey]bool{}, completions: map[attemptKey]int{},
		dispatched: map[attemptKey]bool{}, acked: map[attemptKey]bool{}, inputs: map[itemKey]map[string]Literal{}}
	defer func() {
		if r := recover(); r != nil {
			if f, ok := r.(simFailure); ok {
				res.err = f.msg
			} else {
				buf := make([]byte, 8<<10)
				res.err = fmt.Sprintf("panic: %v\n%s", r, buf[:runtime.Stack(buf, false)])
			}
			for _, n := range s.events {
				res.events = append(res.events, n.String())
			}
		}
		res.faults, res.steps, res.phase = s.faults, s.step, s.cur.Phase
		if s.wf != nil {
			res.nodes = len(s.wf.Nodes)
		}
	}()
	s.setup()
	s.run()
	if s.cur.Phase != ExecSucceeded && plan.size <= 12 {
		// Recover the failed or aborted run: a second execution reusing
		// the outputs of what ended with outputs, under the same plan.
		// (Small workflows only: the large ones fail most and would
		// double the simulator's time.)
		prior := s.cur.Clone()
		res.recovered = true
		s = &sim{seed: seed, plan: plan, gs: gs, r: rand.New(rand.NewPCG(seed, 0x7ec0)),
			now: s.now.Add(time.Hour), claims: map[attemptKey]bool{}, completions: map[attemptKey]int{},
			dispatched: map[attemptKey]bool{}, acked: map[attemptKey]bool{}, inputs: map[itemKey]map[string]Literal{},
			reuse: prior.Nodes, faults: s.faults}
		s.prior = func(name string, item int) bool {
			i, ok := s.wf.NodeIndex(name)
			if !ok || s.wf.Nodes[i].Kind == NodeSelect {
				return false
			}
			ns := &prior.Nodes[i]
			if item < 0 {
				return ns.Phase.Done()
			}
			return item < len(ns.Items) && ns.Items[item].Phase.Done()
		}
		s.setup()
		s.run()
		each(s.cur, func(_ int32, _ int, it *NodeState) {
			if it.Recovered {
				res.reused++
			}
		})
	}
	return res
}

func (s *sim) failf(format string, args ...any) {
	panic(simFailure{fmt.Sprintf("step %d: ", s.step) + fmt.Sprintf(format, args...)})
}

// simNote is an entry of the log of recent events, formatted only when a
// check fails.
type simNote struct {
	step int
	now  time.Time
	what string // "" for an event, "->" for its commands, "crash" for redelivered ones
	ev   Event
	cmds []Command
}

func (n simNote) String() string {
	head := fmt.Sprintf("#%d +%v ", n.step, n.now.Sub(t0))
	switch n.what {
	case "":
		return head + describeEvent(n.ev)
	case "crash":
		return head + "  crash: commands dropped, pending " + describeCommands(n.cmds)
	}
	return head + "  -> " + describeCommands(n.cmds)
}

func (s *sim) note(n simNote) {
	if len(s.events) >= 40 {
		s.events = s.events[1:]
	}
	n.step, n.now = s.step, s.now
	s.events = append(s.events, n)
}

func (s *sim) setup() {
	spec, err := Parse("sim.yaml", []byte(s.gs.yaml))
	if err != nil {
		s.failf("the generator made an invalid spec: %v", err)
	}
	s.spec = spec
	if s.wf, err = Compile(spec, s.gs.top); err != nil {
		s.failf("compile: %v", err)
	}
	s.ref0 = referenceRun(spec, s.gs.top, s.gs.given, nil)
	s.refRe = referenceRecover(spec, s.gs.top, s.gs.given, nil, s.prior)
	var names []string
	for _, n := range s.wf.Nodes {
		names = append(names, n.Name)
		if s.ref0.nodes[n.Name] == nil {
			s.failf("compiled node %q is not a node of the spec", n.Name)
		}
	}
	if len(names) != len(s.ref0.nodes) {
		s.failf("compiled nodes %v, the spec has %d", names, len(s.ref0.nodes))
	}
	s.waitDone = make([][]int32, len(s.wf.Nodes))
	s.waitEnded = make([][]int32, len(s.wf.Nodes))
	for i, n := range s.wf.Nodes {
		for _, w := range s.ref0.nodes[n.Name].waits {
			if prefix, ok := strings.CutSuffix(w, "."); ok {
				for j, m := range s.wf.Nodes {
					if strings.HasPrefix(m.Name, prefix+".") {
						s.waitEnded[i] = append(s.waitEnded[i], int32(j))
					}
				}
				continue
			}
			j, ok := s.wf.NodeIndex(w)
			if !ok {
				s.failf("node %q waits for %q, which is not compiled", n.Name, w)
			}
			s.waitDone[i] = append(s.waitDone[i], j)
		}
	}
	s.limit = 4000 + 800*len(s.wf.Nodes)
}

func (s *sim) run() {
	wfEnc, _ := s.wf.Encode()
	digest, _ := s.wf.Digest()
	s.cur = NewState(s.wf, digest, s.plan.opt, s.now)
	s.enc = s.encode(s.cur)
	s.snap = snapshot(s.cur)
	inputs, err := ResolveInputs(s.wf, s.gs.given)
	if err != nil {
		s.failf("inputs: %v", err)
	}
	s.apply(ExecutionRequested{Inputs: inputs, Reuse: s.reuse}, false)
	for s.step = 1; !s.cur.Phase.Terminal(); s.step++ {
		if s.step > s.limit {
			s.failf("the run did not end in %d steps", s.limit)
		}
		ev, dup := s.next()
		s.apply(ev, dup)
	}
	s.afterEnd()
	s.checkOutcome()
	if again, _ := s.wf.Encode(); !bytes.Equal(again, wfEnc) {
		s.failf("Step changed the compiled workflow")
	}
}

func (s *sim) encode(st State) []byte {
	b, err := st.Encode()
	if err != nil {
		s.failf("encode: %v", err)
	}
	return b
}

func (s *sim) decode(b []byte) State {
	st, err := DecodeState(b, s.wf)
	if err != nil {
		s.failf("decode: %v", err)
	}
	return st
}

// next chooses the next event: a fact from the pool (in random order when
// the run is faulty), or a fault: a duplicate, a delay, a cancel.
func (s *sim) next() (Event, bool) {
	s.now = s.now.Add(time.Duration(s.r.IntN(300)) * time.Millisecond)
	if s.plan.cancelAt == s.step {
		s.faults.Cancel++
		return CancelRequested{Reason: "simulated cancel"}, false
	}
	if s.plan.faulty {
		x := s.r.Float64()
		if x < s.plan.pDup && len(s.delivered) > 0 {
			s.faults.Duplicate++
			f := s.delivered[s.r.IntN(len(s.delivered))]
			return f.ev, !f.isTick
		}
		if x -= s.plan.pDup; x < s.plan.pDelay {
			s.faults.Delay++
			s.now = s.now.Add(time.Duration(1+s.r.IntN(400)) * time.Second)
			return Tick{}, false
		}
	}
	if len(s.pool) == 0 {
		s.failf("the execution is %s with nothing in flight: it can never end", s.cur.Phase)
	}
	i := 0
	if s.plan.faulty {
		if i = s.r.IntN(len(s.pool)); i != 0 {
			s.faults.Reorder++
		}
	}
	f := s.pool[i]
	s.pool = slices.Delete(s.pool, i, i+1)
	if f.isTick && f.at.After(s.now) {
		s.now = f.at
	}
	if len(s.delivered) < 256 {
		s.delivered = append(s.delivered, f)
	} else {
		s.delivered[s.r.IntN(len(s.delivered))] = f
	}
	return f.ev, false
}

// apply runs Step on one event as a shell does — maybe after losing a race
// to a conflicting writer, maybe crashing between persisting the new state
// and acting on its commands — and checks the invariants.
func (s *sim) apply(ev Event, duplicate bool) {
	s.note(simNote{ev: ev})
	force := s.plan.faulty && !s.forced && s.step >= s.plan.forceStep && (s.plan.forceCrash || len(s.hist) > 0)
	s.forced = s.forced || force
	crash := s.plan.faulty && (s.r.Float64() < s.plan.pCrash || force && s.plan.forceCrash)
	conflict := s.plan.faulty && (s.r.Float64() < s.plan.pConflict || force && !s.plan.forceCrash)
	if conflict && len(s.hist) > 0 {
		// Another writer saved a newer state first: this one's conditional
		// write of its step from a stale state fails, and it starts over
		// from the current state (as the engine does on ErrConflict).
		s.faults.Conflict++
		stale := s.decode(s.hist[s.r.IntN(len(s.hist))])
		Step(stale, ev, s.now)
	}
	copyState := s.decode(s.enc)
	next, cmds := Step(s.cur, ev, s.now)
	next2, cmds2 := Step(copyState, ev, s.now)
	enc, enc2 := s.encode(next), s.encode(next2)
	if !bytes.Equal(enc, enc2) {
		s.failf("Step is not deterministic: the state and its decoded copy differ after %s:\n%s\n%s", describeEvent(ev), enc, enc2)
	}
	if !reflect.DeepEqual(cmds, cmds2) {
		s.failf("Step is not deterministic: commands %s vs %s", describeCommands(cmds), describeCommands(cmds2))
	}
	if len(cmds) > 0 {
		s.note(simNote{what: "->", cmds: cmds})
	}
	if duplicate && !bytes.Equal(enc, s.enc) {
		s.failf("a duplicate %s changed the state:\n%s\n%s", describeEvent(ev), s.enc, enc)
	}
	if s.snap.exec.Terminal() && (!bytes.Equal(enc, s.enc) || len(cmds) > 0) {
		s.failf("the %s execution changed on %s (commands %s)", s.snap.exec, describeEvent(ev), describeCommands(cmds))
	}
	if d, ok := ev.(Dispatched); ok {
		s.acked[attemptKey{d.Node, d.Item, d.Attempt}] = true
	}
	if _, ok := ev.(CancelRequested); ok && !s.snap.exec.Terminal() {
		s.cancelled = true
		if next.Phase != ExecAborted {
			s.failf("cancel left the execution %s", next.Phase)
		}
	}
	s.checkState(next, enc)
	s.checkCommands(next, cmds)
	if len(s.hist) >= 8 {
		s.hist = s.hist[1:]
	}
	s.hist = append(s.hist, s.enc)
	s.cur, s.enc, s.snap = next, enc, snapshot(next)
	if crash {
		s.faults.Crash++
		s.cur = s.decode(enc)
		pending := PendingCommands(s.cur)
		s.note(simNote{what: "crash", cmds: pending})
		s.checkPending(pending)
		s.act(pending, true)
		return
	}
	s.act(cmds, false)
}

// act carries out commands: the dispatcher, the catalog and the timer.
func (s *sim) act(cmds []Command, recovered bool) {
	for _, c := range cmds {
		switch c := c.(type) {
		case Dispatch:
			key := attemptKey{c.Node, c.Item, c.Attempt}
			if s.claims[key] {
				// A second job for a claimed attempt finds the claim and
				// exits at once; the shell still reports its submission.
				if recovered {
					s.faults.Redelivery++
				}
				s.jobs++
				s.add(simFact{ev: Dispatched{Node: c.Node, Item: c.Item, Attempt: c.Attempt, JobID: fmt.Sprintf("dup-%d", s.jobs)}, key: key})
				continue
			}
			s.claims[key] = true
			s.job(c, key)
		case LookupCache:
			res := CacheResult{Node: c.Node, Item: c.Item}
			if s.r.Float64() < s.plan.hitP {
				res.Hit = true
				res.Outputs = simTask(c.Task.Command[1], c.Task.Outputs, c.Inputs)
				s.faults.CacheHits++
			}
			s.add(simFact{ev: res})
		case Reserve:
			s.reserve(c)
		case Wake:
			s.add(simFact{ev: Tick{}, at: c.At, isTick: true})
		case Cancel:
			if s.plan.killOnCancel {
				key := attemptKey{c.Node, c.Item, c.Attempt}
				s.pool = slices.DeleteFunc(s.pool, func(f simFact) bool { return !f.isTick && f.key == key })
			}
		}
	}
}

func (s *sim) add(f simFact) { s.pool = append(s.pool, f) }

// reserve plays the catalog's reservations (Decision 33): another
// execution may hold the key (its lease ends a while later, and it may
// write the entry, whose creation wakes the waiting node), the entry may
// exist by now, or the reservation is taken.
func (s *sim) reserve(c Reserve) {
	if c.Try > 1 {
		s.faults.Takeover++
	}
	hit := CacheResult{Node: c.Node, Item: c.Item, Hit: true, Outputs: simTask(c.Task.Command[1], c.Task.Outputs, c.Inputs)}
	switch x := s.r.Float64(); {
	case x < 0.3:
		s.faults.Busy++
		until := s.now.Add(time.Duration(1+s.r.IntN(600)) * time.Second)
		s.add(simFact{ev: Reserved{Node: c.Node, Item: c.Item, Try: c.Try, Until: until}})
		if s.r.IntN(2) == 0 {
			s.add(simFact{ev: hit})
		}
	case x < 0.4:
		s.faults.CacheHits++
		s.add(simFact{ev: hit})
	default:
		s.add(simFact{ev: Reserved{Node: c.Node, Item: c.Item, Try: c.Try, Taken: true}})
	}
}

var simErrKinds = []ErrorKind{ErrUser, ErrTimeout, ErrOOM, ErrSystem, ErrSystem, ErrNoRetry}

// job runs a claimed attempt: the submission is acknowledged, the task may
// report that it started, and it ends with its pure outputs or an error.
func (s *sim) job(c Dispatch, key attemptKey) {
	if c.Task == nil || len(c.Task.Command) < 2 {
		s.failf("dispatch of %s has no task", c.NodeName)
	}
	s.jobs++
	s.add(simFact{ev: Dispatched{Node: c.Node, Item: c.Item, Attempt: c.Attempt, JobID: fmt.Sprintf("job-%d", s.jobs)}, key: key})
	if s.r.IntN(3) != 0 {
		s.add(simFact{ev: AttemptStarted{Node: c.Node, Item: c.Item, Attempt: c.Attempt}, key: key})
	}
	if s.completions[key]++; s.completions[key] > 1 {
		s.failf("attempt %v of %s ran to completion twice", key, c.NodeName)
	}
	if s.r.Float64() < s.plan.failP {
		s.faults.Failures++
		kinds := simErrKinds
		if !s.plan.permanent {
			kinds = kinds[:len(kinds)-1]
		}
		k := kinds[s.r.IntN(len(kinds))]
		s.add(simFact{ev: AttemptFailed{Node: c.Node, Item: c.Item, Attempt: c.Attempt, Kind: k, Message: "simulated"}, key: key})
		return
	}
	out := simTask(c.Task.Command[1], c.Task.Outputs, c.Inputs)
	s.add(simFact{ev: AttemptSucceeded{Node: c.Node, Item: c.Item, Attempt: c.Attempt, Outputs: out}, key: key})
}

// afterEnd delivers what is still in flight, duplicates and more to the
// ended execution: its encoding must not change and Step must ask nothing.
func (s *sim) afterEnd() {
	extra := []Event{CancelRequested{}, Tick{}, ExecutionRequested{}}
	for range 2 {
		if len(s.delivered) > 0 {
			extra = append(extra, s.delivered[s.r.IntN(len(s.delivered))].ev)
		}
	}
	// A sample of what is still in flight (all of it is as stale).
	for _, i := range s.r.Perm(len(s.pool))[:min(len(s.pool), 4)] {
		extra = append(extra, s.pool[i].ev)
	}
	s.pool = nil
	for _, ev := range extra {
		s.step++
		s.now = s.now.Add(time.Hour)
		s.apply(ev, false)
	}
	// An ended run implies its finish, last; an aborted one also the
	// cancels of the jobs its abort stopped (each an aborted attempt that
	// had a job), and nothing else.
	p := PendingCommands(s.cur)
	if len(p) == 0 {
		s.failf("pending commands of the ended run: none")
	}
	if f, ok := p[len(p)-1].(Finish); !ok || f.Phase != s.cur.Phase {
		s.failf("pending commands of the ended run: %s", describeCommands(p))
	}
	for _, c := range p[:len(p)-1] {
		cc, ok := c.(Cancel)
		m := machine{s: &s.cur, wf: s.cur.wf}
		it := m.item(cc.Node, cc.Item)
		if !ok || s.cur.Phase != ExecAborted || it == nil || it.Phase != Aborted || it.Attempt != cc.Attempt || cc.JobID == "" || it.JobID != cc.JobID {
			s.failf("pending commands of the ended run: %s", describeCommands(p))
		}
	}
}

// simSnap is the phases of a state, to check transitions.
type simSnap struct {
	exec  ExecPhase
	nodes []Phase
	items [][]Phase
}

// serialized reports whether a node runs only under its cache key's
// reservation: a task node whose cache serializes, looked up in this run.
func (s *sim) serialized(node int32, item int) bool {
	t := s.wf.Tasks[s.wf.Nodes[node].Task]
	return item < 0 && t != nil && t.Cache != nil && t.Cache.Serialize && !s.plan.opt.NoCache && !s.plan.opt.OverwriteCache
}

// checkJob checks that an attempt that may be running knows its job once
// the submission was acknowledged, whatever came first: the shell needs it
// to cancel the job and to ask what became of it.
func (s *sim) checkJob(name string, node int32, item int, it *NodeState) {
	if it.Phase.Active() && it.JobID == "" && s.acked[attemptKey{node, item, it.Attempt}] {
		s.failf("%s[%d] is %s at attempt %d, acknowledged, but records no job", name, item, it.Phase, it.Attempt)
	}
}

func snapshot(st State) simSnap {
	sn := simSnap{exec: st.Phase, nodes: make([]Phase, len(st.Nodes)), items: make([][]Phase, len(st.Nodes))}
	for i, ns := range st.Nodes {
		sn.nodes[i] = ns.Phase
		if ns.Items != nil {
			sn.items[i] = make([]Phase, len(ns.Items))
			for j, it := range ns.Items {
				sn.items[i][j] = it.Phase
			}
		}
	}
	return sn
}

// checkState checks a state after a step, and its transition from the
// previous one.
func (s *sim) checkState(st State, enc []byte) {
	prev := s.snap
	if prev.exec.Terminal() && st.Phase != prev.exec {
		s.failf("execution went from %s to %s", prev.exec, st.Phase)
	}
	if !bytes.Equal(enc, s.enc) && st.Seq != s.cur.Seq+1 {
		s.failf("the state changed but its Seq went from %d to %d", s.cur.Seq, st.Seq)
	}
	terminal, retrying := 0, 0
	for i := range st.Nodes {
		n, ns := &s.wf.Nodes[i], &st.Nodes[i]
		if p := prev.nodes[i]; p.Terminal() && ns.Phase != p {
			s.failf("node %s went from %s to %s", n.Name, p, ns.Phase)
		}
		if ns.Phase.Terminal() {
			terminal++
		} else if st.Phase.Terminal() {
			s.failf("the execution is %s but node %s is %s", st.Phase, n.Name, ns.Phase)
		}
		if ns.Phase == Retrying || ns.Phase == Waiting {
			retrying++
		}
		if ns.Phase == Waiting && ns.Held {
			s.failf("node %s waits for a reservation it holds", n.Name)
		}
		s.checkJob(n.Name, int32(i), -1, ns)
		s.checkTimes(n.Name, ns)
		if n.Kind != NodeMap {
			if ns.Items != nil {
				s.failf("node %s is not a map but has items", n.Name)
			}
			continue
		}
		if prev.items[i] != nil && len(ns.Items) != len(prev.items[i]) {
			s.failf("map node %s went from %d items to %d", n.Name, len(prev.items[i]), len(ns.Items))
		}
		active, ended := 0, 0
		for j := range ns.Items {
			it := &ns.Items[j]
			if prev.items[i] != nil {
				if p := prev.items[i][j]; p.Terminal() && it.Phase != p {
					s.failf("item %s[%d] went from %s to %s", n.Name, j, p, it.Phase)
				}
			}
			s.checkJob(n.Name, int32(i), j, it)
			s.checkTimes(fmt.Sprintf("%s[%d]", n.Name, j), it)
			switch {
			case it.Phase.Terminal():
				ended++
			case it.Phase == Retrying:
				active++
				retrying++
			case it.Phase.Active():
				active++
			}
			if ns.Phase.Terminal() && !it.Phase.Terminal() {
				s.failf("map node %s is %s but its item %d is %s", n.Name, ns.Phase, j, it.Phase)
			}
		}
		if ns.Phase == Running {
			if int(ns.Active) != active || int(ns.Ended) != ended {
				s.failf("map node %s counts %d active and %d ended items, there are %d and %d", n.Name, ns.Active, ns.Ended, active, ended)
			}
			if n.Concurrency > 0 && active > n.Concurrency {
				s.failf("map node %s runs %d items at once, its concurrency is %d", n.Name, active, n.Concurrency)
			}
		}
		if ns.Phase == Succeeded && ns.Items == nil {
			for _, o := range ns.Outputs {
				if len(o.List) != 0 {
					s.failf("map node %s succeeded with outputs but no items", n.Name)
				}
			}
		}
	}
	switch st.Phase {
	case ExecRunning:
		if st.Done != terminal {
			s.failf("state counts %d ended nodes, there are %d", st.Done, terminal)
		}
		if st.Retrying != retrying {
			s.failf("state counts %d retrying nodes and items, there are %d", st.Retrying, retrying)
		}
	case ExecSucceeded:
		if st.Done != len(st.Nodes) {
			s.failf("succeeded with %d of %d nodes counted as ended", st.Done, len(st.Nodes))
		}
	}
}

// checkTimes checks the attempt times the timeline shows (Decision 34):
// three per attempt run so far; each attempt queued, started (when seen)
// after it was queued, ended after both; every attempt before the current
// one ended, and so did the current one of an item that ended.
func (s *sim) checkTimes(what string, it *NodeState) {
	if len(it.Times) != 3*it.Attempt {
		s.failf("%s: %d attempt times for %d attempts", what, len(it.Times), it.Attempt)
		return
	}
	for a := 1; a <= it.Attempt; a++ {
		q, st, e := it.AttemptTime(a, TimeQueued), it.AttemptTime(a, TimeStarted), it.AttemptTime(a, TimeEnded)
		switch {
		case q == 0:
			s.failf("%s: attempt %d has no queued time", what, a)
		case st != 0 && st < q:
			s.failf("%s: attempt %d started at %d before it was queued at %d", what, a, st, q)
		case e != 0 && (e < q || e < st):
			s.failf("%s: attempt %d ended at %d before it was queued (%d) or started (%d)", what, a, e, q, st)
		case e == 0 && (a < it.Attempt || it.Phase.Terminal()):
			s.failf("%s (%s): attempt %d of %d has no end time", what, it.Phase, a, it.Attempt)
		}
	}
}

// phaseOf gives the phase of a node or map item in st.
func phaseOf(st State, node int32, item int) (*NodeState, bool) {
	if node < 0 || int(node) >= len(st.Nodes) {
		return nil, false
	}
	ns := &st.Nodes[node]
	if item < 0 {
		return ns, true
	}
	if item >= len(ns.Items) {
		return nil, false
	}
	return &ns.Items[item], true
}

// checkTarget checks that a command names an existing node and item of the
// right kind.
func (s *sim) checkTarget(st State, what string, node int32, item int) *NodeState {
	if node < 0 || int(node) >= len(s.wf.Nodes) {
		s.failf("%s names node %d of %d", what, node, len(s.wf.Nodes))
	}
	n := &s.wf.Nodes[node]
	if (n.Kind == NodeMap) != (item >= 0) {
		s.failf("%s names item %d of %s node %s", what, item, map[bool]string{true: "map", false: "task"}[n.Kind == NodeMap], n.Name)
	}
	it, ok := phaseOf(st, node, item)
	if !ok {
		s.failf("%s names item %d of %s, which has %d", what, item, n.Name, len(st.Nodes[node].Items))
	}
	return it
}

// checkStarted checks that a node whose task is looked up or dispatched
// has all it needs: its compiled dependencies done, and what the reference
// says it waits for ended.
func (s *sim) checkStarted(st State, what string, node int32) {
	n := &s.wf.Nodes[node]
	for _, d := range n.Deps {
		if p := st.Nodes[d].Phase; !p.Done() {
			s.failf("%s of %s while its upstream node %s is %s", what, n.Name, s.wf.Nodes[d].Name, p)
		}
	}
	for _, d := range s.waitDone[node] {
		if p := st.Nodes[d].Phase; !p.Done() {
			s.failf("%s of %s while %s, which it uses or runs after, is %s", what, n.Name, s.wf.Nodes[d].Name, p)
		}
	}
	for _, d := range s.waitEnded[node] {
		if p := st.Nodes[d].Phase; !p.Terminal() || p == Failed || p == Aborted {
			s.failf("%s of %s while %s, in a subworkflow it runs after, is %s", what, n.Name, s.wf.Nodes[d].Name, p)
		}
	}
}

// checkInputs records the inputs of a node or item's first lookup or
// dispatch; later ones must carry the same.
func (s *sim) checkInputs(what string, node int32, item int, in map[string]Literal) {
	n := &s.wf.Nodes[node]
	for _, b := range n.Inputs {
		if _, ok := in[b.Input]; !ok {
			s.failf("%s of %s lacks bound input %q", what, n.Name, b.Input)
		}
	}
	if len(in) != len(n.Inputs) {
		s.failf("%s of %s has inputs %s, the node binds %d", what, n.Name, lits(in), len(n.Inputs))
	}
	key := itemKey{node, item}
	if prev, ok := s.inputs[key]; ok {
		if !sameValues(prev, in) {
			s.failf("%s of %s[%d] with inputs %s, earlier %s", what, n.Name, item, lits(in), lits(prev))
		}
		return
	}
	s.inputs[key] = in
}

// checkCommands checks the commands of one step against the state it left.
func (s *sim) checkCommands(st State, cmds []Command) {
	prev := s.snap
	finished := false
	for _, c := range cmds {
		switch c := c.(type) {
		case Dispatch:
			it := s.checkTarget(st, "dispatch", c.Node, c.Item)
			key := attemptKey{c.Node, c.Item, c.Attempt}
			if s.dispatched[key] {
				s.failf("Step dispatched attempt %d of %s[%d] twice", c.Attempt, c.NodeName, c.Item)
			}
			s.dispatched[key] = true
			n := &s.wf.Nodes[c.Node]
			if c.NodeName != n.Name || c.Task != s.wf.Tasks[n.Task] {
				s.failf("dispatch of node %d names %q and task %v", c.Node, c.NodeName, c.Task)
			}
			if it.Phase != Queued || it.Attempt != c.Attempt {
				s.failf("dispatch of attempt %d of %s[%d], which is %s at attempt %d (execution %s)", c.Attempt, n.Name, c.Item, it.Phase, it.Attempt, st.Phase)
			}
			if s.serialized(c.Node, c.Item) && !it.Held {
				s.failf("dispatch of serialized %s without its reservation", n.Name)
			}
			if s.cancelled {
				s.failf("dispatch of %s after the run was cancelled", n.Name)
			}
			s.checkStarted(st, "dispatch", c.Node)
			s.checkInputs("dispatch", c.Node, c.Item, c.Inputs)
			s.checkNotReused("dispatch", c.Node, c.Item)
		case LookupCache:
			it := s.checkTarget(st, "cache lookup", c.Node, c.Item)
			if it.Phase != CacheLookup {
				s.failf("cache lookup of %s[%d], which is %s", s.wf.Nodes[c.Node].Name, c.Item, it.Phase)
			}
			if s.plan.opt.NoCache || s.plan.opt.OverwriteCache || c.Task == nil || c.Task.Cache == nil {
				s.failf("cache lookup of %s with options %+v", s.wf.Nodes[c.Node].Name, s.plan.opt)
			}
			s.checkStarted(st, "cache lookup", c.Node)
			s.checkInputs("cache lookup", c.Node, c.Item, c.Inputs)
			s.checkNotReused("cache lookup", c.Node, c.Item)
		case Reserve:
			it := s.checkTarget(st, "reserve", c.Node, c.Item)
			if it.Phase != CacheLookup || !it.Missed || it.Tries != c.Try || !s.serialized(c.Node, c.Item) {
				s.failf("reserve #%d of %s[%d], which is %s (missed %v, try %d)", c.Try, s.wf.Nodes[c.Node].Name, c.Item, it.Phase, it.Missed, it.Tries)
			}
			s.checkStarted(st, "reserve", c.Node)
			s.checkInputs("reserve", c.Node, c.Item, c.Inputs)
		case Release:
			it := s.checkTarget(st, "release", c.Node, c.Item)
			if !it.Phase.Terminal() || !it.Held {
				s.failf("release of %s[%d], which is %s (held %v)", s.wf.Nodes[c.Node].Name, c.Item, it.Phase, it.Held)
			}
			s.checkInputs("release", c.Node, c.Item, c.Inputs)
		case WriteCatalog:
			it := s.checkTarget(st, "catalog write", c.Node, c.Item)
			if it.Phase != Succeeded || s.plan.opt.NoCache || c.Task == nil || c.Task.Cache == nil {
				s.failf("catalog write of %s[%d], which is %s", s.wf.Nodes[c.Node].Name, c.Item, it.Phase)
			}
			if want := simTask(c.Task.Command[1], c.Task.Outputs, c.Inputs); !sameValues(want, c.Outputs) {
				s.failf("catalog write of %s[%d]: outputs %s for inputs %s, want %s", s.wf.Nodes[c.Node].Name, c.Item, lits(c.Outputs), lits(c.Inputs), lits(want))
			}
			s.checkInputs("catalog write", c.Node, c.Item, c.Inputs)
		case Cancel:
			it := s.checkTarget(st, "cancel", c.Node, c.Item)
			if it.Phase != Aborted || it.Attempt != c.Attempt {
				s.failf("cancel of attempt %d of %s[%d], which is %s at attempt %d", c.Attempt, s.wf.Nodes[c.Node].Name, c.Item, it.Phase, it.Attempt)
			}
		case Wake:
			if !c.At.After(s.now) {
				s.failf("wake at %v, not after now %v", c.At, s.now)
			}
			found := false
			each(st, func(_ int32, _ int, it *NodeState) {
				found = found || (it.Phase == Retrying || it.Phase == Waiting) && it.RetryAt == c.At.UnixMilli()
			})
			if !found {
				s.failf("wake at %v: nothing retries then", c.At)
			}
		case Finish:
			if prev.exec.Terminal() || !st.Phase.Terminal() || c.Phase != st.Phase || finished {
				s.failf("finish %s: the execution went from %s to %s", c.Phase, prev.exec, st.Phase)
			}
			if !reflect.DeepEqual(c.Outputs, st.Outputs) || c.Error != st.Error {
				s.failf("finish outputs %s (%q), state %s (%q)", lits(c.Outputs), c.Error, lits(st.Outputs), st.Error)
			}
			finished = true
			s.finishes++
		case Notify:
			if c.Phase != st.Phase || !finished {
				s.failf("notify %s in a %s execution", c.Phase, st.Phase)
			}
		default:
			s.failf("unknown command %T", c)
		}
	}
	if st.Phase.Terminal() && !prev.exec.Terminal() && !finished {
		s.failf("the execution ended %s without a Finish command", st.Phase)
	}
}

// checkNotReused fails a recovery that runs (or looks up) a task node or
// map item whose outputs the reference reuses.
func (s *sim) checkNotReused(what string, node int32, item int) {
	rn := s.refRe.nodes[s.wf.Nodes[node].Name]
	if item < 0 && rn.reused || item >= 0 && rn.reusedItems[item] {
		s.failf("%s of %s[%d], whose outputs the recovered execution had", what, s.wf.Nodes[node].Name, item)
	}
}

// checkPending checks the commands recovered from a saved state.
func (s *sim) checkPending(cmds []Command) {
	for _, c := range cmds {
		switch c := c.(type) {
		case Dispatch:
			it := s.checkTarget(s.cur, "redelivered dispatch", c.Node, c.Item)
			if it.Phase != Queued || it.Attempt != c.Attempt || !s.dispatched[attemptKey{c.Node, c.Item, c.Attempt}] {
				s.failf("redelivered dispatch of attempt %d of %s[%d] (%s, attempt %d), never dispatched by Step", c.Attempt, c.NodeName, c.Item, it.Phase, it.Attempt)
			}
			s.checkInputs("redelivered dispatch", c.Node, c.Item, c.Inputs)
		case LookupCache:
			if it := s.checkTarget(s.cur, "redelivered lookup", c.Node, c.Item); it.Phase != CacheLookup {
				s.failf("redelivered lookup of a %s item", it.Phase)
			}
			s.checkInputs("redelivered lookup", c.Node, c.Item, c.Inputs)
		case Reserve:
			if it := s.checkTarget(s.cur, "redelivered reserve", c.Node, c.Item); it.Phase != CacheLookup || !it.Missed || it.Tries != c.Try {
				s.failf("redelivered reserve #%d of a %s item (try %d)", c.Try, it.Phase, it.Tries)
			}
			s.checkInputs("redelivered reserve", c.Node, c.Item, c.Inputs)
		case Finish:
			if c.Phase != s.cur.Phase {
				s.failf("redelivered finish %s of a %s execution", c.Phase, s.cur.Phase)
			}
		}
	}
}

// checkOutcome compares the ended run with the reference evaluation, given
// the tasks that failed for good.
func (s *sim) checkOutcome() {
	st := s.cur
	if s.finishes != 1 {
		s.failf("Step finished the execution %d times", s.finishes)
	}
	failed := func(name string, item int) bool {
		i, ok := s.wf.NodeIndex(name)
		if !ok {
			return false
		}
		if item < 0 {
			return s.wf.Nodes[i].Kind == NodeTask && st.Nodes[i].Phase == Failed
		}
		return item < len(st.Nodes[i].Items) && st.Nodes[i].Items[item].Phase == Failed
	}
	ref := referenceRecover(s.spec, s.gs.top, s.gs.given, failed, s.prior)
	switch {
	case s.cancelled:
		if st.Phase != ExecAborted {
			s.failf("cancelled, the execution ended %s", st.Phase)
		}
	case len(ref.errs) > 0:
		if st.Phase != ExecFailed {
			s.failf("the reference fails (%s), the execution ended %s", strings.Join(ref.errs, "; "), st.Phase)
		}
	default:
		if st.Phase != ExecSucceeded {
			s.failf("the reference succeeds, the execution ended %s: %s", st.Phase, st.Error)
		}
		if !ref.known || !sameValues(ref.outputs, st.Outputs) {
			s.failf("outputs %s, the reference gives %s", lits(st.Outputs), lits(ref.outputs))
		}
	}
	// Every lookup and dispatch carried the inputs the reference gives.
	for key, in := range s.inputs {
		n := &s.wf.Nodes[key.node]
		rn := ref.nodes[n.Name]
		want := rn.inputs
		if key.item >= 0 {
			if !rn.known && rn.items == nil {
				s.failf("item %s[%d] started, the reference says its inputs cannot exist (%s)", n.Name, key.item, strings.Join(ref.errs, "; "))
			}
			if key.item >= len(rn.items) {
				s.failf("item %s[%d] started, the reference has %d items", n.Name, key.item, len(rn.items))
			}
			want = rn.items[key.item]
		} else if !rn.known && !failed(n.Name, -1) {
			s.failf("%s started, the reference says its inputs cannot exist (%s)", n.Name, strings.Join(ref.errs, "; "))
		}
		if rn.kind == "branch" && !rn.ran {
			s.failf("branch %s started, the reference does not take it", n.Name)
		}
		if !sameValues(want, in) {
			s.failf("%s[%d] started with inputs %s, the reference gives %s", n.Name, key.item, lits(in), lits(want))
		}
	}
	// Every node that ended with outputs has the reference's.
	for i := range st.Nodes {
		n, ns := &s.wf.Nodes[i], &st.Nodes[i]
		rn := ref.nodes[n.Name]
		if !ns.Phase.Done() {
			continue
		}
		if !rn.known {
			s.failf("node %s is %s, the reference says it cannot have run (%s)", n.Name, ns.Phase, strings.Join(ref.errs, "; "))
		}
		if !sameValues(rn.outputs, ns.Outputs) {
			s.failf("node %s has outputs %s, the reference gives %s", n.Name, lits(ns.Outputs), lits(rn.outputs))
		}
		if n.Kind != NodeSelect && n.Kind != NodeMap && ns.Recovered != rn.reused {
			s.failf("node %s: recovered %v, the reference reuses it: %v", n.Name, ns.Recovered, rn.reused)
		}
		for j := range ns.Items {
			if it := &ns.Items[j]; it.Phase.Done() && it.Recovered != rn.reusedItems[j] {
				s.failf("item %s[%d]: recovered %v, the reference reuses it: %v", n.Name, j, it.Recovered, rn.reusedItems[j])
			}
		}
		if n.Kind == NodeSelect && ns.Choice != rn.choice {
			s.failf("conditional %s took branch %d, the reference takes %d", n.Name, ns.Choice-1, rn.choice-1)
		}
	}
}

// sameValues compares two input or output maps, none values counting as
// absent.
func sameValues(a, b map[string]Literal) bool {
	n := 0
	for k, v := range a {
		if v.IsNone() {
			continue
		}
		n++
		if w, ok := b[k]; !ok || !v.Equal(w) {
			return false
		}
	}
	for _, v := range b {
		if !v.IsNone() {
			n--
		}
	}
	return n == 0
}

// lits renders a map of literals compactly, keys sorted.
func lits(m map[string]Literal) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		b, _ := m[k].MarshalJSON()
		parts = append(parts, k+":"+string(b))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func describeEvent(ev Event) string {
	switch e := ev.(type) {
	case ExecutionRequested:
		return "ExecutionRequested" + lits(e.Inputs)
	case CacheResult:
		return fmt.Sprintf("CacheResult{%d[%d] hit=%v %s}", e.Node, e.Item, e.Hit, lits(e.Outputs))
	case Reserved:
		return fmt.Sprintf("Reserved{%d[%d] #%d taken=%v until +%v}", e.Node, e.Item, e.Try, e.Taken, e.Until.Sub(t0))
	case Dispatched:
		return fmt.Sprintf("Dispatched{%d[%d] #%d %s}", e.Node, e.Item, e.Attempt, e.JobID)
	case AttemptStarted:
		return fmt.Sprintf("AttemptStarted{%d[%d] #%d}", e.Node, e.Item, e.Attempt)
	case AttemptSucceeded:
		return fmt.Sprintf("AttemptSucceeded{%d[%d] #%d %s}", e.Node, e.Item, e.Attempt, lits(e.Outputs))
	case AttemptFailed:
		return fmt.Sprintf("AttemptFailed{%d[%d] #%d %s}", e.Node, e.Item, e.Attempt, e.Kind)
	}
	return fmt.Sprintf("%T%+v", ev, ev)
}

func describeCommands(cmds []Command) string {
	var parts []string
	for _, c := range cmds {
		switch c := c.(type) {
		case Dispatch:
			parts = append(parts, fmt.Sprintf("Dispatch{%d %s[%d] #%d %s}", c.Node, c.NodeName, c.Item, c.Attempt, lits(c.Inputs)))
		case LookupCache:
			parts = append(parts, fmt.Sprintf("LookupCache{%d[%d]}", c.Node, c.Item))
		case WriteCatalog:
			parts = append(parts, fmt.Sprintf("WriteCatalog{%d[%d]}", c.Node, c.Item))
		case Wake:
			parts = append(parts, fmt.Sprintf("Wake{+%v}", c.At.Sub(t0)))
		default:
			parts = append(parts, fmt.Sprintf("%T%+v", c, c))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Regression tests for bugs the simulator found in Step.

// A duplicate Dispatched acknowledgement must change nothing, not even Seq
// (every event is idempotent), also when acks of several jobs for one
// attempt interleave.
func TestStepDuplicateDispatchedIsIdempotent(t *testing.T) {
	s, _ := chain3().start(t, Options{})
	ack := Dispatched{Node: 0, Item: -1, Attempt: 1, JobID: "j1"}
	s, _ = Step(s, ack, t0)
	before, _ := s.Encode()
	// The duplicate, and the ack of a second job for the attempt (after a
	// crash the shell submits the Dispatch again) in any order: the first
	// job acknowledged stays recorded.
	for _, ev := range []Event{ack, Dispatched{Node: 0, Item: -1, Attempt: 1, JobID: "j2"}, ack} {
		var cmds []Command
		s, cmds = Step(s, ev, t0)
		after, _ := s.Encode()
		if !bytes.Equal(before, after) || len(cmds) != 0 {
			t.Errorf("%+v changed the state (%d commands):\n%s\n%s", ev, len(cmds), before, after)
		}
	}
}

// When the run fails in the same step that readied other nodes, Step must
// not ask the shell to start (and then cancel) attempts the saved state
// already has aborted: a job would run for an ended run, and a redelivery
// after a crash would not start it, so the shell's behaviour would depend
// on whether it crashed.
func TestStepNoDispatchForAbortedAttempts(t *testing.T) {
	b := newBuilder()
	a := b.task("a", "t", lit(1))
	br := b.task("c.b0", "t", out(a))
	b.c.Nodes[br].Guard = &Guard{When: &Cond{Left: out(a), Op: ">", Right: lit(100)}}
	b.task("b", "t", out(a)) // readied with the branch, started before the select fails
	sel := int32(len(b.c.Nodes))
	b.c.Nodes = append(b.c.Nodes, Node{Name: "c", Kind: NodeSelect, Choices: []int32{br},
		Outputs: []Param{{Name: "y", Type: Type{Kind: KindInt}}}})
	b.dep(br, sel)
	s, _ := b.start(t, Options{})
	s, cmds := Step(s, AttemptSucceeded{Node: a, Item: -1, Attempt: 1, Outputs: ys(5)}, t0)
	if got, want := kinds(cmds), []string{"finish failed", "notify failed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("commands = %q, want %q", got, want)
	}
	if s.Phase != ExecFailed || s.Nodes[2].Phase != Aborted {
		t.Errorf("execution %s, b %s", s.Phase, s.Nodes[2].Phase)
	}
}

// A map node that fails while some of its items wait out a retry backoff
// must stop counting them as retrying; under run_to_completion the run goes
// on, and its Retrying count must stay the number of items retrying.
func TestStepFailedMapStopsRetrying(t *testing.T) {
	b := mapWF()
	b.task("other", "t", lit(1))
	b.c.FailurePolicy = RunToCompletion
	s, _ := b.start(t, Options{})
	s, _ = Step(s, AttemptFailed{Node: 0, Item: 0, Attempt: 1, Kind: ErrSystem}, t0)
	if s.Retrying != 1 {
		t.Fatalf("retrying = %d, want 1", s.Retrying)
	}
	s, _ = Step(s, AttemptFailed{Node: 0, Item: 1, Attempt: 1, Kind: ErrNoRetry}, t0)
	if s.Phase != ExecRunning || s.Nodes[0].Phase != Failed || s.Nodes[0].Items[0].Phase != Aborted {
		t.Fatalf("execution %s, map %s, item 0 %s", s.Phase, s.Nodes[0].Phase, s.Nodes[0].Items[0].Phase)
	}
	if s.Retrying != 0 {
		t.Errorf("retrying = %d after the map failed, want 0", s.Retrying)
	}
}

// An attempt may report that it started before the shell's acknowledgement
// of its submission arrives (events are not ordered); the job must still be
// recorded, or the shell could neither cancel it nor ask what became of it.
func TestStepAckAfterStart(t *testing.T) {
	s, _ := chain3().start(t, Options{})
	s, _ = Step(s, AttemptStarted{Node: 0, Item: -1, Attempt: 1}, t0)
	s, _ = Step(s, Dispatched{Node: 0, Item: -1, Attempt: 1, JobID: "j1"}, t0)
	if a := ActiveAttempts(s); len(a) != 1 || a[0].JobID != "j1" || a[0].Phase != Running {
		t.Fatalf("active attempts = %+v", a)
	}
	_, cmds := Step(s, CancelRequested{}, t0)
	if c, ok := cmds[0].(Cancel); !ok || c.JobID != "j1" {
		t.Errorf("cancel = %+v, want job j1", cmds[0])
	}
}
