package orchestrator

import (
	"container/heap"
	"fmt"
	"slices"
)

// finish orders the nodes topologically (ties broken by name), renumbers
// every reference to a node, and fills Deps and Dependents.
func (c *compiler) finish(out *Compiled) error {
	n := len(c.nodes)
	indeg := make([]int32, n)
	dependents := make([][]int32, n)
	for i, fn := range c.nodes {
		indeg[i] = int32(len(fn.deps))
		for _, d := range fn.deps {
			dependents[d] = append(dependents[d], int32(i))
		}
	}
	h := &nameHeap{nodes: c.nodes}
	for i := range c.nodes {
		if indeg[i] == 0 {
			h.ids = append(h.ids, int32(i))
		}
	}
	heap.Init(h)
	newID := make([]int32, n)
	order := make([]int32, 0, n)
	for h.Len() > 0 {
		u := heap.Pop(h).(int32)
		newID[u] = int32(len(order))
		order = append(order, u)
		for _, s := range dependents[u] {
			if indeg[s]--; indeg[s] == 0 {
				heap.Push(h, s)
			}
		}
	}
	if len(order) != n {
		return fmt.Errorf("compile %q: the flattened graph has a cycle", out.Name)
	}
	out.Nodes = make([]Node, n)
	for k, old := range order {
		out.Nodes[k] = c.renumber(c.nodes[old], newID)
	}
	for k := range out.Nodes {
		for _, d := range out.Nodes[k].Deps {
			out.Nodes[d].Dependents = append(out.Nodes[d].Dependents, int32(k))
		}
	}
	for i := range out.Outputs {
		out.Outputs[i].From = renumberSource(out.Outputs[i].From, newID)
	}
	return nil
}

func (c *compiler) renumber(fn *flatNode, newID []int32) Node {
	nd := fn.node
	nd.Deps = make([]int32, len(fn.deps))
	for i, d := range fn.deps {
		nd.Deps[i] = newID[d]
	}
	slices.Sort(nd.Deps)
	if len(nd.Deps) == 0 {
		nd.Deps = nil
	}
	for i := range nd.Inputs {
		nd.Inputs[i].From = renumberSource(nd.Inputs[i].From, newID)
	}
	for i := range nd.Choices {
		nd.Choices[i] = newID[nd.Choices[i]]
	}
	if g := nd.Guard; g != nil {
		for i := range g.Unless {
			g.Unless[i] = renumberCond(g.Unless[i], newID)
		}
		if g.When != nil {
			w := renumberCond(*g.When, newID)
			g.When = &w
		}
	}
	return nd
}

func renumberCond(c Cond, newID []int32) Cond {
	c.Left, c.Right = renumberSource(c.Left, newID), renumberSource(c.Right, newID)
	return c
}

func renumberSource(s Source, newID []int32) Source {
	if s.Kind == FromNode {
		s.Node = newID[s.Node]
	}
	return s
}

// nameHeap is a min-heap of node ids ordered by node name.
type nameHeap struct {
	ids   []int32
	nodes []*flatNode
}

func (h *nameHeap) Len() int { return len(h.ids) }
func (h *nameHeap) Less(i, j int) bool {
	return h.nodes[h.ids[i]].node.Name < h.nodes[h.ids[j]].node.Name
}
func (h *nameHeap) Swap(i, j int) { h.ids[i], h.ids[j] = h.ids[j], h.ids[i] }
func (h *nameHeap) Push(x any)    { h.ids = append(h.ids, x.(int32)) }
func (h *nameHeap) Pop() any {
	x := h.ids[len(h.ids)-1]
	h.ids = h.ids[:len(h.ids)-1]
	return x
}
