package orchestrator

import (
	"fmt"
	"sort"
	"strings"
)

// lookupTask finds a task called from workflow w: inline first, then
// standalone.
func (v *validator) lookupTask(w *wfInfo, name Str, node string) *taskInfo {
	if t := w.tasks[name.Value]; t != nil {
		return v.ck.tasks[t]
	}
	if t := v.s.tasks[name.Value]; t != nil {
		return v.ck.tasks[t]
	}
	if name.Pos.Line == 0 {
		return nil
	}
	known := make([]string, 0, len(w.tasks)+len(v.s.tasks))
	for n := range w.tasks {
		known = append(known, n)
	}
	for n := range v.s.tasks {
		known = append(known, n)
	}
	sort.Strings(known)
	v.d.hintf(name.Pos, "define it under tasks: of the workflow or as a kind: Task document",
		"node %q calls unknown task %q%s", node, name.Value, didYouMean(name.Value, known))
	return nil
}

// resolveNode finds what a node calls and types its outputs.
func (v *validator) resolveNode(w *wfInfo, ni *nodeInfo) {
	n := ni.spec
	switch {
	case n.Task.Value != "":
		if ni.task = v.lookupTask(w, n.Task, n.Name); ni.task != nil {
			ni.outputs = taskOutputs(ni.task, fmt.Sprintf("output of node %q", n.Name))
		}
	case n.Map.Value != "":
		if ni.task = v.lookupTask(w, n.Map, n.Name); ni.task != nil {
			optional := n.MinSuccessRatio > 0 && n.MinSuccessRatio < 1
			ni.outputs = taskOutputs(ni.task, fmt.Sprintf("output of map node %q", n.Name))
			for _, o := range ni.outputs {
				if o.t.Kind != KindNone {
					e := o.t
					e.Optional = e.Optional || optional
					o.t = ListOf(e)
				}
			}
		}
	case n.Workflow.Value != "":
		v.resolveSubworkflow(w, ni)
	case len(n.Branches) > 0:
		v.resolveBranches(w, ni)
	}
}

func taskOutputs(t *taskInfo, from string) map[string]*vtype {
	out := make(map[string]*vtype, len(t.spec.Outputs))
	for _, p := range t.spec.Outputs {
		out[p.Name] = &vtype{t: p.Type, from: from, decl: p.Pos}
	}
	return out
}

func (v *validator) resolveSubworkflow(w *wfInfo, ni *nodeInfo) {
	n := ni.spec
	sub := v.s.workflows[n.Workflow.Value]
	if sub == nil {
		known := make([]string, 0, len(v.s.workflows))
		for name := range v.s.workflows {
			known = append(known, name)
		}
		sort.Strings(known)
		v.d.errorf(n.Workflow.Pos, "node %q calls unknown workflow %q%s", n.Name, n.Workflow.Value, didYouMean(n.Workflow.Value, known))
		return
	}
	ni.sub = v.ck.wfs[sub]
	if ni.sub.broken {
		return
	}
	v.workflow(ni.sub)
	ni.outputs = make(map[string]*vtype, len(ni.sub.outputs))
	for name, o := range ni.sub.outputs {
		ni.outputs[name] = &vtype{t: o.t, from: fmt.Sprintf("output of node %q", n.Name), decl: o.decl}
	}
}

// resolveBranches finds a conditional's branch tasks and checks that they
// all have the same outputs.
func (v *validator) resolveBranches(w *wfInfo, ni *nodeInfo) {
	n := ni.spec
	first := -1
	for i, b := range n.Branches {
		t := v.lookupTask(w, b.Task, n.Name)
		ni.branches = append(ni.branches, t)
		if t == nil {
			continue
		}
		if first < 0 {
			first = i
			ni.outputs = taskOutputs(t, fmt.Sprintf("output of conditional node %q", n.Name))
			continue
		}
		if a, b := outputSig(ni.branches[first]), outputSig(t); a != b {
			v.d.hintf(n.Branches[i].Task.Pos, "every branch must give the same outputs, so later nodes can use them",
				"branches of node %q differ: branch %d (task %q) gives %s but branch %d (task %q) gives %s",
				n.Name, first, n.Branches[first].Task.Value, a, i, n.Branches[i].Task.Value, b)
		}
	}
}

// outputSig renders a task's outputs as "{a: int, b: file}".
func outputSig(t *taskInfo) string {
	parts := make([]string, len(t.spec.Outputs))
	for i, p := range t.spec.Outputs {
		parts[i] = p.Name + ": " + p.Type.String()
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}

// refType resolves a reference in workflow w to its type, reporting unknown
// inputs, nodes and outputs. It returns nil when unknown.
func (v *validator) refType(w *wfInfo, r *Ref) *vtype {
	if r.Node == "" {
		if t := w.inTypes[r.Name]; t != nil {
			if t.t.Kind == KindNone {
				return nil // its type was invalid; already reported
			}
			return t
		}
		v.d.hintf(r.Pos, declaredHint("workflow "+quote(w.spec.Name), "inputs", w.in.names()),
			"%s refers to unknown input %q of workflow %q%s", r.Text, r.Name, w.spec.Name, didYouMean(r.Name, w.in.names()))
		return nil
	}
	ni := w.nodes[r.Node]
	if ni == nil {
		names := make([]string, 0, len(w.nodes))
		for name := range w.nodes {
			names = append(names, name)
		}
		sort.Strings(names)
		v.d.errorf(r.Pos, "%s refers to unknown node %q%s", r.Text, r.Node, didYouMean(r.Node, names))
		return nil
	}
	if ni.outputs == nil {
		return nil
	}
	o := ni.outputs[r.Name]
	if o == nil {
		names := make([]string, 0, len(ni.outputs))
		for name := range ni.outputs {
			names = append(names, name)
		}
		sort.Strings(names)
		v.d.hintf(r.Pos, declaredHint("node "+quote(r.Node), "outputs", names),
			"%s refers to unknown output %q of node %q%s", r.Text, r.Name, r.Node, didYouMean(r.Name, names))
		return nil
	}
	if o.t.Kind == KindNone {
		return nil
	}
	return o
}

// checkNode checks a node's bindings, conditions and after:, and records
// the nodes it depends on.
func (v *validator) checkNode(w *wfInfo, ni *nodeInfo) {
	n := ni.spec
	switch {
	case n.Task.Value != "":
		c := ni.task.callee()
		v.bindings(w, ni, n.Inputs, c, false)
		v.unbound(n.Pos, n.Name, c, n.Inputs)
	case n.Map.Value != "":
		v.checkMap(w, ni)
	case n.Workflow.Value != "":
		var c *callee
		if ni.sub != nil {
			c = &ni.sub.in
		}
		v.bindings(w, ni, n.Inputs, c, false)
		v.unbound(n.Pos, n.Name, c, n.Inputs)
	default:
		for i, b := range n.Branches {
			v.cond(w, ni, b.When)
			var c *callee
			if i < len(ni.branches) {
				c = ni.branches[i].callee()
			}
			v.bindings(w, ni, b.Inputs, c, false)
			v.unbound(b.Pos, n.Name, c, b.Inputs)
		}
	}
	for _, a := range n.After {
		if w.nodes[a.Value] == nil {
			v.d.errorf(a.Pos, "node %q runs after unknown node %q%s", n.Name, a.Value, didYouMean(a.Value, nodeNames(w)))
			continue
		}
		ni.deps = append(ni.deps, a.Value)
	}
}

// callee is the task's input interface, or nil for an unknown task.
func (t *taskInfo) callee() *callee {
	if t == nil {
		return nil
	}
	return &t.in
}

func nodeNames(w *wfInfo) []string {
	names := make([]string, len(w.spec.Nodes))
	for i, n := range w.spec.Nodes {
		names[i] = n.Name
	}
	sort.Strings(names)
	return names
}

// checkMap checks a map node: over: takes lists of the task's input types,
// inputs: fixed values; no input in both; literal lists of equal length.
func (v *validator) checkMap(w *wfInfo, ni *nodeInfo) {
	n := ni.spec
	c := ni.task.callee()
	v.bindings(w, ni, n.Over, c, true)
	v.bindings(w, ni, n.Inputs, c, false)
	for _, b := range n.Inputs {
		if bindingFor(n.Over, b.Input) != nil {
			v.d.errorf(b.Pos, "node %q binds input %q both in over: and inputs:", n.Name, b.Input)
		}
	}
	var first *BindingSpec
	for _, b := range n.Over {
		if b.Ref != nil || b.lit.Kind != KindList {
			continue
		}
		if first == nil {
			first = b
		} else if len(b.lit.List) != len(first.lit.List) {
			v.d.hintf(b.ValuePos, "a map node zips its over: lists item by item, so they must be equally long",
				"node %q maps over lists of different lengths: %q has %d items, %q has %d",
				n.Name, first.Input, len(first.lit.List), b.Input, len(b.lit.List))
		}
	}
	v.unbound(n.Pos, n.Name, c, n.Over, n.Inputs)
}
