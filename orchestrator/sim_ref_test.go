package orchestrator

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// This file is the simulator's reference evaluator. It is written apart
// from the compiler (Decision 2): it reads the parsed Spec (WorkflowSpec,
// NodeSpec) and evaluates it recursively — a node's bindings, then its task
// function; a subworkflow by evaluating the inner workflow with the bound
// inputs; a map per zipped item; a conditional by taking the first branch
// whose condition holds. It shares with the compiler only the documented
// node names of the compiled form ("outer.inner" for inlined subworkflow
// nodes, "C.b0".. for the branches of conditional C), so that its
// expectations can be matched to what Step does.

// refNode is what the reference expects of one compiled node.
type refNode struct {
	kind    string             // task, map, branch, select
	inputs  map[string]Literal // task and branch nodes (when it runs)
	items   []map[string]Literal
	outputs map[string]Literal
	known   bool  // the inputs (and outputs) are known: every upstream value exists
	choice  int32 // select: 1 + index of the branch taken, 0 none
	ran     bool  // branch: taken
	// reused: the node's outputs come from the execution being recovered
	// (it must not run); reusedItems the same for map items.
	reused      bool
	reusedItems map[int]bool
	// waits lists what must have ended before the node starts: a node name
	// (it must be done), or a name ending in "." (every node under that
	// subworkflow prefix must have ended without failing).
	waits []string
}

// refResult is the reference evaluation of a run.
type refResult struct {
	outputs map[string]Literal
	known   bool     // every output is known
	errs    []string // why the run must fail (empty: it must succeed)
	nodes   map[string]*refNode
}

// rval is a value in the reference: a literal, whether it is known (its
// producer ran), and the compiled node that produced it ("" for literals
// and top-level inputs).
type rval struct {
	lit   Literal
	known bool
	from  string
}

// refFailed tells the reference which tasks failed for good in the run
// being checked: a task node (item -1) or a map item. nil: none.
type refFailed func(node string, item int) bool

type refEval struct {
	spec   *Spec
	failed refFailed
	// prior tells which task nodes and map items ended with outputs in the
	// execution being recovered (nil: a new execution). Their outputs are
	// reused where their inputs are known.
	prior refFailed
	res   *refResult
}

// referenceRun evaluates workflow top of spec on the given inputs.
func referenceRun(spec *Spec, top string, given map[string]Literal, failed refFailed) *refResult {
	return referenceRecover(spec, top, given, failed, nil)
}

// referenceRecover evaluates a recovery of an execution whose done task
// nodes and map items prior names: those keep their outputs (which, with
// the same inputs, are what the task gives) and do not fail.
func referenceRecover(spec *Spec, top string, given map[string]Literal, failed, prior refFailed) *refResult {
	e := &refEval{spec: spec, failed: failed, prior: prior, res: &refResult{nodes: map[string]*refNode{}}}
	wf := spec.Workflow(top)
	in := map[string]rval{}
	for _, p := range wf.Inputs {
		v, ok := given[p.Name]
		switch {
		case ok:
			v = refCoerce(v, p.Type)
		case p.Default != nil:
			v = *p.Default
		}
		in[p.Name] = rval{lit: v, known: true}
	}
	outs := e.workflow(wf, "", in, nil)
	e.res.outputs = map[string]Literal{}
	e.res.known = true
	for k, v := range outs {
		e.res.outputs[k] = v.lit
		e.res.known = e.res.known && v.known
	}
	return e.res
}

// wfRun is one instance of a workflow being evaluated.
type wfRun struct {
	e      *refEval
	wf     *WorkflowSpec
	prefix string
	inputs map[string]rval
	after  []string // waits of every node (after: on the subworkflow node)
	byName map[string]*NodeSpec
	done   map[string]*nodeVal
}

// nodeVal is an evaluated node: its outputs and what after: on it waits for.
type nodeVal struct {
	outs  map[string]rval
	sinks []string
}

func (e *refEval) workflow(wf *WorkflowSpec, prefix string, inputs map[string]rval, after []string) map[string]rval {
	w := &wfRun{e: e, wf: wf, prefix: prefix, inputs: inputs, after: after,
		byName: map[string]*NodeSpec{}, done: map[string]*nodeVal{}}
	for _, n := range wf.Nodes {
		w.byName[n.Name] = n
	}
	for _, n := range wf.Nodes {
		w.node(n.Name)
	}
	out := map[string]rval{}
	for _, o := range wf.Outputs {
		out[o.Name] = w.ref(o.Ref)
	}
	return out
}

func (w *wfRun) ref(r Ref) rval {
	if r.Node == "" {
		return w.inputs[r.Name]
	}
	v, ok := w.node(r.Node).outs[r.Name]
	if !ok {
		return rval{}
	}
	return v
}

// reused says whether a task node (item -1) or map item keeps its outputs
// from the execution being recovered.
func (e *refEval) reused(path string, item int) bool {
	return e.prior != nil && e.prior(path, item)
}

func (w *wfRun) fail(format string, args ...any) {
	w.e.res.errs = append(w.e.res.errs, fmt.Sprintf(format, args...))
}

// node evaluates a node (memoized); dependencies first.
func (w *wfRun) node(name string) *nodeVal {
	if v := w.done[name]; v != nil {
		return v
	}
	n := w.byName[name]
	path := w.prefix + n.Name
	after := slices.Clone(w.after)
	for _, a := range n.After {
		after = append(after, w.node(a.Value).sinks...)
	}
	var v *nodeVal
	switch {
	case n.Workflow.Value != "":
		v = w.subworkflow(n, path, after)
	case len(n.Branches) > 0:
		v = w.conditional(n, path, after)
	case n.Map.Value != "":
		v = w.mapNode(n, path, after)
	default:
		v = w.taskNode(n, path, after)
	}
	w.done[name] = v
	return v
}

func (w *wfRun) task(name string) *TaskSpec {
	for _, t := range w.wf.Tasks {
		if t.Name == name {
			return t
		}
	}
	return w.e.spec.Task(name)
}

// binding evaluates one binding of an input of type t.
func (w *wfRun) binding(b *BindingSpec, t Type) rval {
	if b.Ref != nil {
		return w.ref(*b.Ref)
	}
	l, err := ParseValue(t, b.Value)
	if err != nil {
		panic(fmt.Sprintf("reference: literal %v for %s: %v", b.Value, t, err))
	}
	return rval{lit: l, known: true}
}

// taskInputs gives a task's input values from bindings (over: the inputs
// bound to lists, item is the index into them), with task defaults for the
// rest, and the waits the references add.
func (w *wfRun) taskInputs(t *TaskSpec, inputs, over []*BindingSpec, item int, waits *[]string) (map[string]Literal, bool) {
	in := map[string]Literal{}
	known := true
	for _, p := range t.Inputs {
		var v rval
		if b := refBinding(over, p.Name); b != nil {
			v = w.binding(b, ListOf(p.Type))
			if v.known {
				v.lit = v.lit.List[item]
			}
		} else if b := refBinding(inputs, p.Name); b != nil {
			v = w.binding(b, p.Type)
		} else if p.Default != nil {
			v = rval{lit: *p.Default, known: true}
		} else {
			continue
		}
		if v.from != "" && waits != nil {
			*waits = append(*waits, v.from)
		}
		known = known && v.known
		in[p.Name] = refCoerce(v.lit, p.Type)
	}
	return in, known
}

func refBinding(bs []*BindingSpec, name string) *BindingSpec {
	for _, b := range bs {
		if b.Input == name {
			return b
		}
	}
	return nil
}

// refCoerce converts an int to a float where a float is expected.
func refCoerce(l Literal, t Type) Literal {
	if l.Kind == KindInt && t.Kind == KindFloat {
		return Float(float64(l.Int))
	}
	if l.Kind == KindList && t.Kind == KindList {
		out := make([]Literal, len(l.List))
		for i, e := range l.List {
			out[i] = refCoerce(e, *t.Elem)
		}
		return List(out...)
	}
	return l
}

func taskParams(t *TaskSpec) []Param {
	out := make([]Param, len(t.Outputs))
	for i, p := range t.Outputs {
		out[i] = Param{Name: p.Name, Type: p.Type}
	}
	return out
}

func taskID(t *TaskSpec) string { return t.Command[1].Value }

func (w *wfRun) outputs(t *TaskSpec, in map[string]Literal, known bool, from string) map[string]rval {
	out := map[string]rval{}
	var vals map[string]Literal
	if known {
		vals = simTask(taskID(t), taskParams(t), in)
	}
	for _, p := range t.Outputs {
		out[p.Name] = rval{lit: vals[p.Name], known: known, from: from}
	}
	return out
}

func (w *wfRun) taskNode(n *NodeSpec, path string, after []string) *nodeVal {
	t := w.task(n.Task.Value)
	waits := slices.Clone(after)
	in, known := w.taskInputs(t, n.Inputs, nil, -1, &waits)
	reused := known && w.e.reused(path, -1)
	if !reused && known && w.e.failed != nil && w.e.failed(path, -1) {
		w.fail("task node %s failed", path)
		known = false
	}
	out := w.outputs(t, in, known, path)
	rn := &refNode{kind: "task", inputs: in, known: known, waits: waits, outputs: map[string]Literal{}, reused: reused}
	for k, v := range out {
		rn.outputs[k] = v.lit
	}
	w.e.res.nodes[path] = rn
	return &nodeVal{outs: out, sinks: []string{path}}
}

func (w *wfRun) mapNode(n *NodeSpec, path string, after []string) *nodeVal {
	t := w.task(n.Map.Value)
	waits := slices.Clone(after)
	rn := &refNode{kind: "map", waits: waits}
	w.e.res.nodes[path] = rn
	known, size := true, -1
	for _, b := range n.Over {
		p := t.Inputs[slices.IndexFunc(t.Inputs, func(p *ParamSpec) bool { return p.Name == b.Input })]
		v := w.binding(b, ListOf(p.Type))
		if v.from != "" {
			rn.waits = append(rn.waits, v.from)
		}
		if !v.known {
			known = false
			continue
		}
		if size >= 0 && len(v.lit.List) != size {
			w.fail("map node %s zips lists of lengths %d and %d", path, size, len(v.lit.List))
			known = false
		}
		size = len(v.lit.List)
	}
	_, inKnown := w.taskInputs(t, n.Inputs, nil, -1, &rn.waits) // the fixed inputs, for their waits
	known = known && inKnown
	outs := map[string]rval{}
	if !known {
		for _, p := range t.Outputs {
			outs[p.Name] = rval{from: path}
		}
		return &nodeVal{outs: outs, sinks: []string{path}}
	}
	lists := map[string][]Literal{}
	for _, p := range t.Outputs {
		lists[p.Name] = []Literal{}
	}
	failed := 0
	for j := range size {
		in, _ := w.taskInputs(t, n.Inputs, n.Over, j, nil)
		rn.items = append(rn.items, in)
		if w.e.reused(path, j) {
			if rn.reusedItems == nil {
				rn.reusedItems = map[int]bool{}
			}
			rn.reusedItems[j] = true
		} else if w.e.failed != nil && w.e.failed(path, j) {
			failed++
			for _, p := range t.Outputs {
				lists[p.Name] = append(lists[p.Name], Literal{})
			}
			continue
		}
		vals := simTask(taskID(t), taskParams(t), in)
		for _, p := range t.Outputs {
			lists[p.Name] = append(lists[p.Name], vals[p.Name])
		}
	}
	ratio := n.MinSuccessRatio
	if ratio <= 0 || ratio > 1 {
		ratio = 1
	}
	if need := int(math.Ceil(ratio*float64(size) - 1e-9)); size-failed < need {
		w.fail("map node %s: %d of %d items failed, ratio %g", path, failed, size, ratio)
		known = false
	}
	rn.known = known
	rn.outputs = map[string]Literal{}
	for _, p := range t.Outputs {
		l := List(lists[p.Name]...)
		rn.outputs[p.Name] = l
		outs[p.Name] = rval{lit: l, known: known, from: path}
	}
	return &nodeVal{outs: outs, sinks: []string{path}}
}

func (w *wfRun) operand(o Operand) rval {
	if o.Ref != nil {
		return w.ref(*o.Ref)
	}
	switch v := o.Value.(type) {
	case int64:
		return rval{lit: Int(v), known: true}
	case float64:
		return rval{lit: Float(v), known: true}
	case bool:
		return rval{lit: Bool(v), known: true}
	case string:
		return rval{lit: String(v), known: true}
	}
	panic(fmt.Sprintf("reference: operand %#v", o.Value))
}

// holds evaluates a comparison of two numbers (or two strings).
func holds(op string, a, b Literal) bool {
	num := func(l Literal) float64 {
		if l.Kind == KindInt {
			return float64(l.Int)
		}
		return l.Flt
	}
	var c int
	if a.Kind == KindString && b.Kind == KindString {
		c = strings.Compare(a.Str, b.Str)
	} else if x, y := num(a), num(b); x < y {
		c = -1
	} else if x > y {
		c = 1
	}
	switch op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	panic("reference: operator " + op)
}

func (w *wfRun) conditional(n *NodeSpec, path string, after []string) *nodeVal {
	sel := &refNode{kind: "select", known: true}
	w.e.res.nodes[path] = sel
	condWaits := slices.Clone(after)
	known, taken := true, -1
	var first *TaskSpec
	var outs map[string]rval
	for i, b := range n.Branches {
		bpath := path + ".b" + strconv.Itoa(i)
		sel.waits = append(sel.waits, bpath)
		t := w.task(b.Task.Value)
		if first == nil {
			first = t
		}
		cond := true
		if b.When != nil {
			l, r := w.operand(b.When.Left), w.operand(b.When.Right)
			for _, v := range []rval{l, r} {
				if v.from != "" {
					condWaits = append(condWaits, v.from)
				}
				// Once a branch is taken, later conditions do not matter.
				known = known && (v.known || taken >= 0)
			}
			cond = known && taken < 0 && holds(b.When.Op, l.lit, r.lit)
		}
		waits := slices.Clone(condWaits)
		in, inKnown := w.taskInputs(t, b.Inputs, nil, -1, &waits)
		rn := &refNode{kind: "branch", inputs: in, waits: waits}
		w.e.res.nodes[bpath] = rn
		if !known || taken >= 0 || !cond {
			continue
		}
		taken = i
		rn.ran = true
		rn.known = inKnown
		rn.reused = inKnown && w.e.reused(bpath, -1)
		if !rn.reused && inKnown && w.e.failed != nil && w.e.failed(bpath, -1) {
			w.fail("branch %s failed", bpath)
			rn.known = false
		}
		outs = w.outputs(t, in, rn.known, path)
		rn.outputs = map[string]Literal{}
		for k, v := range outs {
			rn.outputs[k] = v.lit
		}
		sel.known = rn.known
	}
	if known && taken < 0 {
		w.fail("conditional %s: no branch condition held", path)
	}
	if !known || taken < 0 {
		sel.known = false
		outs = w.outputs(first, nil, false, path)
	}
	sel.choice = int32(taken + 1)
	sel.outputs = map[string]Literal{}
	for k, v := range outs {
		v.from = path
		outs[k] = v
		sel.outputs[k] = v.lit
	}
	return &nodeVal{outs: outs, sinks: []string{path}}
}

func (w *wfRun) subworkflow(n *NodeSpec, path string, after []string) *nodeVal {
	sub := w.e.spec.Workflow(n.Workflow.Value)
	in := map[string]rval{}
	for _, p := range sub.Inputs {
		switch b := refBinding(n.Inputs, p.Name); {
		case b != nil:
			v := w.binding(b, p.Type)
			v.lit = refCoerce(v.lit, p.Type)
			in[p.Name] = v
		case p.Default != nil:
			in[p.Name] = rval{lit: *p.Default, known: true}
		default:
			in[p.Name] = rval{known: true}
		}
	}
	outs := w.e.workflow(sub, path+".", in, after)
	return &nodeVal{outs: outs, sinks: []string{path + "."}}
}
