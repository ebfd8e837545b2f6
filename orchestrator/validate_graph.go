package orchestrator

import (
	"slices"
	"sort"
	"strings"
)

// workflowCycles reports workflows that call themselves through
// subworkflow nodes, and marks them broken.
func (v *validator) workflowCycles() {
	wfs := v.s.Workflows
	index := make(map[*WorkflowSpec]int32, len(wfs))
	for i, wf := range wfs {
		index[wf] = int32(i)
	}
	names := make([]string, len(wfs))
	adj := make([][]int32, len(wfs))
	calls := make([]map[int32]Pos, len(wfs)) // callee -> where it is called
	for i, wf := range wfs {
		names[i] = wf.Name
		calls[i] = map[int32]Pos{}
		for _, n := range wf.Nodes {
			if sub := v.s.workflows[n.Workflow.Value]; sub != nil && n.Workflow.Value != "" {
				j := index[sub]
				if _, ok := calls[i][j]; !ok {
					calls[i][j] = n.Workflow.Pos
					adj[i] = append(adj[i], j)
				}
			}
		}
	}
	if _, ok := topoOrder(adj); ok {
		return
	}
	for _, cyc := range findCycles(names, adj) {
		path := make([]string, len(cyc))
		for k, i := range cyc {
			path[k] = names[i]
			v.ck.wfs[wfs[i]].broken = true
		}
		v.d.hintf(calls[cyc[0]][cyc[1]], "a workflow cannot call itself, directly or through other workflows",
			"subworkflow cycle: %s", strings.Join(path, " -> "))
	}
}

// nodeGraph orders a workflow's nodes, dependencies first, and reports
// each cycle.
func (v *validator) nodeGraph(w *wfInfo) {
	nodes := w.spec.Nodes
	adj := make([][]int32, len(nodes)) // dependency -> dependents
	for i, n := range nodes {
		ni := w.nodes[n.Name]
		slices.Sort(ni.deps)
		ni.deps = slices.Compact(ni.deps)
		for _, d := range ni.deps {
			if dep := w.nodes[d]; dep != nil {
				adj[dep.idx] = append(adj[dep.idx], int32(i))
			}
		}
	}
	order, ok := topoOrder(adj)
	if ok {
		w.order = make([]*nodeInfo, len(order))
		for k, i := range order {
			w.order[k] = w.nodes[nodes[i].Name]
		}
		return
	}
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	for _, cyc := range findCycles(names, adj) {
		path := make([]string, len(cyc))
		for k, i := range cyc {
			path[k] = names[i]
		}
		v.d.hintf(nodes[cyc[0]].Pos, "nodes depend on each other through bindings, conditions and after:; one of them must not",
			"cycle: %s", strings.Join(path, " -> "))
	}
}

// topoOrder is Kahn's algorithm over adj (u -> its successors); ok is
// false when there is a cycle.
func topoOrder(adj [][]int32) (order []int32, ok bool) {
	indeg := make([]int32, len(adj))
	for _, succ := range adj {
		for _, s := range succ {
			indeg[s]++
		}
	}
	order = make([]int32, 0, len(adj))
	for i := range adj {
		if indeg[i] == 0 {
			order = append(order, int32(i))
		}
	}
	for k := 0; k < len(order); k++ {
		for _, s := range adj[order[k]] {
			if indeg[s]--; indeg[s] == 0 {
				order = append(order, s)
			}
		}
	}
	return order, len(order) == len(adj)
}

// findCycles returns one cycle per strongly connected component of adj
// that has one: a closed path (first == last) starting at the member whose
// name sorts first.
func findCycles(names []string, adj [][]int32) [][]int32 {
	var cycles [][]int32
	for _, comp := range sccs(adj) {
		if len(comp) == 1 && !slices.Contains(adj[comp[0]], comp[0]) {
			continue
		}
		in := make(map[int32]bool, len(comp))
		start := comp[0]
		for _, u := range comp {
			in[u] = true
			if names[u] < names[start] {
				start = u
			}
		}
		cycles = append(cycles, shortestCycle(start, adj, in))
	}
	sort.Slice(cycles, func(i, j int) bool { return names[cycles[i][0]] < names[cycles[j][0]] })
	return cycles
}

// shortestCycle finds, by breadth-first search inside the component in, a
// shortest path from start back to itself.
func shortestCycle(start int32, adj [][]int32, in map[int32]bool) []int32 {
	prev := map[int32]int32{}
	queue := []int32{start}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, s := range adj[u] {
			if !in[s] {
				continue
			}
			if s == start {
				path := []int32{start}
				for x := u; x != start; x = prev[x] {
					path = append(path, x)
				}
				path = append(path, start)
				slices.Reverse(path[1 : len(path)-1])
				return path
			}
			if _, seen := prev[s]; !seen {
				prev[s] = u
				queue = append(queue, s)
			}
		}
	}
	return []int32{start, start}
}

// sccs returns the strongly connected components of adj (Tarjan).
func sccs(adj [][]int32) [][]int32 {
	n := len(adj)
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int32
	var out [][]int32
	next := int32(0)
	var visit func(u int32)
	visit = func(u int32) {
		index[u], low[u] = next, next
		next++
		stack = append(stack, u)
		onStack[u] = true
		for _, s := range adj[u] {
			if index[s] < 0 {
				visit(s)
				low[u] = min(low[u], low[s])
			} else if onStack[s] {
				low[u] = min(low[u], index[s])
			}
		}
		if low[u] == index[u] {
			var comp []int32
			for {
				x := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[x] = false
				comp = append(comp, x)
				if x == u {
					break
				}
			}
			out = append(out, comp)
		}
	}
	for u := range adj {
		if index[u] < 0 {
			visit(int32(u))
		}
	}
	return out
}
