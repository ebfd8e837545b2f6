package orchestrator

import (
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Build asks for a task image that aloft builds: the Base image plus the
// Code directory (relative to the task's Dir) as a layer. A TaskTemplate
// has either Image or Build.
type Build struct {
	Base string `json:"base"`
	Code string `json:"code"`
}

// Compile lowers the named workflow of a spec (from Parse or ParseFiles) to
// the document Step executes: subworkflows inlined, map nodes and
// conditionals lowered, bindings resolved, nodes in a deterministic
// topological order. The same spec always gives the same bytes from
// Compiled.Encode.
func Compile(s *Spec, workflow string) (*Compiled, error) {
	if s.checked == nil {
		return nil, errors.New("compile: the spec was not validated; get it from Parse or ParseFiles")
	}
	wf := s.workflows[workflow]
	if wf == nil {
		known := make([]string, 0, len(s.workflows))
		for name := range s.workflows {
			known = append(known, name)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("compile: unknown workflow %q%s", workflow, didYouMean(workflow, known))
	}
	w := s.checked.wfs[wf]
	c := &compiler{root: w, keys: map[*taskInfo]string{}, tasks: map[string]*TaskTemplate{}}
	c.assignTaskKeys(w)
	sc := &scope{inputs: make(map[string]source, len(wf.Inputs)), nodes: make(map[string]*inst, len(wf.Nodes))}
	for _, p := range wf.Inputs {
		sc.inputs[p.Name] = source{src: Source{Kind: FromInput, Input: p.Name}, t: p.Type}
	}
	c.expand(w, sc)
	out := &Compiled{
		Version:       CompiledVersion,
		Name:          wf.Name,
		Inputs:        params(wf.Inputs),
		Tasks:         c.tasks,
		FailurePolicy: wf.FailurePolicy,
		Source:        wf.File,
	}
	for _, o := range wf.Outputs {
		out.Outputs = append(out.Outputs, Output{Name: o.Name, Type: w.outputs[o.Name].t, From: c.resolve(sc, &o.Ref, Type{}).src})
	}
	sort.Slice(out.Outputs, func(i, j int) bool { return out.Outputs[i].Name < out.Outputs[j].Name })
	if err := c.finish(out); err != nil {
		return nil, err
	}
	out.buildIndex()
	return out, nil
}

// compiler flattens a workflow into nodes, numbered in creation order until
// finish sorts them.
type compiler struct {
	root  *wfInfo
	nodes []*flatNode
	keys  map[*taskInfo]string // task -> key in Compiled.Tasks
	tasks map[string]*TaskTemplate
}

type flatNode struct {
	node Node
	deps []int32 // creation ids
}

// source is a resolved value and its type; none marks the none value of an
// optional input that was not bound (its bindings are left out).
type source struct {
	src  Source
	t    Type
	none bool
}

// scope is one instance of a workflow being inlined.
type scope struct {
	prefix string            // "" for the root, "outer." inside a subworkflow
	inputs map[string]source // the value of each workflow input here
	nodes  map[string]*inst
	after  []int32 // dependencies of every node (after: on the subworkflow node)
}

// inst is how a node of the scope is referred to once flattened.
type inst struct {
	id    int32             // the task, map or select node; -1 for a subworkflow
	outs  map[string]source // a subworkflow's outputs
	sinks []int32           // what after: on this node waits for
}

// expand flattens the nodes of workflow w into the scope, in dependency order.
func (c *compiler) expand(w *wfInfo, sc *scope) {
	for _, ni := range w.order {
		n := ni.spec
		after := slices.Clone(sc.after)
		for _, a := range n.After {
			after = append(after, sc.nodes[a.Value].sinks...)
		}
		var in *inst
		switch {
		case ni.sub != nil:
			in = c.subworkflow(ni, sc, after)
		case len(n.Branches) > 0:
			in = c.conditional(ni, sc, after)
		default:
			id := c.add(c.taskNode(ni, sc, after))
			in = &inst{id: id, sinks: []int32{id}}
		}
		sc.nodes[n.Name] = in
	}
}

// add appends a node, adding the dependencies its sources imply.
func (c *compiler) add(fn *flatNode) int32 {
	for _, b := range fn.node.Inputs {
		fn.deps = appendSourceDep(fn.deps, b.From)
	}
	if g := fn.node.Guard; g != nil {
		for _, cond := range g.Unless {
			fn.deps = appendSourceDep(appendSourceDep(fn.deps, cond.Left), cond.Right)
		}
		if g.When != nil {
			fn.deps = appendSourceDep(appendSourceDep(fn.deps, g.When.Left), g.When.Right)
		}
	}
	slices.Sort(fn.deps)
	fn.deps = slices.Compact(fn.deps)
	c.nodes = append(c.nodes, fn)
	return int32(len(c.nodes) - 1)
}

func appendSourceDep(deps []int32, s Source) []int32 {
	if s.Kind == FromNode {
		return append(deps, s.Node)
	}
	return deps
}
