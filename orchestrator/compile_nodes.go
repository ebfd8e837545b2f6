package orchestrator

import (
	"slices"
	"strconv"
)

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
