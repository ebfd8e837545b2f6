package orchestrator

import (
	"fmt"
	"math"
)

// startMap fans a map node out over its zipped lists.
func (m *machine) startMap(i int32) {
	n := &m.wf.Nodes[i]
	ns := &m.s.Nodes[i]
	size := -1
	for _, b := range n.Inputs {
		if !isOver(n, b.Input) {
			continue
		}
		v, _ := m.resolve(b.From)
		if size >= 0 && len(v.List) != size {
			m.endNode(i, Failed, fmt.Sprintf("map over lists of different lengths (%d and %d, input %q)", size, len(v.List), b.Input))
			return
		}
		size = len(v.List)
	}
	if size < 0 {
		size = 0
	}
	ns.Phase = Running
	if len(ns.Items) != size { // no items to reuse (or a list that changed)
		ns.Items = make([]NodeState, size)
	}
	if size == 0 {
		m.finishMapIfDone(i)
		return
	}
	for j := range ns.Items {
		it := &ns.Items[j]
		if it.Recovered {
			it.Phase, it.Start, it.End = Succeeded, m.now, m.now
			ns.Ended++
			continue
		}
		m.lookupOrDispatch(i, j, it)
	}
	m.finishMapIfDone(i)
}

// fillMap dispatches items whose cache lookup missed while the node has
// free concurrency slots.
func (m *machine) fillMap(i int32) {
	n := &m.wf.Nodes[i]
	ns := &m.s.Nodes[i]
	for j := range ns.Items {
		if n.Concurrency > 0 && int(ns.Active) >= n.Concurrency {
			return
		}
		it := &ns.Items[j]
		if it.Phase == Pending && it.Missed && it.Attempt == 0 {
			m.dispatch(i, j, it)
		}
	}
}

// finishMapIfDone ends a map node when all items ended, or fails it as soon
// as its success ratio can no longer be met.
func (m *machine) finishMapIfDone(i int32) {
	n := &m.wf.Nodes[i]
	ns := &m.s.Nodes[i]
	if ns.Phase.Terminal() {
		return
	}
	total := len(ns.Items)
	need := minSuccesses(n.MinSuccessRatio, total)
	failed := 0
	for j := range ns.Items {
		if p := ns.Items[j].Phase; p.Terminal() && !p.Done() {
			failed++
		}
	}
	if total-failed < need {
		for j := range ns.Items {
			m.abortItem(i, j, &ns.Items[j])
		}
		ns.Active = 0
		m.endNode(i, Failed, fmt.Sprintf("%d of %d items failed (min_success_ratio %g): %s", failed, total, ratioOr1(n.MinSuccessRatio), firstItemErr(ns)))
		return
	}
	if int(ns.Ended) < total {
		m.fillMap(i)
		return
	}
	out := make(map[string]Literal, len(n.Outputs))
	for _, p := range n.Outputs {
		list := make([]Literal, total)
		for j := range ns.Items {
			if ns.Items[j].Phase.Done() {
				list[j] = ns.Items[j].Outputs[p.Name]
			}
		}
		out[p.Name] = List(list...)
	}
	ns.Outputs = out
	m.endNode(i, Succeeded, "")
}

func minSuccesses(ratio float64, total int) int {
	return int(math.Ceil(ratioOr1(ratio)*float64(total) - 1e-9))
}

func ratioOr1(r float64) float64 {
	if r <= 0 {
		return 1
	}
	return r
}

func firstItemErr(ns *NodeState) string {
	for j := range ns.Items {
		if ns.Items[j].Phase == Failed {
			return fmt.Sprintf("item %d: %s", j, ns.Items[j].Err)
		}
	}
	return ""
}
