package orchestrator

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// This file generates the random workflows the simulator runs: spec YAML
// text (apiVersion aloft/v1) with task, map, conditional and subworkflow
// nodes, after: edges, workflow inputs with defaults and literal bindings,
// all from one seed. Tasks are abstract: a task is the pure function simTask
// of its command id and its input values, which the simulator computes
// instead of running anything.

// genSpec is one generated spec and the inputs a run of it is given.
type genSpec struct {
	yaml  string
	top   string             // the workflow to run
	given map[string]Literal // inputs given when the run is requested (the rest take defaults)
}

// Value categories of the generator: what a reference may be bound to.
const (
	catInt     = iota // int
	catOptInt         // int? (the optional workflow input)
	catFloat          // float
	catList           // list<int>
	catOptList        // list<int?> (outputs of lenient map nodes)
)

// gval is a value in scope: a {{...}} reference and its category.
type gval struct {
	ref string
	cat int
}

type gparam struct {
	name string
	typ  string // as written in the spec
	cat  int
	def  string // default as YAML, "" for none
}

type gout struct {
	name string
	cat  int // catInt or catList
}

// gshape is a task interface; every generated task has one of these.
type gshape struct {
	in   []gparam
	out  []gout
	over []string // inputs a map node may fan out over
}

var simShapes = []gshape{
	{out: []gout{{"y", catInt}, {"l", catList}}},                                              // 0 source
	{in: []gparam{{"a", "int", catInt, ""}}, out: []gout{{"y", catInt}}, over: []string{"a"}}, // 1 unary
	{in: []gparam{{"a", "int", catInt, ""}, {"b", "int", catInt, "7"}}, out: []gout{{"y", catInt}, {"z", catInt}}, // 2 binary
		over: []string{"a", "b"}},
	{in: []gparam{{"a", `"int?"`, catOptInt, ""}, {"b", `"int?"`, catOptInt, ""}}, out: []gout{{"y", catInt}}, over: []string{"a"}}, // 3 optional
	{in: []gparam{{"xs", `"list<int?>"`, catOptList, ""}, {"a", "int", catInt, "1"}}, out: []gout{{"y", catInt}, {"l", catList}}},   // 4 aggregate
	{in: []gparam{{"r", "float", catFloat, ""}, {"a", `"int?"`, catOptInt, ""}}, out: []gout{{"y", catInt}}, over: []string{"r"}},   // 5 float
}

// outSig groups shapes whose outputs match, as the branches of a
// conditional must.
func outSig(shape int) string {
	var parts []string
	for _, o := range simShapes[shape].out {
		parts = append(parts, o.name)
	}
	return strings.Join(parts, ",")
}

// gtask is a generated task.
type gtask struct {
	name    string
	id      string // command id, unique in the spec: the task function's name
	shape   int
	retries int
	cache   bool
}

// gwf is a generated workflow: a subworkflow sub<i> or the top one.
type gwf struct {
	name    string
	inputs  []gparam
	outputs []gout // name and category (catInt, catList, catOptList, ...)
	size    int    // nodes once compiled (subworkflows inlined)
	text    string
}

type generator struct {
	r     *rand.Rand
	ids   int
	tasks []gtask // standalone tasks
	subs  []*gwf
	b     strings.Builder
	top   []gparam // the top workflow's inputs
}

// generateSpec makes a random valid spec whose top workflow compiles to
// about size nodes (at least one, at most size).
func generateSpec(seed uint64, size int) *genSpec {
	g := &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for range 3 + g.r.IntN(5) {
		g.tasks = append(g.tasks, g.newTask(fmt.Sprintf("t%d", len(g.tasks))))
	}
	for _, t := range g.tasks {
		g.b.WriteString(g.taskDoc(t))
	}
	nsub := 0
	if size >= 4 {
		nsub = g.r.IntN(4)
	}
	for i := range nsub {
		budget := 1 + g.r.IntN(max(1, min(size/4, 25)))
		w := g.workflow(fmt.Sprintf("sub%d", i), false, budget)
		g.subs = append(g.subs, w)
		g.b.WriteString(w.text)
	}
	top := g.workflow("main", true, size)
	g.b.WriteString(top.text)
	return &genSpec{yaml: g.b.String(), top: "main", given: g.givenInputs()}
}

func (g *generator) newTask(name string) gtask {
	g.ids++
	return gtask{name: name, id: fmt.Sprintf("T%d", g.ids), shape: g.r.IntN(len(simShapes)),
		retries: g.r.IntN(3), cache: g.r.IntN(3) == 0}
}

// taskBody writes a task's interface, command and settings as flow YAML.
func (g *generator) taskBody(t gtask, inline bool) string {
	sh := simShapes[t.shape]
	var in, out, cmd []string
	cmd = append(cmd, "f", strconv.Quote(t.id))
	for _, p := range sh.in {
		if p.def != "" {
			in = append(in, fmt.Sprintf("%s: {type: %s, default: %s}", p.name, p.typ, p.def))
		} else {
			in = append(in, p.name+": "+p.typ)
		}
		cmd = append(cmd, strconv.Quote("{{inputs."+p.name+"}}"))
	}
	for _, o := range sh.out {
		typ := "int"
		if o.cat == catList {
			typ = "list<int>"
		}
		out = append(out, o.name+": "+typ)
		cmd = append(cmd, strconv.Quote("{{outputs."+o.name+"}}"))
	}
	sep := "\n"
	if inline {
		sep = ", "
	}
	var parts []string
	if len(in) > 0 {
		parts = append(parts, "inputs: {"+strings.Join(in, ", ")+"}")
	}
	parts = append(parts, "outputs: {"+strings.Join(out, ", ")+"}", "command: ["+strings.Join(cmd, ", ")+"]")
	// Inline tasks sometimes leave retries and cache to the workflow's defaults.
	if !inline || g.r.IntN(2) == 0 {
		parts = append(parts, "retries: "+strconv.Itoa(t.retries))
		if t.cache && t.retries == 1 {
			parts = append(parts, `cache: {version: "1", serialize: true}`)
		} else if t.cache {
			parts = append(parts, `cache: {version: "1"}`)
		} else if inline {
			parts = append(parts, "cache: false")
		}
	}
	return strings.Join(parts, sep)
}

func (g *generator) taskDoc(t gtask) string {
	return "apiVersion: aloft/v1\nkind: Task\nname: " + t.name + "\n" + g.taskBody(t, false) + "\n---\n"
}

// gscope is a workflow being generated.
type gscope struct {
	g      *generator
	vals   []gval
	names  []string // nodes so far
	tasks  []gtask  // tasks it may call: standalone and its inline ones
	subs   []*gwf   // subworkflows it may call
	size   int
	budget int
	lines  []string
}

func (g *generator) workflow(name string, top bool, budget int) *gwf {
	r := g.r
	w := &gwf{name: name}
	sc := &gscope{g: g, budget: budget, tasks: slices.Clone(g.tasks), subs: slices.Clone(g.subs)}
	if top {
		w.inputs = []gparam{{"k", "int", catInt, ""}, {"xs", "list<int>", catList, ""},
			{"rate", "float", catFloat, "0.5"}, {"opt", `"int?"`, catOptInt, ""}}
		if r.IntN(2) == 0 {
			w.inputs[0].def = strconv.Itoa(r.IntN(100))
		}
		if r.IntN(2) == 0 {
			w.inputs[1].def = g.intList(r.IntN(5), false)
		}
	} else {
		w.inputs = []gparam{{"p0", "int", catInt, ""}, {"p1", "int", catInt, strconv.Itoa(r.IntN(100))}}
		if r.IntN(2) == 0 {
			w.inputs = append(w.inputs, gparam{"pl", "list<int>", catList, g.intList(r.IntN(4), false)})
		}
		if r.IntN(3) == 0 {
			w.inputs = append(w.inputs, gparam{"pf", "float", catFloat, "1.5"})
		}
	}
	for _, p := range w.inputs {
		sc.vals = append(sc.vals, gval{"{{inputs." + p.name + "}}", p.cat})
	}
	var inline []gtask
	for i := range r.IntN(3) {
		// Inline task names may collide with standalone ones and with other
		// workflows' inline tasks: the compiler must keep them apart.
		t := g.newTask(fmt.Sprintf("t%d", r.IntN(len(g.tasks)+2)))
		if slices.ContainsFunc(inline, func(o gtask) bool { return o.name == t.name }) {
			t.name = fmt.Sprintf("i%d", i)
		}
		inline = append(inline, t)
	}
	for _, t := range inline {
		sc.tasks = slices.DeleteFunc(sc.tasks, func(o gtask) bool { return o.name == t.name })
		sc.tasks = append(sc.tasks, t)
	}
	for sc.size < sc.budget {
		sc.addNode()
	}
	w.size = sc.size
	if top {
		g.top = w.inputs
	}

	var out []string
	nout := 1 + r.IntN(4)
	for i := range nout {
		v := sc.vals[r.IntN(len(sc.vals))]
		if i == 0 && len(sc.vals) > len(w.inputs) {
			v = sc.vals[len(w.inputs)+r.IntN(len(sc.vals)-len(w.inputs))] // at least one node output
		}
		if !top && v.cat == catOptInt {
			continue
		}
		name := fmt.Sprintf("o%d", i)
		w.outputs = append(w.outputs, gout{name, v.cat})
		out = append(out, fmt.Sprintf("%s: %q", name, v.ref))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: aloft/v1\nkind: Workflow\nname: %s\n", name)
	var ins []string
	for _, p := range w.inputs {
		if p.def != "" {
			ins = append(ins, fmt.Sprintf("%s: {type: %s, default: %s}", p.name, p.typ, p.def))
		} else {
			ins = append(ins, p.name+": "+p.typ)
		}
	}
	fmt.Fprintf(&b, "inputs: {%s}\n", strings.Join(ins, ", "))
	fmt.Fprintf(&b, "outputs: {%s}\n", strings.Join(out, ", "))
	if top && r.IntN(4) == 0 {
		b.WriteString("failure_policy: run_to_completion\n")
	}
	if r.IntN(3) == 0 {
		retries := r.IntN(3)
		fmt.Fprintf(&b, "defaults: {retries: %d, cache: {version: \"2\", serialize: %v}}\n", retries, retries == 2)
	}
	if len(inline) > 0 {
		b.WriteString("tasks:\n")
		for _, t := range inline {
			fmt.Fprintf(&b, "  %s: {%s}\n", t.name, g.taskBody(t, true))
		}
	}
	b.WriteString("nodes:\n")
	for _, i := range r.Perm(len(sc.lines)) {
		b.WriteString(sc.lines[i])
	}
	b.WriteString("---\n")
	w.text = b.String()
	return w
}

// givenInputs are the top workflow's inputs given to a run: required ones
// always, the others sometimes (an int where a float is expected, too).
func (g *generator) givenInputs() map[string]Literal {
	r := g.r
	given := map[string]Literal{}
	if g.top[0].def == "" || r.IntN(2) == 0 {
		given["k"] = Int(int64(r.IntN(100)))
	}
	if g.top[1].def == "" || r.IntN(2) == 0 {
		n := r.IntN(6)
		l := make([]Literal, n)
		for i := range l {
			l[i] = Int(int64(r.IntN(100)))
		}
		given["xs"] = List(l...)
	}
	switch r.IntN(3) {
	case 0:
		given["rate"] = Int(2)
	case 1:
		given["rate"] = Float(0.25)
	}
	if r.IntN(2) == 0 {
		given["opt"] = Int(int64(r.IntN(100)))
	}
	return given
}

func (g *generator) intList(n int, nulls bool) string {
	parts := make([]string, n)
	for i := range parts {
		if nulls && g.r.IntN(4) == 0 {
			parts[i] = "null"
			continue
		}
		parts[i] = strconv.Itoa(g.r.IntN(100))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func (sc *gscope) pick(cats ...int) (gval, bool) {
	var ok []gval
	for _, v := range sc.vals {
		if slices.Contains(cats, v.cat) {
			ok = append(ok, v)
		}
	}
	if len(ok) == 0 {
		return gval{}, false
	}
	// Prefer recent values, so graphs grow deep as well as wide.
	i := len(ok) - 1 - min(len(ok)-1, int(sc.g.r.ExpFloat64()*4))
	if sc.g.r.IntN(3) == 0 {
		i = sc.g.r.IntN(len(ok))
	}
	return ok[i], true
}

// bind gives the value of a task input: a reference or a literal; "" leaves
// it unbound (only for optional inputs or inputs with a default).
func (sc *gscope) bind(p gparam) string {
	r := sc.g.r
	switch p.cat {
	case catInt:
		if p.def != "" && r.IntN(3) == 0 {
			return ""
		}
		if v, ok := sc.pick(catInt); ok && r.IntN(4) != 0 {
			return strconv.Quote(v.ref)
		}
		return strconv.Itoa(r.IntN(100))
	case catOptInt:
		switch r.IntN(5) {
		case 0:
			return ""
		case 1:
			return strconv.Itoa(r.IntN(100))
		}
		if v, ok := sc.pick(catInt, catOptInt); ok {
			return strconv.Quote(v.ref)
		}
		return ""
	case catFloat:
		switch r.IntN(4) {
		case 0:
			return "2.5"
		case 1:
			if v, ok := sc.pick(catFloat); ok {
				return strconv.Quote(v.ref)
			}
		}
		if v, ok := sc.pick(catInt); ok {
			return strconv.Quote(v.ref)
		}
		return "3"
	case catOptList:
		if v, ok := sc.pick(catList, catOptList); ok && r.IntN(4) != 0 {
			return strconv.Quote(v.ref)
		}
		return sc.g.intList(r.IntN(4), true)
	}
	panic("bind: category " + strconv.Itoa(p.cat))
}

func (sc *gscope) inputsOf(sh gshape, skip []string) string {
	var parts []string
	for _, p := range sh.in {
		if slices.Contains(skip, p.name) {
			continue
		}
		if v := sc.bind(p); v != "" {
			parts = append(parts, p.name+": "+v)
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// after sometimes adds after: edges from the node being added (the last
// name) to earlier nodes.
func (sc *gscope) after(line *string) {
	r := sc.g.r
	earlier := sc.names[:len(sc.names)-1]
	if len(earlier) == 0 || r.IntN(4) != 0 {
		return
	}
	var as []string
	for range 1 + r.IntN(2) {
		a := earlier[r.IntN(len(earlier))]
		if !slices.Contains(as, a) {
			as = append(as, a)
		}
	}
	*line += ", after: [" + strings.Join(as, ", ") + "]"
}

// addNode adds one node of a random kind that fits the budget.
func (sc *gscope) addNode() {
	r := sc.g.r
	left := sc.budget - sc.size
	switch k := r.IntN(10); {
	case k < 2 && sc.addMap():
	case k < 4 && left >= 2 && sc.addConditional(left):
	case k < 5 && sc.addSub(left):
	default:
		sc.addTask()
	}
}

func (sc *gscope) name(prefix string) string {
	n := fmt.Sprintf("%s%d", prefix, len(sc.names))
	sc.names = append(sc.names, n)
	return n
}

func (sc *gscope) addTask() {
	t := sc.tasks[sc.g.r.IntN(len(sc.tasks))]
	sh := simShapes[t.shape]
	name := sc.name("n")
	line := fmt.Sprintf("task: %s, inputs: %s", t.name, sc.inputsOf(sh, nil))
	sc.after(&line)
	sc.lines = append(sc.lines, fmt.Sprintf("  %s: {%s}\n", name, line))
	for _, o := range sh.out {
		sc.vals = append(sc.vals, gval{"{{" + name + "." + o.name + "}}", o.cat})
	}
	sc.size++
}

// addMap adds a map node over one (sometimes two, zipped) list inputs.
func (sc *gscope) addMap() bool {
	r := sc.g.r
	var cands []gtask
	for _, t := range sc.tasks {
		if len(simShapes[t.shape].over) > 0 {
			cands = append(cands, t)
		}
	}
	if len(cands) == 0 {
		return false
	}
	t := cands[r.IntN(len(cands))]
	sh := simShapes[t.shape]
	over := []string{sh.over[0]}
	if len(sh.over) > 1 && r.IntN(3) == 0 {
		over = append(over, sh.over[1])
	}
	var parts []string
	first := ""
	for i, in := range over {
		p := sh.in[slices.IndexFunc(sh.in, func(p gparam) bool { return p.name == in })]
		var val string
		switch {
		case i > 0:
			// Zip a list with itself (equal lengths), or rarely with another
			// list, whose length may differ: the map node then fails.
			val = first
			if v, ok := sc.pick(catList); ok && r.IntN(10) == 0 && strings.HasPrefix(first, `"`) {
				val = strconv.Quote(v.ref)
			}
		case p.cat == catFloat && r.IntN(3) == 0:
			val = "[0.5, 1.5, 2.5]"
		default:
			cats := []int{catList}
			if p.cat == catOptInt {
				cats = append(cats, catOptList)
			}
			if v, ok := sc.pick(cats...); ok && r.IntN(4) != 0 {
				val = strconv.Quote(v.ref)
			} else {
				val = sc.g.intList(r.IntN(5), p.cat == catOptInt)
			}
		}
		if i == 0 {
			first = val
		}
		parts = append(parts, in+": "+val)
	}
	name := sc.name("m")
	line := fmt.Sprintf("map: %s, over: {%s}, inputs: %s", t.name, strings.Join(parts, ", "), sc.inputsOf(sh, over))
	if c := r.IntN(4); c > 0 {
		line += ", concurrency: " + strconv.Itoa(c)
	}
	cat := catList
	switch r.IntN(5) {
	case 0:
		line += ", min_success_ratio: 0.5"
		cat = catOptList
	case 1:
		line += ", min_success_ratio: 0.34"
		cat = catOptList
	case 2:
		line += ", min_success_ratio: 1"
	}
	sc.after(&line)
	sc.lines = append(sc.lines, fmt.Sprintf("  %s: {%s}\n", name, line))
	for _, o := range sh.out {
		sc.vals = append(sc.vals, gval{"{{" + name + "." + o.name + "}}", cat})
	}
	sc.size++
	return true
}

var simOps = []string{"==", "!=", "<", "<=", ">", ">="}

func (sc *gscope) condition() string {
	r := sc.g.r
	left, _ := sc.pick(catInt)
	op := simOps[r.IntN(len(simOps))]
	var right string
	switch r.IntN(4) {
	case 0:
		if v, ok := sc.pick(catInt, catFloat); ok {
			right = v.ref
			break
		}
		fallthrough
	case 1:
		right = "49.5"
	default:
		right = strconv.Itoa(r.IntN(100))
	}
	if r.IntN(4) == 0 {
		return right + " " + op + " " + left.ref
	}
	return left.ref + " " + op + " " + right
}

func (sc *gscope) addConditional(left int) bool {
	r := sc.g.r
	bySig := map[string][]gtask{}
	var sigs []string
	for _, t := range sc.tasks {
		s := outSig(t.shape)
		if bySig[s] == nil {
			sigs = append(sigs, s)
		}
		bySig[s] = append(bySig[s], t)
	}
	cands := bySig[sigs[r.IntN(len(sigs))]]
	n := 1 + r.IntN(min(3, left-1))
	otherwise := r.IntN(2) == 0
	var brs []string
	for i := range n {
		t := cands[r.IntN(len(cands))]
		body := fmt.Sprintf("task: %s, inputs: %s", t.name, sc.inputsOf(simShapes[t.shape], nil))
		if otherwise && i == n-1 {
			if r.IntN(2) == 0 {
				brs = append(brs, "{otherwise: {"+body+"}}")
			} else {
				brs = append(brs, "{otherwise: true, "+body+"}")
			}
			continue
		}
		brs = append(brs, fmt.Sprintf("{when: %q, %s}", sc.condition(), body))
	}
	name := sc.name("c")
	line := "branches: [" + strings.Join(brs, ", ") + "]"
	sc.after(&line)
	sc.lines = append(sc.lines, fmt.Sprintf("  %s: {%s}\n", name, line))
	for _, o := range simShapes[cands[0].shape].out {
		sc.vals = append(sc.vals, gval{"{{" + name + "." + o.name + "}}", o.cat})
	}
	sc.size += n + 1
	return true
}

func (sc *gscope) addSub(left int) bool {
	r := sc.g.r
	var cands []*gwf
	for _, w := range sc.subs {
		if w.size <= left {
			cands = append(cands, w)
		}
	}
	if len(cands) == 0 {
		return false
	}
	w := cands[r.IntN(len(cands))]
	var parts []string
	for _, p := range w.inputs {
		if p.def != "" && r.IntN(2) == 0 {
			continue
		}
		switch p.cat {
		case catList:
			if v, ok := sc.pick(catList); ok && r.IntN(3) != 0 {
				parts = append(parts, p.name+": "+strconv.Quote(v.ref))
			} else {
				parts = append(parts, p.name+": "+sc.g.intList(r.IntN(4), false))
			}
		default:
			parts = append(parts, p.name+": "+sc.bind(gparam{p.name, p.typ, p.cat, ""}))
		}
	}
	name := sc.name("s")
	line := fmt.Sprintf("workflow: %s, inputs: {%s}", w.name, strings.Join(parts, ", "))
	sc.after(&line)
	sc.lines = append(sc.lines, fmt.Sprintf("  %s: {%s}\n", name, line))
	for _, o := range w.outputs {
		sc.vals = append(sc.vals, gval{"{{" + name + "." + o.name + "}}", o.cat})
	}
	sc.size += w.size
	return true
}

// simTask is the task function: the outputs of the task whose command id is
// id on the given inputs. An int output is a hash of the id, the output name
// and the canonical inputs mod 100; a list<int> output has 0 to 3 such
// items. None values count as absent.
func simTask(id string, outs []Param, in map[string]Literal) map[string]Literal {
	h := fnv.New64a()
	h.Write([]byte(id))
	for _, k := range sortedKeys(in) {
		if in[k].IsNone() {
			continue
		}
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{'='})
		h.Write(in[k].Canonical())
	}
	base := h.Sum64()
	out := make(map[string]Literal, len(outs))
	for _, o := range outs {
		x := mix(base, o.Name)
		if o.Type.Kind == KindList {
			n := int(x % 4)
			l := make([]Literal, n)
			for i := range l {
				l[i] = Int(int64(mix(x, strconv.Itoa(i)) % 100))
			}
			out[o.Name] = List(l...)
			continue
		}
		out[o.Name] = Int(int64(x % 100))
	}
	return out
}

func mix(x uint64, s string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(x >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(s))
	return h.Sum64()
}
