package orchestrator

// stashReuse keeps, on the pending nodes of a recovering execution, the
// outputs of the task nodes and map items that ended with outputs in the
// execution it recovers; startNode and startMap use them instead of running
// the task. Select nodes are not stashed: they take their branch's outputs
// again.
func (m *machine) stashReuse(prior []NodeState) {
	for i := range m.wf.Nodes {
		n, p, ns := &m.wf.Nodes[i], &prior[i], &m.s.Nodes[i]
		switch {
		case n.Kind == NodeSelect:
		case p.Phase.Done():
			ns.Recovered = true
			ns.Outputs = cloneLiterals(p.Outputs)
			if n.Kind == NodeMap { // its items as they ended, for display
				ns.Items = cloneNodeStates(p.Items)
				ns.Ended = int32(len(p.Items))
				for j := range ns.Items {
					ns.Items[j].Recovered = ns.Items[j].Phase.Done()
				}
			}
		case n.Kind == NodeMap && len(p.Items) > 0:
			ns.Items = reusedItems(p.Items)
		}
	}
}

// reusedItems gives pending map items that hold the outputs of the prior
// items that ended with outputs.
func reusedItems(prior []NodeState) []NodeState {
	items := make([]NodeState, len(prior))
	for j := range prior {
		if prior[j].Phase.Done() {
			items[j] = NodeState{Recovered: true, Outputs: cloneLiterals(prior[j].Outputs)}
		}
	}
	return items
}

// dropReuse forgets the stashed outputs of a node that does not run.
func (m *machine) dropReuse(ns *NodeState) {
	ns.Recovered, ns.Outputs, ns.Items = false, nil, nil
}
