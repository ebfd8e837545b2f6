package orchestrator

import (
	"fmt"
	"slices"
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

func declaredHint(owner, what string, names []string) string {
	if len(names) == 0 {
		return owner + " has no " + what
	}
	return owner + " has " + what + " " + strings.Join(names, ", ")
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

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
