package orchestrator

import (
	"fmt"
)

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
