package orchestrator

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// checked holds what validation learned about a spec; Compile reuses it.
type checked struct {
	tasks map[*TaskSpec]*taskInfo
	wfs   map[*WorkflowSpec]*wfInfo
}

// callee is the input interface of a task or workflow, for checking the
// bindings of a node that calls it.
type callee struct {
	what   string // `task "fit"` or `workflow "sub"`
	params []*ParamSpec
	byName map[string]*ParamSpec
}

func newCallee(what string, params []*ParamSpec) callee {
	c := callee{what: what, params: params, byName: make(map[string]*ParamSpec, len(params))}
	for _, p := range params {
		c.byName[p.Name] = p
	}
	return c
}

func (c callee) names() []string {
	out := make([]string, len(c.params))
	for i, p := range c.params {
		out[i] = p.Name
	}
	return out
}

type taskInfo struct {
	spec    *TaskSpec
	tmpl    *TaskTemplate // defaults applied
	in      callee
	outputs map[string]*ParamSpec
}

type wfInfo struct {
	spec    *WorkflowSpec
	in      callee
	inTypes map[string]*vtype
	tasks   map[string]*TaskSpec // inline tasks by name
	nodes   map[string]*nodeInfo
	order   []*nodeInfo       // dependencies first; nil when cyclic
	outputs map[string]*vtype // nil until typed
	broken  bool              // part of a subworkflow cycle
	state   int8              // 0 new, 1 typing, 2 typed
}

type nodeInfo struct {
	spec     *NodeSpec
	idx      int32       // position in the workflow's Nodes
	task     *taskInfo   // task and map nodes
	sub      *wfInfo     // subworkflow nodes
	branches []*taskInfo // conditional nodes (nil for an unknown task)
	outputs  map[string]*vtype
	deps     []string // nodes of the same workflow this one depends on
}

// vtype is the type of a value in a workflow and where it comes from. A
// Kind of KindNone means unknown (an error was already reported).
type vtype struct {
	t    Type
	from string // `output of node "split"`, `input of workflow "w"`
	decl Pos
}

type validator struct {
	s  *Spec
	d  *diagSink
	ck *checked
}

// validateSpec checks everything parse could not see locally: references,
// types across bindings, cycles, launch plans. It records its findings in
// s.checked.
func validateSpec(s *Spec, d *diagSink) {
	v := &validator{s: s, d: d, ck: &checked{tasks: map[*TaskSpec]*taskInfo{}, wfs: map[*WorkflowSpec]*wfInfo{}}}
	for _, t := range s.Tasks {
		v.ck.tasks[t] = v.task(t, nil, "")
	}
	for _, wf := range s.Workflows {
		v.ck.wfs[wf] = v.declare(wf)
	}
	v.workflowCycles()
	for _, wf := range s.Workflows {
		v.workflow(v.ck.wfs[wf])
	}
	for _, lp := range s.LaunchPlans {
		v.launchPlan(lp)
	}
	s.checked = v.ck
}

// declare indexes a workflow's inputs, inline tasks and nodes.
func (v *validator) declare(wf *WorkflowSpec) *wfInfo {
	w := &wfInfo{
		spec:    wf,
		in:      newCallee(fmt.Sprintf("workflow %q", wf.Name), wf.Inputs),
		inTypes: make(map[string]*vtype, len(wf.Inputs)),
		tasks:   make(map[string]*TaskSpec, len(wf.Tasks)),
		nodes:   make(map[string]*nodeInfo, len(wf.Nodes)),
	}
	for _, p := range wf.Inputs {
		w.inTypes[p.Name] = &vtype{t: p.Type, from: fmt.Sprintf("input of workflow %q", wf.Name), decl: p.Pos}
	}
	for _, t := range wf.Tasks {
		w.tasks[t.Name] = t
		v.ck.tasks[t] = v.task(t, &wf.Defaults, wf.Name)
	}
	for i, n := range wf.Nodes {
		w.nodes[n.Name] = &nodeInfo{spec: n, idx: int32(i)}
	}
	if len(wf.Nodes) == 0 {
		v.d.hintf(wf.Pos, "add nodes: {NAME: {task: TASK, inputs: {...}}}", "workflow %q has no nodes", wf.Name)
	}
	return w
}

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

// workflow types a workflow's nodes, checks their bindings and its graph,
// and types its outputs. Callees are typed first.
func (v *validator) workflow(w *wfInfo) {
	if w.state != 0 {
		return
	}
	w.state = 1
	for _, n := range w.spec.Nodes {
		v.resolveNode(w, w.nodes[n.Name])
	}
	for _, n := range w.spec.Nodes {
		v.checkNode(w, w.nodes[n.Name])
	}
	v.nodeGraph(w)
	w.outputs = make(map[string]*vtype, len(w.spec.Outputs))
	for _, o := range w.spec.Outputs {
		t := Type{}
		if src := v.refType(w, &o.Ref); src != nil {
			t = src.t
		}
		w.outputs[o.Name] = &vtype{t: t, decl: o.Pos}
	}
	w.state = 2
}

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

func declaredHint(owner, what string, names []string) string {
	if len(names) == 0 {
		return owner + " has no " + what
	}
	return owner + " has " + what + " " + strings.Join(names, ", ")
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

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

// bindings checks a node's bindings against the inputs of what it calls (c
// nil: unknown, so only the references are checked). over: the bindings of
// a map node's over:, which take lists of the input's type.
func (v *validator) bindings(w *wfInfo, ni *nodeInfo, bs []*BindingSpec, c *callee, over bool) {
	node := ni.spec.Name
	for _, b := range bs {
		if b.bad {
			continue
		}
		var p *ParamSpec
		if c != nil {
			if p = c.byName[b.Input]; p == nil {
				v.d.hintf(b.Pos, declaredHint(c.what, "inputs", c.names()),
					"node %q binds unknown input %q of %s%s", node, b.Input, c.what, didYouMean(b.Input, c.names()))
			} else if p.Type.Kind == KindNone {
				p = nil // its type was invalid; already reported
			}
		}
		if b.Ref == nil {
			if p != nil {
				v.checkLiteral(node, b, p, c, over)
			}
			continue
		}
		if b.Ref.Node != "" {
			ni.deps = append(ni.deps, b.Ref.Node)
		}
		if src := v.refType(w, b.Ref); src != nil && p != nil {
			v.checkRef(node, b, p, src, c, over)
		}
	}
}

func declaredAt(c *callee, p *ParamSpec) string {
	return fmt.Sprintf("%s declares input %q as %s at %s", c.what, p.Name, p.Type, p.Pos)
}

func (v *validator) checkRef(node string, b *BindingSpec, p *ParamSpec, src *vtype, c *callee, over bool) {
	if over {
		if src.t.Kind != KindList || src.t.Optional {
			v.d.hintf(b.ValuePos, "over: takes lists; give fixed values in inputs:",
				"node %q maps input %q over %q of type %s, which is not a list (%s, declared at %s)",
				node, b.Input, b.Ref.Text, src.t, src.from, src.decl)
		} else if !p.Type.AcceptsFrom(*src.t.Elem) {
			v.d.hintf(b.ValuePos, declaredAt(c, p),
				"node %q maps input %q of type %s over %q of type %s, whose items do not fit (%s, declared at %s)",
				node, b.Input, p.Type, b.Ref.Text, src.t, src.from, src.decl)
		}
		return
	}
	if p.Type.AcceptsFrom(src.t) {
		return
	}
	hint := declaredAt(c, p)
	if req := src.t; req.Optional {
		req.Optional = false
		if p.Type.AcceptsFrom(req) {
			hint = fmt.Sprintf("%s may be none; declare the input as %s? or bind a value that is never none", b.Ref.Text, p.Type)
		}
	}
	v.d.hintf(b.ValuePos, hint, "node %q binds input %q of type %s to %q of type %s (%s, declared at %s)",
		node, b.Input, p.Type, b.Ref.Text, src.t, src.from, src.decl)
}

func (v *validator) checkLiteral(node string, b *BindingSpec, p *ParamSpec, c *callee, over bool) {
	want := p.Type
	if over {
		want = ListOf(p.Type)
	}
	l, err := ParseValue(want, b.Value)
	if err != nil {
		v.d.hintf(b.ValuePos, declaredAt(c, p), "node %q input %q: %v", node, b.Input, err)
		return
	}
	b.lit = coerceTo(l, want)
}

// unbound reports required inputs of c that none of the bindings give.
func (v *validator) unbound(pos Pos, node string, c *callee, bound ...[]*BindingSpec) {
	if c == nil {
		return
	}
	for _, p := range c.params {
		if p.Default != nil || p.Type.Optional || p.Type.Kind == KindNone || isBound(p.Name, bound) {
			continue
		}
		v.d.hintf(pos, "bind it in inputs:, or give it a default in "+c.what,
			"node %q does not bind required input %q (%s) of %s", node, p.Name, p.Type, c.what)
	}
}

func isBound(name string, bound [][]*BindingSpec) bool {
	for _, bs := range bound {
		if bindingFor(bs, name) != nil {
			return true
		}
	}
	return false
}

func bindingFor(bs []*BindingSpec, input string) *BindingSpec {
	for _, b := range bs {
		if b.Input == input {
			return b
		}
	}
	return nil
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

// cond checks a branch condition: references exist and are primitive and
// never none, literals fit the other side, both sides compare.
func (v *validator) cond(w *wfInfo, ni *nodeInfo, c *CondSpec) {
	if c == nil {
		return
	}
	sides := [2]*Operand{&c.Left, &c.Right}
	var types [2]Type
	for i, o := range sides {
		if o.Ref == nil {
			continue
		}
		if o.Ref.Node != "" {
			ni.deps = append(ni.deps, o.Ref.Node)
		}
		src := v.refType(w, o.Ref)
		if src == nil {
			return
		}
		if !src.t.Kind.Primitive() || src.t.Optional {
			v.d.hintf(o.Pos, "conditions compare int, float, string, bool, datetime or duration values that are never none",
				"condition compares %s of type %s (%s)", o.Text, src.t, src.from)
			return
		}
		types[i] = src.t
	}
	for i, o := range sides {
		if o.Ref != nil {
			continue
		}
		t := literalType(o.Value)
		if other := types[1-i]; other.Kind != KindNone && !(isNumeric(t) && isNumeric(other)) {
			t = other
		}
		l, err := ParseValue(t, o.Value)
		if err != nil {
			v.d.errorf(o.Pos, "condition %q: %v", c.Text, err)
			return
		}
		if other := types[1-i]; other.Kind == KindFloat {
			l = l.Coerce(other)
		}
		o.lit, types[i] = l, t
	}
	a, b := types[0], types[1]
	switch {
	case !(isNumeric(a) && isNumeric(b)) && a.Kind != b.Kind:
		v.d.errorf(c.Pos, "condition %q compares %s with %s, which cannot be compared", c.Text, a, b)
	case a.Kind == KindBool && c.Op != "==" && c.Op != "!=":
		v.d.errorf(c.Pos, "condition %q orders bool values; bools compare only with == and !=", c.Text)
	}
}

func isNumeric(t Type) bool { return t.Kind == KindInt || t.Kind == KindFloat }

// literalType is the type of a condition literal: int, float, string or bool.
func literalType(v any) Type {
	switch v.(type) {
	case int64:
		return Type{Kind: KindInt}
	case float64:
		return Type{Kind: KindFloat}
	case bool:
		return Type{Kind: KindBool}
	}
	return Type{Kind: KindString}
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

// task checks a task's command templates and builds its template with the
// workflow defaults (def; nil for a standalone task) applied.
func (v *validator) task(t *TaskSpec, def *Settings, wf string) *taskInfo {
	ti := &taskInfo{spec: t, in: newCallee(fmt.Sprintf("task %q", t.Name), t.Inputs), outputs: map[string]*ParamSpec{}}
	outNames := make([]string, len(t.Outputs))
	for i, p := range t.Outputs {
		ti.outputs[p.Name] = p
		outNames[i] = p.Name
	}
	for _, r := range t.refs {
		names, kind := ti.in.names(), "input"
		if r.kind == "outputs" {
			names, kind = outNames, "output"
		}
		if !slices.Contains(names, r.name) {
			v.d.hintf(r.pos, declaredHint(ti.in.what, r.kind, names),
				"command of task %q refers to undeclared %s %q%s", t.Name, kind, r.name, didYouMean(r.name, names))
		}
	}
	if t.Cache != nil {
		for _, ig := range t.Cache.Ignore {
			if ti.in.byName[ig.Value] == nil {
				v.d.errorf(ig.Pos, "cache of task %q ignores unknown input %q%s", t.Name, ig.Value, didYouMean(ig.Value, ti.in.names()))
			}
		}
	}
	ti.tmpl = v.template(t, def, wf)
	return ti
}

// launchPlan checks a launch plan against its workflow and types its
// input values.
func (v *validator) launchPlan(lp *LaunchPlanSpec) {
	what := fmt.Sprintf("launch plan %q", lp.Name)
	wf := v.s.workflows[lp.Workflow.Value]
	if wf == nil {
		if lp.Workflow.Pos.Line > 0 {
			known := make([]string, 0, len(v.s.workflows))
			for name := range v.s.workflows {
				known = append(known, name)
			}
			sort.Strings(known)
			v.d.errorf(lp.Workflow.Pos, "%s runs unknown workflow %q%s", what, lp.Workflow.Value, didYouMean(lp.Workflow.Value, known))
		}
		return
	}
	w := v.ck.wfs[wf]
	v.planInputs(w, what, "fixed_inputs", lp.FixedInputs)
	v.planInputs(w, what, "default_inputs", lp.DefaultInputs)
	for _, b := range lp.DefaultInputs {
		if bindingFor(lp.FixedInputs, b.Input) != nil {
			v.d.hintf(b.Pos, "a fixed input cannot be overridden, so it has no default; keep one of them",
				"%s gives input %q both in fixed_inputs and default_inputs", what, b.Input)
		}
	}
	provided := func(name string) bool {
		return bindingFor(lp.FixedInputs, name) != nil || bindingFor(lp.DefaultInputs, name) != nil
	}
	if s := lp.Schedule; s != nil {
		ok := v.planInput(w, what, "kickoff_time_input", s.KickoffInput, KindDatetime, lp.FixedInputs)
		if ok && s.Canonical != "" {
			v.requireInputs(w, what, "its schedule", s.Pos, func(name string) bool {
				return provided(name) || name == s.KickoffInput.Value
			})
		}
	}
	for _, t := range lp.Triggers {
		ok := v.planInput(w, what, "trigger input", t.Input, KindFile, lp.FixedInputs)
		if ok && t.Input.Value != "" {
			v.requireInputs(w, what, "its trigger", t.Pos, func(name string) bool {
				return provided(name) || name == t.Input.Value
			})
		}
	}
}

// planInputs types fixed or default inputs by the workflow's inputs.
func (v *validator) planInputs(w *wfInfo, what, field string, bs []*BindingSpec) {
	for _, b := range bs {
		p := w.in.byName[b.Input]
		if p == nil {
			v.d.hintf(b.Pos, declaredHint(w.in.what, "inputs", w.in.names()),
				"%s: %s names unknown input %q%s", what, field, b.Input, didYouMean(b.Input, w.in.names()))
			continue
		}
		if b.bad || p.Type.Kind == KindNone {
			continue
		}
		l, err := ParseValue(p.Type, b.Value)
		if err != nil {
			v.d.hintf(b.ValuePos, declaredAt(&w.in, p), "%s: %s %q: %v", what, field, b.Input, err)
			continue
		}
		b.lit = coerceTo(l, p.Type)
	}
}

// planInput checks an input named by a schedule or trigger: it exists, has
// the kind, and is not fixed. It reports whether it is fine (or unset).
func (v *validator) planInput(w *wfInfo, what, field string, name Str, kind Kind, fixed []*BindingSpec) bool {
	if name.Value == "" {
		return true
	}
	p := w.in.byName[name.Value]
	switch {
	case p == nil:
		v.d.hintf(name.Pos, declaredHint(w.in.what, "inputs", w.in.names()),
			"%s: %s %q is not an input of workflow %q%s", what, field, name.Value, w.spec.Name, didYouMean(name.Value, w.in.names()))
	case p.Type.Kind != kind && p.Type.Kind != KindNone:
		v.d.hintf(name.Pos, declaredAt(&w.in, p), "%s: %s %q must be a %s input, not %s", what, field, name.Value, kind, p.Type)
	case bindingFor(fixed, name.Value) != nil:
		v.d.errorf(name.Pos, "%s: %s %q is also a fixed input", what, field, name.Value)
	default:
		return true
	}
	return false
}

// requireInputs reports required workflow inputs that a scheduled or
// triggered run would lack.
func (v *validator) requireInputs(w *wfInfo, what, by string, pos Pos, given func(string) bool) {
	for _, p := range w.spec.Inputs {
		if p.Default == nil && !p.Type.Optional && p.Type.Kind != KindNone && !given(p.Name) {
			v.d.hintf(pos, "give it in fixed_inputs or default_inputs, or a default in the workflow",
				"%s: runs started by %s lack required input %q (%s)", what, by, p.Name, p.Type)
		}
	}
}
