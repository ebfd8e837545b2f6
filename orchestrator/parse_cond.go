package orchestrator

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// branches parses the branches of a conditional node.
func (p *specParser) branches(v *yaml.Node, what string) []*BranchSpec {
	v = p.deref(v)
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		p.d.hintf(p.pos(v), `branches: [{when: "{{n.x}} > 1", task: T, inputs: {...}}, {otherwise: true, task: U}]`,
			"branches of %s must be a non-empty list", what)
		return nil
	}
	var out []*BranchSpec
	for i, item := range v.Content {
		item = p.deref(item)
		b := &BranchSpec{Pos: p.pos(item)}
		bwhat := fmt.Sprintf("branch %d of %s", i, what)
		hasWhen, hasOtherwise := false, false
		p.fields(item, bwhat, branchKeys, func(key string, k, v *yaml.Node) {
			switch key {
			case "when":
				hasWhen = true
				b.When = p.cond(v, bwhat)
			case "otherwise":
				hasOtherwise = true
				p.otherwise(b, v, bwhat)
			default:
				p.branchField(b, key, v, bwhat)
			}
		})
		switch {
		case hasWhen && hasOtherwise:
			p.d.errorf(b.Pos, "%s has both when: and otherwise:", bwhat)
		case !hasWhen && !hasOtherwise:
			p.d.hintf(b.Pos, `add when: "{{node.output}} >= 0.75" or otherwise: true`, "%s has no when: or otherwise:", bwhat)
		case hasOtherwise && i != len(v.Content)-1:
			p.d.errorf(b.Pos, "%s: otherwise must be the last branch", bwhat)
		}
		if b.Task.Value == "" {
			p.d.errorf(b.Pos, "%s has no task:", bwhat)
		}
		out = append(out, b)
	}
	return out
}

func (p *specParser) branchField(b *BranchSpec, key string, v *yaml.Node, what string) {
	switch key {
	case "task":
		if b.Task.Value != "" {
			p.d.errorf(p.pos(v), "%s gives task: twice", what)
		}
		b.Task = p.str(v, "task of "+what)
	case "inputs":
		if b.Inputs != nil {
			p.d.errorf(p.pos(v), "%s gives inputs: twice", what)
		}
		b.Inputs = p.bindings(v, "inputs of "+what)
		if b.Inputs == nil {
			b.Inputs = []*BindingSpec{}
		}
	}
}

// otherwise parses `otherwise: true` or `otherwise: {task: T, inputs: ...}`.
func (p *specParser) otherwise(b *BranchSpec, v *yaml.Node, what string) {
	v = p.deref(v)
	if v.Kind == yaml.MappingNode {
		p.fields(v, what, otherwiseKeys, func(key string, k, v *yaml.Node) { p.branchField(b, key, v, what) })
		return
	}
	if on, ok := p.boolean(v, "otherwise of "+what); ok && !on {
		p.d.hintf(p.pos(v), "write otherwise: true, or leave the branch out", "%s: otherwise: false is not allowed", what)
	}
}

// cond parses a branch condition: one comparison `A OP B`.
func (p *specParser) cond(v *yaml.Node, what string) *CondSpec {
	s := p.str(v, "when of "+what)
	if s.Pos.Line == 0 {
		return nil
	}
	v = p.deref(v)
	c := &CondSpec{Text: v.Value, Pos: s.Pos}
	i := 0
	var ok bool
	if c.Left, ok = p.operand(v, &i, what); !ok {
		return nil
	}
	skipSpaces(v.Value, &i)
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(v.Value[i:], op) {
			c.Op = op
			break
		}
	}
	if c.Op == "" {
		p.d.hintf(p.posAt(v, i), "a condition is one comparison A OP B with OP one of == != < <= > >=",
			"expected a comparison operator in condition %q", v.Value)
		return nil
	}
	i += len(c.Op)
	if c.Right, ok = p.operand(v, &i, what); !ok {
		return nil
	}
	if skipSpaces(v.Value, &i); i < len(v.Value) {
		p.d.hintf(p.posAt(v, i), "a condition is one comparison A OP B; and/or are not supported",
			"unexpected %q after the condition", v.Value[i:])
		return nil
	}
	return c
}

func skipSpaces(s string, i *int) {
	for *i < len(s) && (s[*i] == ' ' || s[*i] == '\t') {
		*i++
	}
}

// operand parses one side of a condition starting at *i.
func (p *specParser) operand(v *yaml.Node, i *int, what string) (Operand, bool) {
	s := v.Value
	skipSpaces(s, i)
	start := *i
	pos := p.posAt(v, start)
	const hint = `an operand is a {{node.output}} or {{inputs.x}} reference, a number, a quoted string, true or false`
	switch {
	case start == len(s):
		p.d.hintf(pos, hint, "missing operand in condition %q", s)
		return Operand{}, false
	case strings.HasPrefix(s[start:], "{{"):
		end := strings.Index(s[start:], "}}")
		if end < 0 {
			p.d.hintf(pos, "close it with }}", "unclosed {{ in condition %q", s)
			return Operand{}, false
		}
		*i = start + end + 2
		r, ok := p.refText(s[start:*i], pos)
		return Operand{Ref: &r, Text: s[start:*i], Pos: pos}, ok
	case s[start] == '"' || s[start] == '\'':
		return p.quotedOperand(v, i, pos)
	}
	for *i < len(s) && !strings.ContainsRune(" \t<>=!", rune(s[*i])) {
		*i++
	}
	text := s[start:*i]
	op := Operand{Text: text, Pos: pos}
	if b, err := strconv.ParseBool(text); err == nil && (text == "true" || text == "false") {
		op.Value = b
	} else if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		op.Value = n
	} else if f, err := strconv.ParseFloat(text, 64); err == nil {
		op.Value = f
	} else {
		p.d.hintf(pos, hint, "invalid operand %q in condition %q", text, s)
		return op, false
	}
	return op, true
}

func (p *specParser) quotedOperand(v *yaml.Node, i *int, pos Pos) (Operand, bool) {
	s, start := v.Value, *i
	q := s[start]
	for j := start + 1; j < len(s); j++ {
		if s[j] == '\\' && q == '"' {
			j++
			continue
		}
		if s[j] != q {
			continue
		}
		*i = j + 1
		text := s[start:*i]
		if q == '\'' {
			return Operand{Value: text[1 : len(text)-1], Text: text, Pos: pos}, true
		}
		str, err := strconv.Unquote(text)
		if err != nil {
			p.d.errorf(pos, "invalid string %s in condition: %v", text, err)
			return Operand{}, false
		}
		return Operand{Value: str, Text: text, Pos: pos}, true
	}
	p.d.errorf(pos, "unclosed string in condition %q", s)
	*i = len(s)
	return Operand{}, false
}
