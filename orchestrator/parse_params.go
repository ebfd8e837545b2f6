package orchestrator

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// params parses `inputs:` or `outputs:` of a task or workflow.
func (p *specParser) params(n *yaml.Node, role, owner string, outputs bool) []*ParamSpec {
	var out []*ParamSpec
	p.entries(n, role+"s of "+owner, func(name string, k, v *yaml.Node) {
		p.checkName(name, p.pos(k), role)
		out = append(out, p.param(name, role, k, v, outputs))
	})
	return out
}

func (p *specParser) param(name, role string, k, v *yaml.Node, output bool) *ParamSpec {
	ps := &ParamSpec{Name: name, Pos: p.pos(k)}
	what := fmt.Sprintf("%s %q", role, name)
	typ, def := p.deref(v), (*yaml.Node)(nil)
	if typ.Kind == yaml.MappingNode {
		m := typ
		typ = nil
		p.fields(m, what, paramKeys, func(key string, k, v *yaml.Node) {
			switch key {
			case "type":
				typ = v
			case "default":
				def = v
			case "description":
				ps.Description = p.str(v, "description").Value
			}
		})
		if typ == nil {
			p.d.hintf(p.pos(m), "add type: int, float, string, bool, datetime, duration, file, directory, json, list<T> or map<T>",
				"%s has no type", what)
			return ps
		}
	}
	s := p.str(typ, "type of "+what)
	t, err := ParseType(s.Value)
	if err != nil {
		if s.Pos.Line > 0 {
			p.d.errorf(s.Pos, "%s: %v", what, err)
		}
		return ps
	}
	ps.Type, ps.TypePos = t, s.Pos
	if def != nil {
		p.paramDefault(ps, what, def, output)
	}
	return ps
}

func (p *specParser) paramDefault(ps *ParamSpec, what string, def *yaml.Node, output bool) {
	if output {
		p.d.errorf(p.pos(def), "%s: outputs take no default", what)
		return
	}
	val, ok := p.value(def, 0)
	if !ok {
		return
	}
	l, err := ParseValue(ps.Type, val)
	if err != nil {
		p.d.errorf(p.pos(p.deref(def)), "default of %s: %v", what, err)
		return
	}
	if !l.IsNone() {
		ps.Default = &l
	}
}

// workflowOutputs parses `outputs: {name: "{{node.output}}"}`.
func (p *specParser) workflowOutputs(n *yaml.Node, what string) []*OutputSpec {
	var out []*OutputSpec
	p.entries(n, "outputs of "+what, func(name string, k, v *yaml.Node) {
		p.checkName(name, p.pos(k), "output")
		o := &OutputSpec{Name: name, Pos: p.pos(k)}
		v = p.deref(v)
		if v.Kind != yaml.ScalarNode || !strings.Contains(v.Value, "{{") {
			p.d.hintf(p.pos(v), `bind it to a node output: "{{node.output}}"`,
				"output %q of %s must be a {{...}} reference", name, what)
			return
		}
		if r, ok := p.ref(v); ok {
			o.Ref = r
			out = append(out, o)
		}
	})
	return out
}
