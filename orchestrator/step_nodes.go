package orchestrator

import (
	"fmt"
	"math"
)

// drain starts every node in the ready list, including nodes made ready by
// nodes that end at once (skipped, select).
func (m *machine) drain() {
	for len(m.ready) > 0 {
		n := m.ready[len(m.ready)-1]
		m.ready = m.ready[:len(m.ready)-1]
		if m.s.Phase != ExecRunning {
			return
		}
		m.startNode(n)
	}
}

// startNode begins a node whose upstream nodes have all ended.
func (m *machine) startNode(i int32) {
	n := &m.wf.Nodes[i]
	ns := &m.s.Nodes[i]
	if ns.Phase != Pending {
		return
	}
	ns.Start = m.now
	if n.Kind == NodeSelect {
		m.selectBranch(i)
		return
	}
	if why := m.upstreamProblem(n); why != "" {
		m.dropReuse(ns)
		m.endNode(i, Skipped, why)
		return
	}
	if n.Guard != nil && !m.guardHolds(n.Guard) {
		m.dropReuse(ns)
		m.endNode(i, Skipped, "branch not taken")
		return
	}
	if ns.Recovered {
		m.endNode(i, Succeeded, "")
		return
	}
	if n.Kind == NodeMap {
		m.startMap(i)
		return
	}
	m.lookupOrDispatch(i, -1, ns)
}

// upstreamProblem says why a node cannot run: an upstream node did not
// produce outputs.
func (m *machine) upstreamProblem(n *Node) string {
	for _, d := range n.Deps {
		if p := m.s.Nodes[d].Phase; !p.Done() {
			return fmt.Sprintf("upstream node %q %s", m.wf.Nodes[d].Name, p)
		}
	}
	return ""
}

func (m *machine) lookupOrDispatch(node int32, item int, it *NodeState) {
	t := m.wf.Tasks[m.wf.Nodes[node].Task]
	if t.Cache != nil && !m.s.NoCache && !m.s.OverwriteCache {
		it.Phase = CacheLookup
		m.emit(LookupCache{Node: node, Item: item, Task: t, Inputs: m.itemInputs(node, item)})
		return
	}
	it.Missed = true
	if item >= 0 {
		return // fillMap dispatches within the concurrency limit
	}
	m.dispatch(node, item, it)
}

// dispatch starts the first attempt.
func (m *machine) dispatch(node int32, item int, it *NodeState) {
	it.Attempt, it.Reclaims = 1, 0
	if item >= 0 {
		m.s.Nodes[node].Active++
	}
	m.queue(node, item, it)
}

// queue emits the Dispatch of the current attempt.
func (m *machine) queue(node int32, item int, it *NodeState) {
	n := &m.wf.Nodes[node]
	it.Phase = Queued
	it.JobID, it.Target = "", ""
	if it.Start == 0 {
		it.Start = m.now
	}
	it.setTime(TimeQueued, m.now)
	m.emit(Dispatch{Node: node, NodeName: n.Name, Item: item, Attempt: it.Attempt,
		Task: m.wf.Tasks[n.Task], Inputs: m.itemInputs(node, item)})
}

// itemEnded handles a node or map item reaching a terminal phase.
func (m *machine) itemEnded(node int32, item int) {
	if item < 0 {
		ns := &m.s.Nodes[node]
		if ns.Phase == Failed {
			m.nodeFailed(node)
			return
		}
		m.nodeEnded(node)
		return
	}
	ns := &m.s.Nodes[node]
	it := &ns.Items[item]
	if it.Attempt > 0 && it.Phase != Cached {
		ns.Active--
	}
	ns.Ended++
	m.finishMapIfDone(node)
}

// endNode puts a node in a terminal phase and releases its dependents.
func (m *machine) endNode(i int32, p Phase, why string) {
	ns := &m.s.Nodes[i]
	ns.Phase = p
	ns.End = m.now
	if why != "" {
		ns.Err = why
	}
	if p == Failed {
		m.nodeFailed(i)
		return
	}
	m.nodeEnded(i)
}

func (m *machine) nodeFailed(i int32) {
	if m.wf.FailurePolicy != RunToCompletion {
		m.abortAll(ExecFailed, fmt.Sprintf("node %q failed: %s", m.wf.Nodes[i].Name, m.s.Nodes[i].Err))
		return
	}
	m.nodeEnded(i)
}

// nodeEnded counts a terminal node and readies dependents whose upstream
// all ended. It costs O(out-degree).
func (m *machine) nodeEnded(i int32) {
	m.s.Done++
	for _, d := range m.wf.Nodes[i].Dependents {
		ds := &m.s.Nodes[d]
		ds.Waiting--
		if ds.Waiting == 0 && ds.Phase == Pending {
			m.ready = append(m.ready, d)
		}
	}
	m.drain()
	if m.s.Phase == ExecRunning && m.s.Done == len(m.s.Nodes) {
		m.complete()
	}
}

// complete ends a run whose nodes all ended.
func (m *machine) complete() {
	for i := range m.s.Nodes {
		if m.s.Nodes[i].Phase == Failed {
			m.finish(ExecFailed, fmt.Sprintf("node %q failed: %s", m.wf.Nodes[i].Name, m.s.Nodes[i].Err))
			return
		}
	}
	out := make(map[string]Literal, len(m.wf.Outputs))
	for _, o := range m.wf.Outputs {
		v, ok := m.resolve(o.From)
		if !ok {
			m.finish(ExecFailed, fmt.Sprintf("output %q: its node %q did not run (%s)",
				o.Name, m.wf.Nodes[o.From.Node].Name, m.s.Nodes[o.From.Node].Phase))
			return
		}
		out[o.Name] = v.Coerce(o.Type)
	}
	m.s.Outputs = out
	m.finish(ExecSucceeded, "")
}

func (m *machine) finish(p ExecPhase, msg string) {
	m.s.Phase = p
	m.s.Error = msg
	m.s.Ended = m.now
	m.emit(Finish{Phase: p, Outputs: m.s.Outputs, Error: msg})
	m.emit(Notify{Phase: p})
}

// abortAll ends the run: active attempts are cancelled, every node that has
// not ended is aborted.
func (m *machine) abortAll(p ExecPhase, msg string) {
	m.ready = m.ready[:0]
	for i := range m.s.Nodes {
		ns := &m.s.Nodes[i]
		if ns.Phase.Terminal() {
			continue
		}
		for j := range ns.Items {
			m.abortItem(int32(i), j, &ns.Items[j])
		}
		m.abortItem(int32(i), -1, ns)
	}
	m.dropStarted()
	m.s.Retrying = 0
	m.finish(p, msg)
}

// dropStarted removes the work this step started before the run ended:
// its dispatches (with the cancels abortItem emitted for them), cache
// lookups and reservation requests. Those attempts are aborted in the saved state, so the shell must
// not start them.
func (m *machine) dropStarted() {
	started := map[AttemptRef]bool{}
	for _, c := range m.cmds {
		if d, ok := c.(Dispatch); ok {
			started[AttemptRef{Node: d.Node, Item: d.Item, Attempt: d.Attempt}] = true
		}
	}
	kept := m.cmds[:0]
	for _, c := range m.cmds {
		switch c := c.(type) {
		case Dispatch, LookupCache, Reserve:
			continue
		case Cancel:
			if started[AttemptRef{Node: c.Node, Item: c.Item, Attempt: c.Attempt}] {
				continue
			}
		}
		kept = append(kept, c)
	}
	m.cmds = kept
}

func (m *machine) abortItem(node int32, item int, it *NodeState) {
	if it.Phase.Terminal() {
		return
	}
	if it.Phase.Active() && it.Attempt > 0 {
		m.emit(Cancel{Node: node, Item: item, Attempt: it.Attempt, JobID: it.JobID})
		it.setTime(TimeEnded, m.now)
	}
	if it.Phase == Retrying || it.Phase == Waiting {
		m.s.Retrying--
	}
	m.release(node, item, it)
	it.Phase = Aborted
	it.End = m.now
}

// resolve gives the value of a source, false if its node has no outputs.
func (m *machine) resolve(src Source) (Literal, bool) {
	switch src.Kind {
	case FromLiteral:
		if src.Lit == nil {
			return Literal{}, true
		}
		return *src.Lit, true
	case FromInput:
		return m.s.Inputs[src.Input], true
	}
	ns := &m.s.Nodes[src.Node]
	if !ns.Phase.Done() {
		return Literal{}, false
	}
	return ns.Outputs[src.Output], true
}

// itemInputs gives the inputs of a node, or of one map item (the zipped
// lists indexed).
func (m *machine) itemInputs(node int32, item int) map[string]Literal {
	n := &m.wf.Nodes[node]
	in := make(map[string]Literal, len(n.Inputs))
	t := m.wf.Tasks[n.Task]
	for _, b := range n.Inputs {
		v, _ := m.resolve(b.From)
		if item >= 0 && isOver(n, b.Input) && item < len(v.List) {
			v = v.List[item]
		}
		if t != nil {
			if p := paramOf(t.Inputs, b.Input); p != nil {
				v = v.Coerce(p.Type)
			}
		}
		in[b.Input] = v
	}
	return in
}

func isOver(n *Node, input string) bool {
	for _, o := range n.Over {
		if o == input {
			return true
		}
	}
	return false
}

func paramOf(ps []Param, name string) *Param {
	for i := range ps {
		if ps[i].Name == name {
			return &ps[i]
		}
	}
	return nil
}

// guardHolds evaluates a branch node's guard.
func (m *machine) guardHolds(g *Guard) bool {
	for _, c := range g.Unless {
		if m.condHolds(c) {
			return false
		}
	}
	return g.When == nil || m.condHolds(*g.When)
}

func (m *machine) condHolds(c Cond) bool {
	l, _ := m.resolve(c.Left)
	r, _ := m.resolve(c.Right)
	cmp, ok := Compare(l, r)
	if !ok {
		return c.Op == "!="
	}
	switch c.Op {
	case "==":
		return cmp == 0
	case "!=":
		return cmp != 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

// Compare orders two primitive literals; ok is false when they are not
// comparable (different kinds, or not primitive). Ints and floats compare
// numerically.
func Compare(a, b Literal) (int, bool) {
	num := func(l Literal) (float64, bool) {
		switch l.Kind {
		case KindInt:
			return float64(l.Int), true
		case KindFloat:
			return l.Flt, true
		}
		return 0, false
	}
	if x, ok := num(a); ok {
		y, ok := num(b)
		if !ok || math.IsNaN(x) || math.IsNaN(y) {
			return 0, false
		}
		return cmp3(x < y, x > y), true
	}
	if a.Kind != b.Kind {
		return 0, false
	}
	switch a.Kind {
	case KindString:
		return cmp3(a.Str < b.Str, a.Str > b.Str), true
	case KindBool:
		return cmp3(!a.Bool && b.Bool, a.Bool && !b.Bool), true
	case KindDatetime:
		return a.Time.Compare(b.Time), true
	case KindDuration:
		return cmp3(a.Dur < b.Dur, a.Dur > b.Dur), true
	}
	return 0, false
}

func cmp3(less, more bool) int {
	if less {
		return -1
	}
	if more {
		return 1
	}
	return 0
}

// selectBranch ends a conditional's select node with the outputs of the
// branch that ran.
func (m *machine) selectBranch(i int32) {
	n := &m.wf.Nodes[i]
	ns := &m.s.Nodes[i]
	for k, c := range n.Choices {
		cs := &m.s.Nodes[c]
		switch {
		case cs.Phase.Done():
			ns.Choice = int32(k) + 1
			ns.Outputs = cs.Outputs
			m.endNode(i, Succeeded, "")
			return
		case cs.Phase == Failed || cs.Phase == Aborted:
			m.endNode(i, Skipped, fmt.Sprintf("branch %q %s", m.wf.Nodes[c].Name, cs.Phase))
			return
		case cs.Phase == Skipped && cs.Err != "branch not taken":
			m.endNode(i, Skipped, cs.Err)
			return
		}
	}
	m.endNode(i, Failed, "no branch condition held and there is no otherwise branch")
}
