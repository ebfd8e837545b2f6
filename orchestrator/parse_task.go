package orchestrator

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

func (p *specParser) taskDoc(root *yaml.Node) {
	t := &TaskSpec{}
	t.Name, t.Pos = p.docName(root, "task")
	p.fields(root, fmt.Sprintf("task %q", t.Name), taskDocKeys, func(key string, k, v *yaml.Node) {
		p.taskField(t, key, k, v)
	})
	p.finishTask(t, root)
	p.spec.Tasks = append(p.spec.Tasks, t)
	if prev, dup := register(p.spec.tasks, t.Name, t); dup {
		p.d.errorf(t.Pos, "duplicate task %q (first defined at %s)", t.Name, prev.Pos)
	}
}

// taskField parses one key of a task (inline or standalone).
func (p *specParser) taskField(t *TaskSpec, key string, k, v *yaml.Node) {
	what := fmt.Sprintf("task %q", t.Name)
	switch key {
	case "apiVersion", "kind", "name":
	case "description":
		t.Description = p.str(v, "description").Value
	case "inputs":
		t.Inputs = p.params(v, "input", what, false)
	case "outputs":
		t.Outputs = p.params(v, "output", what, true)
	case "command":
		t.CommandPos = p.pos(k)
		p.command(t, v)
	default:
		p.setting(&t.Settings, key, v, what)
	}
}

func (p *specParser) finishTask(t *TaskSpec, at *yaml.Node) {
	t.File, t.Dir = p.file, p.dir
	if t.CommandPos.Line == 0 {
		p.d.hintf(p.pos(at), "command is the argv list to run, e.g. [python3, train.py, \"{{inputs.x}}\"]",
			"task %q has no command", t.Name)
	}
}

// command parses a task's argv template and the {{...}} references in it.
func (p *specParser) command(t *TaskSpec, v *yaml.Node) {
	v = p.deref(v)
	if v.Kind != yaml.SequenceNode {
		p.d.hintf(p.pos(v), "write the argv as a list, e.g. [python3, train.py, \"{{inputs.x}}\"]",
			"command of task %q must be a list, not %s", t.Name, kindWord(v))
		return
	}
	if len(v.Content) == 0 {
		p.d.errorf(p.pos(v), "command of task %q is empty", t.Name)
	}
	for _, e := range v.Content {
		s := p.str(e, "command element")
		t.Command = append(t.Command, s)
		p.commandRefs(t, p.deref(e))
	}
}

func (p *specParser) commandRefs(t *TaskSpec, n *yaml.Node) {
	s := n.Value
	for off := 0; ; {
		i := strings.Index(s[off:], "{{")
		if i < 0 {
			return
		}
		i += off
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			p.d.hintf(p.posAt(n, i), "close it with }}", "unclosed {{ in command of task %q", t.Name)
			return
		}
		text := s[i : i+j+2]
		off = i + j + 2
		kind, name, ok := strings.Cut(strings.TrimSpace(text[2:len(text)-2]), ".")
		if !ok || (kind != "inputs" && kind != "outputs") || !refPartOK(name) {
			p.d.hintf(p.posAt(n, i), "a command refers to {{inputs.NAME}} or {{outputs.NAME}}",
				"malformed template %q in command of task %q", text, t.Name)
			continue
		}
		t.refs = append(t.refs, templateRef{kind: kind, name: name, text: text, pos: p.posAt(n, i)})
	}
}
