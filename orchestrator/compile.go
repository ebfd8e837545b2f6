package orchestrator

import (
	"container/heap"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
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

// taskNode builds a task or map node.
func (c *compiler) taskNode(ni *nodeInfo, sc *scope, after []int32) *flatNode {
	n := ni.spec
	fn := &flatNode{deps: after}
	fn.node = Node{Name: sc.prefix + n.Name, Task: c.keys[ni.task], Outputs: params(ni.task.spec.Outputs)}
	var over []string
	for _, p := range ni.task.tmpl.Inputs {
		want, b := p.Type, bindingFor(n.Over, p.Name)
		if b != nil {
			want = ListOf(p.Type)
			over = append(over, p.Name)
		} else {
			b = bindingFor(n.Inputs, p.Name)
		}
		c.bind(&fn.node, sc, p, b, want)
	}
	if n.Map.Value != "" {
		fn.node.Kind = NodeMap
		fn.node.Over = over
		fn.node.Concurrency = n.Concurrency
		if n.MinSuccessRatio < 1 {
			fn.node.MinSuccessRatio = n.MinSuccessRatio
		}
		for i := range fn.node.Outputs {
			fn.node.Outputs[i].Type = ni.outputs[fn.node.Outputs[i].Name].t
		}
	}
	return fn
}

// bind adds the binding of task input p (from b, else its default) to node.
func (c *compiler) bind(node *Node, sc *scope, p Param, b *BindingSpec, want Type) {
	var s source
	switch {
	case b != nil && b.Ref != nil:
		s = c.resolve(sc, b.Ref, want)
	case b != nil:
		s = literalSource(b.lit)
	case p.Default != nil:
		s = literalSource(*p.Default)
	default:
		return
	}
	if !s.none {
		node.Inputs = append(node.Inputs, Bind{Input: p.Name, From: s.src})
	}
}

func literalSource(l Literal) source {
	if l.IsNone() {
		return source{none: true}
	}
	return source{src: Source{Kind: FromLiteral, Lit: &l}, t: Type{Kind: l.Kind}}
}

// resolve finds the source of a reference in a scope; a literal that
// reaches a binding is converted to want (Kind KindNone: as it is).
func (c *compiler) resolve(sc *scope, r *Ref, want Type) source {
	var s source
	if r.Node == "" {
		s = sc.inputs[r.Name]
	} else if in := sc.nodes[r.Node]; in.id >= 0 {
		return source{src: Source{Kind: FromNode, Node: in.id, Output: r.Name}}
	} else {
		s = in.outs[r.Name]
	}
	if s.src.Kind == FromLiteral && s.src.Lit != nil && want.Kind != KindNone {
		l := coerceTo(*s.src.Lit, want)
		s.src.Lit = &l
	}
	return s
}

// subworkflow inlines a subworkflow node: its nodes become "node.inner",
// its inputs take the outer bindings, and its outputs resolve to the inner
// sources.
func (c *compiler) subworkflow(ni *nodeInfo, sc *scope, after []int32) *inst {
	n, sub := ni.spec, ni.sub
	inner := &scope{
		prefix: sc.prefix + n.Name + ".",
		inputs: make(map[string]source, len(sub.spec.Inputs)),
		nodes:  make(map[string]*inst, len(sub.spec.Nodes)),
		after:  after,
	}
	for _, p := range sub.spec.Inputs {
		switch b := bindingFor(n.Inputs, p.Name); {
		case b != nil && b.Ref != nil:
			inner.inputs[p.Name] = c.resolve(sc, b.Ref, p.Type)
		case b != nil:
			inner.inputs[p.Name] = literalSource(b.lit)
		case p.Default != nil:
			inner.inputs[p.Name] = literalSource(*p.Default)
		default:
			inner.inputs[p.Name] = source{none: true}
		}
	}
	start := int32(len(c.nodes))
	c.expand(sub, inner)
	in := &inst{id: -1, outs: make(map[string]source, len(sub.spec.Outputs))}
	for _, o := range sub.spec.Outputs {
		in.outs[o.Name] = c.resolve(inner, &o.Ref, Type{})
	}
	in.sinks = c.sinks(start, int32(len(c.nodes)))
	return in
}

// sinks are the nodes created in [start, end) that no other node of that
// range depends on.
func (c *compiler) sinks(start, end int32) []int32 {
	used := make([]bool, end-start)
	for _, fn := range c.nodes[start:end] {
		for _, d := range fn.deps {
			if d >= start && d < end {
				used[d-start] = true
			}
		}
	}
	var out []int32
	for i, u := range used {
		if !u {
			out = append(out, start+int32(i))
		}
	}
	return out
}

// conditional lowers a conditional node C to guarded branch nodes C.b0..
// and a select node C that takes the outputs of the branch that ran.
func (c *compiler) conditional(ni *nodeInfo, sc *scope, after []int32) *inst {
	n := ni.spec
	var conds []Cond
	var choices []int32
	for i, b := range n.Branches {
		t := ni.branches[i]
		fn := &flatNode{deps: slices.Clone(after)}
		fn.node = Node{Name: sc.prefix + n.Name + ".b" + strconv.Itoa(i), Task: c.keys[t], Outputs: params(t.spec.Outputs)}
		for _, p := range t.tmpl.Inputs {
			c.bind(&fn.node, sc, p, bindingFor(b.Inputs, p.Name), p.Type)
		}
		g := &Guard{Unless: slices.Clone(conds)}
		if b.When != nil {
			cond := Cond{Left: c.operand(sc, &b.When.Left), Op: b.When.Op, Right: c.operand(sc, &b.When.Right)}
			g.When = &cond
			conds = append(conds, cond)
		}
		fn.node.Guard = g
		choices = append(choices, c.add(fn))
	}
	sel := &flatNode{deps: slices.Clone(choices)}
	sel.node = Node{Name: sc.prefix + n.Name, Kind: NodeSelect, Choices: choices,
		Outputs: slices.Clone(c.nodes[choices[0]].node.Outputs)}
	id := c.add(sel)
	return &inst{id: id, sinks: []int32{id}}
}

func (c *compiler) operand(sc *scope, o *Operand) Source {
	if o.Ref != nil {
		return c.resolve(sc, o.Ref, Type{}).src
	}
	l := o.lit
	return Source{Kind: FromLiteral, Lit: &l}
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

// assignTaskKeys names every task the workflow uses (through its
// subworkflows too) in Compiled.Tasks. A task keeps its name unless another
// used task has the same one; then the root workflow's inline task (else
// the standalone task) keeps it and the others become "workflow.task"
// (a standalone one "task.standalone").
func (c *compiler) assignTaskKeys(root *wfInfo) {
	seen := map[*wfInfo]bool{}
	var used []*taskInfo
	var walk func(w *wfInfo)
	walk = func(w *wfInfo) {
		if seen[w] {
			return
		}
		seen[w] = true
		for _, n := range w.spec.Nodes {
			ni := w.nodes[n.Name]
			if ni.task != nil {
				used = append(used, ni.task)
			}
			used = append(used, ni.branches...)
			if ni.sub != nil {
				walk(ni.sub)
			}
		}
	}
	walk(root)
	byName := map[string][]*taskInfo{}
	for _, t := range used {
		if _, done := c.keys[t]; !done {
			c.keys[t] = ""
			byName[t.spec.Name] = append(byName[t.spec.Name], t)
		}
	}
	for name, group := range byName {
		rank := func(t *taskInfo) int {
			switch t.spec.Workflow {
			case root.spec.Name:
				return 0
			case "":
				return 1
			}
			return 2
		}
		sort.Slice(group, func(i, j int) bool { return rank(group[i]) < rank(group[j]) })
		for i, t := range group {
			key := name
			if i > 0 && t.spec.Workflow != "" {
				key = t.spec.Workflow + "." + name
			} else if i > 0 {
				key = name + ".standalone"
			}
			c.keys[t] = key
			c.tasks[key] = cloneTemplate(t.tmpl, key)
		}
	}
}

// cloneTemplate copies a template under a new name, so that compiled
// documents share nothing with the spec or each other.
func cloneTemplate(t *TaskTemplate, name string) *TaskTemplate {
	c := *t
	c.Name = name
	c.Command = slices.Clone(t.Command)
	c.Inputs = slices.Clone(t.Inputs)
	c.Outputs = slices.Clone(t.Outputs)
	if t.Env != nil {
		c.Env = maps.Clone(t.Env)
	}
	if t.Cache != nil {
		cache := *t.Cache
		cache.Ignore = slices.Clone(t.Cache.Ignore)
		c.Cache = &cache
	}
	if t.Build != nil {
		b := *t.Build
		c.Build = &b
	}
	return &c
}

// params converts declared parameters to the compiled form, sorted by name.
func params(ps []*ParamSpec) []Param {
	if len(ps) == 0 {
		return nil
	}
	out := make([]Param, len(ps))
	for i, p := range ps {
		out[i] = Param{Name: p.Name, Type: p.Type, Default: p.Default, Description: p.Description}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// template builds a task's TaskTemplate with the workflow defaults def (nil
// for a standalone task) applied: image or build, cache, retries, timeout,
// interruptible and target come from the task when it sets them, else from
// the defaults; resources and env merge key by key.
func (v *validator) template(t *TaskSpec, def *Settings, wf string) *TaskTemplate {
	var d Settings
	if def != nil {
		d = *def
	}
	s := t.Settings
	tmpl := &TaskTemplate{
		Name:    t.Name,
		Command: make([]string, len(t.Command)),
		Inputs:  params(t.Inputs),
		Outputs: params(t.Outputs),
		Dir:     t.Dir,
	}
	for i, a := range t.Command {
		tmpl.Command[i] = a.Value
	}
	img, build, owner := s.Image, s.Build, fmt.Sprintf("task %q", t.Name)
	if img == nil && build == nil {
		img, build, owner = d.Image, d.Build, fmt.Sprintf("defaults of workflow %q", wf)
	}
	switch {
	case img != nil && build != nil:
		v.d.hintf(build.Pos, "keep one: image: runs a ready image, build: makes one from a base and your code",
			"%s gives both image: and build:", owner)
	case img != nil:
		tmpl.Image = img.Value
	case build != nil:
		tmpl.Build = &Build{Base: build.Base, Code: build.Code}
	}
	tmpl.Resources = mergeResources(s.Resources, d.Resources)
	tmpl.Cache = v.cachePolicy(t, s.Cache, d.Cache, wf)
	tmpl.Retries = pick(s.Retries, d.Retries)
	tmpl.Timeout = pick(s.Timeout, d.Timeout)
	tmpl.Interruptible = pick(s.Interruptible, d.Interruptible)
	tmpl.Target = pick(s.Target, d.Target).Value
	if len(s.Env)+len(d.Env) > 0 {
		tmpl.Env = make(map[string]string, len(s.Env)+len(d.Env))
		for k, val := range d.Env {
			tmpl.Env[k] = val
		}
		for k, val := range s.Env {
			tmpl.Env[k] = val
		}
	}
	return tmpl
}

// pick returns *a, else *b, else the zero value.
func pick[T any](a, b *T) T {
	if a != nil {
		return *a
	}
	if b != nil {
		return *b
	}
	var zero T
	return zero
}

func mergeResources(own, def *ResourcesSpec) Resources {
	var a, b ResourcesSpec
	if own != nil {
		a = *own
	}
	if def != nil {
		b = *def
	}
	return Resources{
		CPUMilli:       pick(a.CPUMilli, b.CPUMilli),
		MemoryBytes:    pick(a.MemoryBytes, b.MemoryBytes),
		GPU:            pick(a.GPU, b.GPU),
		Accelerator:    pick(a.Accelerator, b.Accelerator),
		EphemeralBytes: pick(a.EphemeralBytes, b.EphemeralBytes),
	}
}

// cachePolicy merges a task's cache settings with the defaults' (the task's
// win field by field). Caching is on when the deciding cache: (the task's,
// else the defaults') is not turned off; it then needs a version.
func (v *validator) cachePolicy(t *TaskSpec, own, def *CacheSpec, wf string) *CachePolicy {
	c, where := own, fmt.Sprintf("task %q", t.Name)
	if c == nil {
		c, where = def, fmt.Sprintf("defaults of workflow %q", wf)
	}
	if c == nil || (c.Enabled != nil && !*c.Enabled) {
		return nil
	}
	var a, b CacheSpec
	if own != nil {
		a = *own
	}
	if def != nil {
		b = *def
	}
	version := pick(a.Version, b.Version)
	if version == "" {
		v.d.hintf(c.Pos, `add version: "1" (change it to invalidate cached results), or write cache: false`,
			"cache enabled without a version in %s", where)
		return nil
	}
	p := &CachePolicy{Version: version, Serialize: pick(a.Serialize, b.Serialize)}
	ignore := a.Ignore
	if ignore == nil {
		ignore = b.Ignore
	}
	for _, ig := range ignore {
		if slices.ContainsFunc(t.Inputs, func(p *ParamSpec) bool { return p.Name == ig.Value }) {
			p.Ignore = append(p.Ignore, ig.Value)
		}
	}
	slices.Sort(p.Ignore)
	p.Ignore = slices.Compact(p.Ignore)
	return p
}

// ResolveInputs gives the inputs of a run of c: the given values (ints
// converted where floats are expected), defaults for the rest, and the none
// value for optional inputs left out. It reports, all at once, unknown
// names, missing required inputs and values of the wrong type.
func ResolveInputs(c *Compiled, given map[string]Literal) (map[string]Literal, error) {
	var errs []error
	known := make([]string, len(c.Inputs))
	for i, p := range c.Inputs {
		known[i] = p.Name
	}
	for _, name := range sortedKeys(given) {
		if !slices.Contains(known, name) {
			errs = append(errs, fmt.Errorf("workflow %q has no input %q%s (its inputs: %s)",
				c.Name, name, didYouMean(name, known), strings.Join(known, ", ")))
		}
	}
	out := make(map[string]Literal, len(c.Inputs))
	for _, p := range c.Inputs {
		l, ok := given[p.Name]
		switch {
		case ok && !l.Conforms(p.Type):
			errs = append(errs, fmt.Errorf("input %q must be %s, got %s", p.Name, p.Type, describeLiteral(l)))
		case ok:
			out[p.Name] = coerceTo(l, p.Type)
		case p.Default != nil:
			out[p.Name] = *p.Default
		case p.Type.Optional:
			out[p.Name] = Literal{}
		default:
			errs = append(errs, fmt.Errorf("missing required input %q (%s)", p.Name, p.Type))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// describeLiteral renders a literal for messages: `string "abc"`, `list`.
func describeLiteral(l Literal) string {
	switch l.Kind {
	case KindNone:
		return "none"
	case KindList, KindMap:
		return l.Kind.String()
	}
	s := l.Text()
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return l.Kind.String() + " " + strconv.Quote(s)
}

// ResolveLaunchPlan returns the named launch plan with its input values
// typed by its workflow's inputs.
func (s *Spec) ResolveLaunchPlan(name string) (*LaunchPlan, error) {
	lp := s.launchPlans[name]
	if lp == nil {
		known := make([]string, 0, len(s.launchPlans))
		for n := range s.launchPlans {
			known = append(known, n)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("unknown launch plan %q%s", name, didYouMean(name, known))
	}
	out := &LaunchPlan{
		Name:     lp.Name,
		Workflow: lp.Workflow.Value,
		Fixed:    map[string]Literal{},
		Defaults: map[string]Literal{},
		Active:   lp.Active,
	}
	for _, b := range lp.FixedInputs {
		out.Fixed[b.Input] = b.lit
	}
	for _, b := range lp.DefaultInputs {
		out.Defaults[b.Input] = b.lit
	}
	if sc := lp.Schedule; sc != nil {
		out.Schedule, out.KickoffInput = sc.Canonical, sc.KickoffInput.Value
	}
	for _, t := range lp.Triggers {
		out.Triggers = append(out.Triggers, Trigger{Prefix: t.Prefix, Suffix: t.Suffix, Input: t.Input.Value})
	}
	for _, n := range lp.Notifications {
		on := make([]string, len(n.On))
		for i, o := range n.On {
			on[i] = o.Value
		}
		out.Notifications = append(out.Notifications, Notification{On: on, Target: n.Target})
	}
	return out, nil
}
