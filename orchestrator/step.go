package orchestrator

import (
	"fmt"
	"time"
)

// Step applies one event to an execution's state and returns the new state
// and the commands its shell must carry out after persisting it. It does no
// I/O and reads no clock: time is now. Every event is idempotent: a stale or
// duplicate event returns the state unchanged and no commands.
//
// Step updates s.Nodes (and the node states inside it) in place: the State
// it returns shares that storage with s, so after the call s shows the new
// node phases next to its old Seq and Phase. Callers hand s over: they must
// not use it afterwards, nor share one State between goroutines. A caller
// that needs the old state too passes s.Clone() (or keeps its encoding, as
// persisting does).
//
// The cost of an event is proportional to what it touches (the node and its
// dependents), not to the size of the workflow.
func Step(s State, ev Event, now time.Time) (State, []Command) {
	if s.wf == nil {
		panic("orchestrator.Step: state has no compiled workflow (use NewState or DecodeState)")
	}
	m := machine{s: &s, wf: s.wf, now: now.UnixMilli()}
	switch e := ev.(type) {
	case ExecutionRequested:
		m.requested(e)
	case CacheResult:
		m.cacheResult(e)
	case Reserved:
		m.reserved(e)
	case Dispatched:
		m.dispatched(e)
	case AttemptStarted:
		m.started(e)
	case AttemptSucceeded:
		m.succeeded(e)
	case AttemptFailed:
		m.failed(e)
	case CancelRequested:
		m.cancel(e)
	case Tick:
		m.tick()
	}
	if m.changed {
		s.Seq++
	}
	return s, m.cmds
}

// machine is the working set of one Step call.
type machine struct {
	s       *State
	wf      *Compiled
	now     int64
	cmds    []Command
	changed bool
	ready   []int32 // nodes whose upstream all ended, to start
}

func (m *machine) emit(c Command) { m.cmds = append(m.cmds, c) }

func (m *machine) requested(e ExecutionRequested) {
	s := m.s
	if s.Phase != ExecPending {
		return
	}
	m.changed = true
	s.Phase = ExecRunning
	s.Started = m.now
	s.Inputs = e.Inputs
	if len(e.Reuse) == len(s.Nodes) {
		m.stashReuse(e.Reuse)
	}
	for i := range m.wf.Nodes {
		s.Nodes[i].Waiting = int32(len(m.wf.Nodes[i].Deps))
		if s.Nodes[i].Waiting == 0 {
			m.ready = append(m.ready, int32(i))
		}
	}
	m.drain()
	if len(m.wf.Nodes) == 0 {
		m.finish(ExecSucceeded, "")
	}
}

// item returns the state of a node, or of one item of a map node; nil if
// the reference is out of range.
func (m *machine) item(node int32, item int) *NodeState {
	if node < 0 || int(node) >= len(m.s.Nodes) {
		return nil
	}
	ns := &m.s.Nodes[node]
	if item < 0 {
		if m.wf.Nodes[node].Kind == NodeMap {
			return nil
		}
		return ns
	}
	if m.wf.Nodes[node].Kind != NodeMap || item >= len(ns.Items) {
		return nil
	}
	return &ns.Items[item]
}

func (m *machine) cacheResult(e CacheResult) {
	if m.s.Phase != ExecRunning {
		return
	}
	it := m.item(e.Node, e.Item)
	if it == nil {
		return
	}
	switch {
	case it.Phase == Waiting && e.Hit:
		// The holder of the reservation wrote the entry.
		m.s.Retrying--
	case it.Phase != CacheLookup || it.Missed && !e.Hit:
		// Stale, or a repeated miss while the reservation is asked for.
		return
	}
	m.changed = true
	if e.Hit {
		it.Phase = Cached
		it.Outputs = e.Outputs
		it.End = m.now
		m.itemEnded(e.Node, e.Item)
		return
	}
	it.Missed = true
	if e.Item < 0 {
		if t := m.wf.Tasks[m.wf.Nodes[e.Node].Task]; t.Cache != nil && t.Cache.Serialize {
			m.reserve(e.Node, e.Item, it)
			return
		}
		m.dispatch(e.Node, -1, it)
		return
	}
	it.Phase = Pending
	m.fillMap(e.Node)
}

// reserve asks for the reservation of a serialized node's cache key after a
// miss (Decision 33). The node stays in cache_lookup, marked Missed, until
// the answer; Tries tells a stale answer from the current one. Map items
// are not serialized.
func (m *machine) reserve(node int32, item int, it *NodeState) {
	it.Phase = CacheLookup
	it.Missed = true
	it.Tries++
	m.emit(Reserve{Node: node, Item: item, Try: it.Tries, Task: m.wf.Tasks[m.wf.Nodes[node].Task], Inputs: m.itemInputs(node, item)})
}

// reserved applies the answer to a Reserve: the node runs under the
// reservation, or waits for the holder's entry or the end of its lease.
func (m *machine) reserved(e Reserved) {
	if m.s.Phase != ExecRunning {
		return
	}
	it := m.item(e.Node, e.Item)
	if it == nil || it.Phase != CacheLookup || !it.Missed || it.Tries != e.Try {
		return
	}
	m.changed = true
	if e.Taken {
		it.Held = true
		m.dispatch(e.Node, e.Item, it)
		return
	}
	it.Phase = Waiting
	it.RetryAt = max(e.Until.UnixMilli(), m.now+1)
	m.s.Retrying++
	m.emit(Wake{At: time.UnixMilli(it.RetryAt).UTC()})
}

// release gives up the reservation a node that ended holds.
func (m *machine) release(node int32, item int, it *NodeState) {
	if it.Held {
		m.emit(Release{Node: node, Item: item, Task: m.wf.Tasks[m.wf.Nodes[node].Task], Inputs: m.itemInputs(node, item)})
	}
}

func (m *machine) dispatched(e Dispatched) {
	it := m.item(e.Node, e.Item)
	if it == nil || it.Attempt != e.Attempt || !it.Phase.Active() || m.s.Phase != ExecRunning || it.JobID != "" {
		return
	}
	m.changed = true
	it.JobID = e.JobID
	it.Target = e.Target
}

func (m *machine) started(e AttemptStarted) {
	it := m.item(e.Node, e.Item)
	if it == nil || it.Attempt != e.Attempt || m.s.Phase != ExecRunning || it.Phase != Queued && it.Phase != Running {
		return
	}
	if it.Phase == Queued {
		m.changed = true
		it.Phase = Running
		it.setTime(TimeStarted, m.now)
	}
	if e.Reclaims > it.Reclaims {
		m.changed = true
		it.Reclaims = e.Reclaims
	}
}

func (m *machine) succeeded(e AttemptSucceeded) {
	it := m.item(e.Node, e.Item)
	if it == nil || it.Attempt != e.Attempt || !it.Phase.Active() || m.s.Phase != ExecRunning {
		return
	}
	m.changed = true
	it.Phase = Succeeded
	it.Outputs = e.Outputs
	it.End = m.now
	it.setTime(TimeEnded, m.now)
	it.Err = ""
	n := &m.wf.Nodes[e.Node]
	if t := m.wf.Tasks[n.Task]; t != nil && t.Cache != nil && !m.s.NoCache {
		m.emit(WriteCatalog{Node: e.Node, Item: e.Item, Task: t, Inputs: m.itemInputs(e.Node, e.Item), Outputs: e.Outputs})
	}
	m.release(e.Node, e.Item, it)
	m.itemEnded(e.Node, e.Item)
}

func (m *machine) failed(e AttemptFailed) {
	it := m.item(e.Node, e.Item)
	if it == nil || it.Attempt != e.Attempt || !it.Phase.Active() || m.s.Phase != ExecRunning {
		return
	}
	m.changed = true
	it.setTime(TimeEnded, m.now)
	t := m.wf.Tasks[m.wf.Nodes[e.Node].Task]
	retry := false
	switch e.Kind {
	case ErrSystem:
		it.SysErrs++
		retry = it.SysErrs <= MaxSystemRetries
	case ErrNoRetry:
		it.UserErrs++
	default:
		it.UserErrs++
		retry = it.UserErrs <= t.Retries
	}
	it.Err = fmt.Sprintf("attempt %d: %s: %s", e.Attempt, e.Kind, e.Message)
	if retry {
		it.Phase = Retrying
		it.RetryAt = m.now + Backoff(it.UserErrs+it.SysErrs).Milliseconds()
		m.s.Retrying++
		m.emit(Wake{At: time.UnixMilli(it.RetryAt).UTC()})
		return
	}
	it.Phase = Failed
	it.End = m.now
	m.release(e.Node, e.Item, it)
	m.itemEnded(e.Node, e.Item)
}

func (m *machine) cancel(e CancelRequested) {
	if m.s.Phase.Terminal() {
		return
	}
	m.changed = true
	reason := e.Reason
	if reason == "" {
		reason = "cancelled"
	}
	m.abortAll(ExecAborted, reason)
}

func (m *machine) tick() {
	if m.s.Phase != ExecRunning || m.s.Retrying == 0 {
		return
	}
	var next int64
	for i := range m.s.Nodes {
		ns := &m.s.Nodes[i]
		if m.wf.Nodes[i].Kind == NodeMap && ns.Phase == Running {
			for j := range ns.Items {
				next = m.wakeItem(int32(i), j, &ns.Items[j], next)
			}
			continue
		}
		next = m.wakeItem(int32(i), -1, ns, next)
	}
	if next > 0 {
		m.emit(Wake{At: time.UnixMilli(next).UTC()})
	}
}

// wakeItem dispatches a retry whose backoff has elapsed, asks again for the
// reservation a waiting node waits for once the holder's lease ended, and
// returns the earliest wake still ahead.
func (m *machine) wakeItem(node int32, item int, it *NodeState, next int64) int64 {
	if it.Phase != Retrying && it.Phase != Waiting {
		return next
	}
	if it.RetryAt > m.now {
		if next == 0 || it.RetryAt < next {
			return it.RetryAt
		}
		return next
	}
	m.changed = true
	m.s.Retrying--
	if it.Phase == Waiting {
		m.reserve(node, item, it)
		return next
	}
	it.Attempt++
	it.Reclaims = 0
	m.queue(node, item, it)
	return next
}
