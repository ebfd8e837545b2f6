package orchestrator

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

func (p *specParser) workflowDoc(root *yaml.Node) {
	wf := &WorkflowSpec{File: p.file}
	wf.Name, wf.Pos = p.docName(root, "workflow")
	what := fmt.Sprintf("workflow %q", wf.Name)
	p.fields(root, what, workflowKeys, func(key string, k, v *yaml.Node) {
		switch key {
		case "description":
			wf.Description = p.str(v, "description").Value
		case "inputs":
			wf.Inputs = p.params(v, "input", what, false)
		case "outputs":
			wf.Outputs = p.workflowOutputs(v, what)
		case "defaults":
			p.fields(v, "defaults of "+what, settingsKeys, func(key string, k, v *yaml.Node) {
				p.setting(&wf.Defaults, key, v, "defaults of "+what)
			})
		case "tasks":
			p.entries(v, "tasks of "+what, func(name string, k, v *yaml.Node) {
				t := &TaskSpec{Name: name, Pos: p.pos(k), Workflow: wf.Name}
				p.checkName(name, t.Pos, "task")
				p.fields(v, fmt.Sprintf("task %q", name), taskKeys, func(key string, k, v *yaml.Node) {
					p.taskField(t, key, k, v)
				})
				p.finishTask(t, k)
				wf.Tasks = append(wf.Tasks, t)
			})
		case "nodes":
			p.entries(v, "nodes of "+what, func(name string, k, v *yaml.Node) {
				wf.Nodes = append(wf.Nodes, p.node(name, k, v))
			})
		case "failure_policy":
			s := p.str(v, "failure_policy")
			switch s.Value {
			case "":
			case "fail_fast":
				wf.FailurePolicy = FailFast
			case "run_to_completion":
				wf.FailurePolicy = RunToCompletion
			default:
				p.d.hintf(s.Pos, "failure_policy is fail_fast or run_to_completion",
					"unknown failure_policy %q%s", s.Value, didYouMean(s.Value, []string{"fail_fast", "run_to_completion"}))
			}
		}
	})
	p.addWorkflow(wf)
}

func (p *specParser) addWorkflow(wf *WorkflowSpec) {
	p.spec.Workflows = append(p.spec.Workflows, wf)
	if prev, dup := register(p.spec.workflows, wf.Name, wf); dup {
		p.d.errorf(wf.Pos, "duplicate workflow %q (first defined at %s)", wf.Name, prev.Pos)
	}
}

// register records a named document in m unless it is unnamed; dup is true
// (and m unchanged) when the name was taken, by prev.
func register[T any](m map[string]*T, name string, v *T) (prev *T, dup bool) {
	if name == "" {
		return nil, false
	}
	if prev := m[name]; prev != nil {
		return prev, true
	}
	m[name] = v
	return nil, false
}

// node parses one entry of a workflow's `nodes:`.
func (p *specParser) node(name string, k, v *yaml.Node) *NodeSpec {
	n := &NodeSpec{Name: name, Pos: p.pos(k)}
	p.checkName(name, n.Pos, "node")
	if name == "inputs" || name == "outputs" {
		p.d.hintf(n.Pos, `"{{inputs.x}}" names a workflow input, so no node may be called inputs or outputs`,
			"node name %q is reserved", name)
	}
	what := fmt.Sprintf("node %q", name)
	keyPos := map[string]Pos{}
	p.fields(v, what, nodeKeys, func(key string, k, v *yaml.Node) {
		keyPos[key] = p.pos(k)
		switch key {
		case "description":
			p.str(v, "description")
		case "task":
			n.Task = p.str(v, "task of "+what)
		case "workflow":
			n.Workflow = p.str(v, "workflow of "+what)
		case "map":
			n.Map = p.str(v, "map of "+what)
		case "inputs":
			n.Inputs = p.bindings(v, "inputs of "+what)
		case "over":
			n.Over = p.bindings(v, "over of "+what)
		case "concurrency":
			if c, ok := p.integer(v, "concurrency of "+what); ok && c < 0 {
				p.d.hintf(p.pos(v), "0 means no limit", "concurrency of %s must not be negative, got %d", what, c)
			} else {
				n.Concurrency = c
			}
		case "min_success_ratio":
			n.MinSuccessRatioPos = p.pos(v)
			if r, ok := p.number(v, "min_success_ratio of "+what); ok && !(r > 0 && r <= 1) {
				p.d.hintf(p.pos(v), "it is the fraction of items that must succeed, e.g. 0.9",
					"min_success_ratio of %s must be in (0, 1], got %g", what, r)
			} else {
				n.MinSuccessRatio = r
			}
		case "branches":
			n.Branches = p.branches(v, what)
		case "after":
			n.After = p.strList(v, "after of "+what)
		}
	})
	if vv := p.deref(v); vv.Kind == yaml.MappingNode || isNull(vv) {
		p.checkNodeShape(n, what, keyPos)
	}
	return n
}

// checkNodeShape reports a node that calls nothing, or more than one thing,
// or uses keys that do not fit its kind.
func (p *specParser) checkNodeShape(n *NodeSpec, what string, keyPos map[string]Pos) {
	var kinds []string
	for _, k := range []string{"task", "workflow", "map", "branches"} {
		if _, ok := keyPos[k]; ok {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		p.d.hintf(n.Pos, "give it task:, workflow:, map: or branches:", "%s calls nothing", what)
	case 1:
	default:
		p.d.hintf(keyPos[kinds[1]], "a node is a task call, a subworkflow, a map or a conditional",
			"%s has both %s: and %s:", what, kinds[0], kinds[1])
	}
	if _, isMap := keyPos["map"]; isMap {
		if _, ok := keyPos["over"]; !ok {
			p.d.hintf(n.Pos, `over: {INPUT: "{{inputs.list}}"} names the list inputs to fan out over`,
				"map %s has no over:", what)
		}
	} else {
		for _, k := range []string{"over", "concurrency", "min_success_ratio"} {
			if pos, ok := keyPos[k]; ok {
				p.d.errorf(pos, "%s: %s is only for map nodes", what, k)
			}
		}
	}
	if _, ok := keyPos["branches"]; ok {
		if pos, ok := keyPos["inputs"]; ok {
			p.d.errorf(pos, "%s: a conditional node takes its inputs in each branch", what)
		}
	}
}

// bindings parses a node's `inputs:` (or `over:`).
func (p *specParser) bindings(n *yaml.Node, what string) []*BindingSpec {
	var out []*BindingSpec
	p.entries(n, what, func(name string, k, v *yaml.Node) {
		out = append(out, p.binding(name, k, v))
	})
	return out
}

func (p *specParser) binding(name string, k, v *yaml.Node) *BindingSpec {
	v = p.deref(v)
	b := &BindingSpec{Input: name, Pos: p.pos(k), ValuePos: p.pos(v)}
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && strings.Contains(v.Value, "{{") {
		r, ok := p.ref(v)
		b.Ref, b.bad = &r, !ok
		return b
	}
	val, ok := p.value(v, 0)
	b.Value, b.bad = val, !ok
	return b
}

// ref parses a scalar that must be exactly one {{...}} reference.
func (p *specParser) ref(v *yaml.Node) (Ref, bool) {
	s := strings.TrimSpace(v.Value)
	at := p.posAt(v, strings.Index(v.Value, "{{"))
	if !strings.HasPrefix(s, "{{") || !strings.HasSuffix(s, "}}") || strings.Count(s, "{{") > 1 {
		p.d.hintf(at, `a binding is one reference such as "{{node.output}}", or a literal without {{`,
			"%q mixes a {{...}} reference with other text", v.Value)
		return Ref{}, false
	}
	return p.refText(s, at)
}

// refText parses "{{inputs.x}}" or "{{node.output}}" written at pos.
func (p *specParser) refText(text string, pos Pos) (Ref, bool) {
	a, b, ok := strings.Cut(strings.TrimSpace(text[2:len(text)-2]), ".")
	if !ok || !refPartOK(a) || !refPartOK(b) {
		p.d.hintf(pos, "want {{inputs.NAME}} or {{NODE.OUTPUT}}", "malformed reference %q", text)
		return Ref{}, false
	}
	if a == "outputs" {
		p.d.hintf(pos, "{{outputs.x}} is only for task commands; bind a node's output as {{NODE.OUTPUT}}",
			"reference %q names no value in a workflow", text)
		return Ref{}, false
	}
	if a == "inputs" {
		a = ""
	}
	return Ref{Node: a, Name: b, Text: text, Pos: pos}, true
}
