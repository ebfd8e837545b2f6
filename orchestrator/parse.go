package orchestrator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator/schedule"
	"go.yaml.in/yaml/v3"
)

// Parse parses and validates the spec documents (separated by ---) in data,
// read from filename. On failure the error is Diagnostics holding every
// error found.
func Parse(filename string, data []byte) (*Spec, error) {
	var d diagSink
	s := newSpec()
	parseInto(s, &d, filename, data)
	validateSpec(s, &d)
	if err := d.result(); err != nil {
		return nil, err
	}
	return s, nil
}

// ParseFiles reads, parses and validates the spec documents of several
// files as one spec, so workflows may use tasks and workflows defined in
// other files. On failure the error is Diagnostics.
func ParseFiles(paths ...string) (*Spec, error) {
	var d diagSink
	s := newSpec()
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			d.errorf(Pos{File: path, Line: 1}, "cannot read spec: %v", err)
			continue
		}
		parseInto(s, &d, path, data)
	}
	validateSpec(s, &d)
	if err := d.result(); err != nil {
		return nil, err
	}
	return s, nil
}

func newSpec() *Spec {
	return &Spec{
		workflows:   map[string]*WorkflowSpec{},
		tasks:       map[string]*TaskSpec{},
		launchPlans: map[string]*LaunchPlanSpec{},
	}
}

// specParser turns the YAML documents of one file into spec values.
type specParser struct {
	spec   *Spec
	d      *diagSink
	file   string
	dir    string
	visits int // nodes visited in the current document
}

// Limits that keep hostile input (alias bombs, deep nesting) cheap.
const (
	maxVisits     = 1 << 22
	maxValueDepth = 200
)

// errTooBig aborts a document that expands past maxVisits nodes.
var errTooBig = errors.New("document too large")

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func parseInto(s *Spec, d *diagSink, filename string, data []byte) {
	dir, err := filepath.Abs(filepath.Dir(filename))
	if err != nil {
		dir = filepath.Dir(filename)
	}
	p := &specParser{spec: s, d: d, file: filename, dir: dir}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := decodeDoc(dec, &doc)
		if err == io.EOF {
			return
		}
		if err != nil {
			p.syntaxError(err, data)
			return
		}
		p.document(&doc)
	}
}

// decodeDoc reads the next document, turning a panic in the YAML library
// into an error.
func decodeDoc(dec *yaml.Decoder, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(doc)
}

func (p *specParser) syntaxError(err error, data []byte) {
	msg, line := err.Error(), 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = "yaml: " + m[2]
	}
	pos := Pos{File: p.file, Line: max(line, 1)}
	lines := strings.Split(string(data), "\n")
	for i := pos.Line - 1; i >= 0 && i < len(lines) && i <= pos.Line+1; i++ {
		if flowOptional.MatchString(lines[i]) {
			p.d.hintf(pos, `inside {...} or [...], quote optional types: {x: "int?"}`, "%s", msg)
			return
		}
	}
	p.d.errorf(pos, "%s", msg)
}

// flowOptional finds an optional type written unquoted in a flow
// collection, such as {x: int?}, which YAML cannot read.
var flowOptional = regexp.MustCompile(`[A-Za-z>]\?\s*[,}\]]`)

func (p *specParser) pos(n *yaml.Node) Pos {
	return Pos{File: p.file, Line: max(n.Line, 1), Col: n.Column}
}

// document parses one top-level document by its kind.
func (p *specParser) document(doc *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			if r != errTooBig {
				panic(r)
			}
			p.d.errorf(p.pos(doc), "document too large: it expands (through aliases) to more than %d nodes", maxVisits)
		}
	}()
	p.visits = 0
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	root := p.deref(doc.Content[0])
	if isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		p.d.hintf(p.pos(root), "start it with apiVersion: aloft/v1 and kind: Workflow, LaunchPlan or Task",
			"a spec document must be a mapping, not %s", kindWord(root))
		return
	}
	if api := p.lookup(root, "apiVersion"); api == nil {
		p.d.hintf(p.pos(root), "start the document with apiVersion: "+APIVersion, "missing apiVersion")
	} else if api.Value != APIVersion {
		p.d.hintf(p.pos(api), "use apiVersion: "+APIVersion, "unsupported apiVersion %q", api.Value)
	}
	kind := p.lookup(root, "kind")
	switch {
	case kind == nil:
		p.d.hintf(p.pos(root), "add kind: Workflow, LaunchPlan or Task", "missing kind")
	case kind.Value == "Workflow":
		p.workflowDoc(root)
	case kind.Value == "LaunchPlan":
		p.launchPlanDoc(root)
	case kind.Value == "Task":
		p.taskDoc(root)
	default:
		p.d.hintf(p.pos(kind), "kind is Workflow, LaunchPlan or Task",
			"unknown kind %q%s", kind.Value, didYouMean(kind.Value, []string{"Workflow", "LaunchPlan", "Task"}))
	}
}

// lookup returns the scalar value node of key in mapping n, or nil.
func (p *specParser) lookup(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			if v := p.deref(n.Content[i+1]); v.Kind == yaml.ScalarNode {
				return v
			}
			return nil
		}
	}
	return nil
}

// docName reads the `name:` of a top-level document.
func (p *specParser) docName(root *yaml.Node, what string) (string, Pos) {
	n := p.lookup(root, "name")
	if n == nil || isNull(n) || n.Value == "" {
		p.d.hintf(p.pos(root), "add name: ...", "%s has no name", what)
		return "", p.pos(root)
	}
	p.checkName(n.Value, p.pos(n), what)
	return n.Value, p.pos(n)
}

var (
	workflowKeys   = []string{"apiVersion", "kind", "name", "description", "inputs", "outputs", "defaults", "tasks", "nodes", "failure_policy"}
	settingsKeys   = []string{"image", "build", "resources", "cache", "retries", "timeout", "interruptible", "env", "target"}
	taskKeys       = append([]string{"description", "inputs", "outputs", "command"}, settingsKeys...)
	taskDocKeys    = append([]string{"apiVersion", "kind", "name"}, taskKeys...)
	nodeKeys       = []string{"description", "task", "workflow", "map", "inputs", "over", "concurrency", "min_success_ratio", "branches", "after"}
	branchKeys     = []string{"when", "otherwise", "task", "inputs"}
	otherwiseKeys  = []string{"task", "inputs"}
	paramKeys      = []string{"type", "default", "description"}
	launchPlanKeys = []string{"apiVersion", "kind", "name", "description", "workflow", "fixed_inputs", "default_inputs", "schedule", "triggers", "notifications", "active"}
	scheduleKeys   = []string{"cron", "rate", "kickoff_time_input"}
	notifyPhases   = []string{"failed", "succeeded", "aborted"}
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

// checkName reports a name unsafe for object keys or Batch job names.
func (p *specParser) checkName(name string, pos Pos, what string) {
	if !validName(name) {
		p.d.hintf(pos, "names match ^[A-Za-z][A-Za-z0-9_-]{0,62}$ (a letter, then letters, digits, _ or -; at most 63 characters) so they are safe in object keys and AWS Batch job names",
			"invalid %s name %q", what, name)
	}
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 63 || !isLetter(s[0]) {
		return false
	}
	return refPartOK(s)
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// refPartOK reports whether s is non-empty and uses only name characters.
func refPartOK(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !('0' <= c && c <= '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// posAt is the position of byte offset off inside scalar n's value, when
// it can be known (single-line plain or quoted scalars).
func (p *specParser) posAt(n *yaml.Node, off int) Pos {
	return p.posAtRune(n, utf8.RuneCountInString(n.Value[:min(off, len(n.Value))]))
}

func (p *specParser) posAtRune(n *yaml.Node, runes int) Pos {
	pos := p.pos(n)
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(n.Value, "\n") {
		return pos
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		pos.Col++
	}
	pos.Col += runes
	return pos
}

// entries calls f for each key and value of mapping n (nothing for null),
// reporting keys that are not strings and duplicate keys. what names the
// mapping in messages.
func (p *specParser) entries(n *yaml.Node, what string, f func(key string, k, v *yaml.Node)) {
	n = p.deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.d.errorf(p.pos(n), "%s must be a mapping, not %s", what, kindWord(n))
		return
	}
	var seen keySet
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := p.deref(n.Content[i])
		if k.Kind != yaml.ScalarNode || isNull(k) {
			p.d.hintf(p.pos(k), `if it is a {{...}} reference, quote it: "{{inputs.x}}"`,
				"keys of %s must be names, not %s", what, kindWord(k))
			continue
		}
		if first, dup := seen.add(k.Value, p.pos(k)); dup {
			p.d.errorf(p.pos(k), "duplicate key %q in %s (first at %s)", k.Value, what, first)
			continue
		}
		f(k.Value, k, n.Content[i+1])
	}
}

// fields is entries for a mapping with a fixed set of keys: it reports
// unknown keys (suggesting the closest known one) and calls f for the rest.
func (p *specParser) fields(n *yaml.Node, what string, known []string, f func(key string, k, v *yaml.Node)) {
	p.entries(n, what, func(key string, k, v *yaml.Node) {
		if !slices.Contains(known, key) {
			if s := didYouMean(key, known); s != "" {
				p.d.errorf(p.pos(k), "unknown key %q in %s%s", key, what, s)
			} else {
				p.d.hintf(p.pos(k), "known keys: "+strings.Join(known, ", "), "unknown key %q in %s", key, what)
			}
			return
		}
		f(key, k, v)
	})
}

// keySet finds duplicate keys: a slice while small, a map when large.
type keySet struct {
	small []string
	pos   []Pos
	big   map[string]Pos
}

// add records key at pos; dup is true (with the first position) when it
// was already there.
func (s *keySet) add(key string, pos Pos) (first Pos, dup bool) {
	if s.big != nil {
		if first, dup = s.big[key]; !dup {
			s.big[key] = pos
		}
		return first, dup
	}
	for i, k := range s.small {
		if k == key {
			return s.pos[i], true
		}
	}
	s.small, s.pos = append(s.small, key), append(s.pos, pos)
	if len(s.small) > 16 {
		s.big = make(map[string]Pos, 64)
		for i, k := range s.small {
			s.big[k] = s.pos[i]
		}
	}
	return Pos{}, false
}

// deref follows aliases and counts visited nodes, aborting the document
// past maxVisits.
func (p *specParser) deref(n *yaml.Node) *yaml.Node {
	p.visits++
	if p.visits > maxVisits {
		panic(errTooBig)
	}
	for i := 0; n.Kind == yaml.AliasNode && i < 64; i++ {
		if n.Alias == nil {
			break
		}
		n = n.Alias
	}
	if n.Kind == yaml.AliasNode {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindWord names a node's shape for messages.
func kindWord(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "null"
	case n.Kind == yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a bool"
		}
		return "a string"
	}
	return "an alias"
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

var targets = []string{"local", "aws-batch", "gcp-batch"}

// setting parses one run setting of a task or of a workflow's defaults.
func (p *specParser) setting(s *Settings, key string, v *yaml.Node, what string) {
	switch key {
	case "image":
		x := p.str(v, "image of "+what)
		s.Image = &x
	case "build":
		s.Build = p.build(v, what)
	case "resources":
		s.Resources = p.resources(v, what)
	case "cache":
		s.Cache = p.cache(v, what)
	case "retries":
		if n, ok := p.integer(v, "retries of "+what); ok && (n < 0 || n > 10) {
			p.d.errorf(p.pos(v), "retries of %s must be between 0 and 10, got %d", what, n)
		} else if ok {
			s.Retries = &n
		}
	case "timeout":
		if d, ok := p.duration(v, "timeout of "+what); ok {
			s.Timeout = &d
		}
	case "interruptible":
		if b, ok := p.boolean(v, "interruptible of "+what); ok {
			s.Interruptible = &b
		}
	case "env":
		s.Env = map[string]string{}
		p.entries(v, "env of "+what, func(name string, k, v *yaml.Node) {
			s.Env[name] = p.str(v, fmt.Sprintf("env %s of %s", name, what)).Value
		})
	case "target":
		x := p.str(v, "target of "+what)
		if x.Pos.Line > 0 && !slices.Contains(targets, x.Value) {
			p.d.hintf(x.Pos, "target is local, aws-batch or gcp-batch", "unknown target %q%s", x.Value, didYouMean(x.Value, targets))
		}
		s.Target = &x
	}
}

func (p *specParser) build(v *yaml.Node, what string) *BuildSpec {
	b := &BuildSpec{Pos: p.pos(p.deref(v)), Code: "."}
	p.fields(v, "build of "+what, []string{"base", "code"}, func(key string, k, v *yaml.Node) {
		if key == "base" {
			b.Base = p.str(v, "base of "+what).Value
		} else {
			b.Code = p.str(v, "code of "+what).Value
		}
	})
	if b.Base == "" {
		p.d.hintf(b.Pos, "build: {base: python:3.11-slim, code: ./tasks}", "build of %s has no base image", what)
	}
	return b
}

const (
	cpuHint    = `use cores ("2", 0.5) or millicores ("500m")`
	memoryHint = "use Mi/Gi (binary) or M/G (decimal), e.g. 200Mi, 4Gi or 1G, or a number of bytes"
)

func (p *specParser) resources(v *yaml.Node, what string) *ResourcesSpec {
	r := &ResourcesSpec{Pos: p.pos(p.deref(v))}
	what = "resources of " + what
	p.fields(v, what, []string{"cpu", "memory", "gpu", "accelerator", "ephemeral_storage"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "cpu":
			if s := p.str(v, "cpu of "+what); s.Pos.Line > 0 {
				if m, err := parseCPU(s.Value); err != nil {
					p.d.hintf(s.Pos, cpuHint, "invalid cpu %q in %s: %v", s.Value, what, err)
				} else {
					r.CPUMilli = &m
				}
			}
		case "memory", "ephemeral_storage":
			if s := p.str(v, key+" of "+what); s.Pos.Line > 0 {
				if b, err := parseBytes(s.Value); err != nil {
					p.d.hintf(s.Pos, memoryHint, "invalid %s %q in %s: %v", key, s.Value, what, err)
				} else if key == "memory" {
					r.MemoryBytes = &b
				} else {
					r.EphemeralBytes = &b
				}
			}
		case "gpu":
			if n, ok := p.integer(v, "gpu of "+what); ok && n < 0 {
				p.d.errorf(p.pos(v), "gpu of %s must not be negative, got %d", what, n)
			} else if ok {
				r.GPU = &n
			}
		case "accelerator":
			s := p.str(v, "accelerator of "+what).Value
			r.Accelerator = &s
		}
	})
	return r
}

// cache parses `cache: {version, ignore, serialize, enabled}` or a bool.
func (p *specParser) cache(v *yaml.Node, what string) *CacheSpec {
	v = p.deref(v)
	c := &CacheSpec{Pos: p.pos(v)}
	if v.Kind != yaml.MappingNode {
		b, ok := p.boolean(v, "cache of "+what)
		if !ok {
			return nil
		}
		c.Enabled = &b
		return c
	}
	p.fields(v, "cache of "+what, []string{"enabled", "version", "ignore", "serialize"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "enabled":
			if b, ok := p.boolean(v, "enabled of cache of "+what); ok {
				c.Enabled = &b
			}
		case "version":
			if s := p.str(v, "cache version of "+what); s.Value != "" {
				c.Version = &s.Value
			} else if s.Pos.Line > 0 {
				p.d.errorf(s.Pos, "empty cache version in %s", what)
			}
		case "ignore":
			c.Ignore = p.strList(v, "cache ignore of "+what)
		case "serialize":
			if b, ok := p.boolean(v, "serialize of cache of "+what); ok {
				c.Serialize = &b
			}
		}
	})
	return c
}

func (p *specParser) launchPlanDoc(root *yaml.Node) {
	lp := &LaunchPlanSpec{File: p.file, Active: true}
	lp.Name, lp.Pos = p.docName(root, "launch plan")
	what := fmt.Sprintf("launch plan %q", lp.Name)
	p.fields(root, what, append(launchPlanKeys, "kickoff_time_input"), func(key string, k, v *yaml.Node) {
		switch key {
		case "description":
			lp.Description = p.str(v, "description").Value
		case "workflow":
			lp.Workflow = p.str(v, "workflow of "+what)
		case "fixed_inputs":
			lp.FixedInputs = p.planInputs(v, "fixed_inputs of "+what)
		case "default_inputs":
			lp.DefaultInputs = p.planInputs(v, "default_inputs of "+what)
		case "schedule":
			lp.Schedule = p.schedule(v, what)
		case "triggers":
			lp.Triggers = p.triggers(v, what)
		case "notifications":
			lp.Notifications = p.notifications(v, what)
		case "active":
			if b, ok := p.boolean(v, "active of "+what); ok {
				lp.Active = b
			}
		case "kickoff_time_input":
			p.d.hintf(p.pos(k), "write schedule: {cron: ..., kickoff_time_input: NAME}", "kickoff_time_input belongs inside schedule:")
		}
	})
	if lp.Workflow.Value == "" && lp.Workflow.Pos.Line == 0 {
		p.d.hintf(lp.Pos, "add workflow: NAME", "%s has no workflow", what)
	}
	p.spec.LaunchPlans = append(p.spec.LaunchPlans, lp)
	if prev, dup := register(p.spec.launchPlans, lp.Name, lp); dup {
		p.d.errorf(lp.Pos, "duplicate launch plan %q (first defined at %s)", lp.Name, prev.Pos)
	}
}

// planInputs parses fixed_inputs or default_inputs: literal values only.
func (p *specParser) planInputs(v *yaml.Node, what string) []*BindingSpec {
	bs := p.bindings(v, what)
	for _, b := range bs {
		if b.Ref != nil && !b.bad {
			p.d.hintf(b.ValuePos, "give a literal value; a launch plan has no nodes to refer to",
				"%s: input %q is a reference", what, b.Input)
			b.bad = true
		}
	}
	return bs
}

func (p *specParser) triggers(v *yaml.Node, what string) []*TriggerSpec {
	var out []*TriggerSpec
	p.list(v, "triggers of "+what, func(i int, item *yaml.Node) {
		twhat := fmt.Sprintf("trigger %d of %s", i, what)
		t := &TriggerSpec{Pos: p.pos(item)}
		found := false
		p.fields(item, twhat, []string{"s3"}, func(key string, k, v *yaml.Node) {
			found = true
			p.fields(v, "s3 of "+twhat, []string{"prefix", "suffix", "input"}, func(key string, k, v *yaml.Node) {
				switch key {
				case "prefix":
					t.Prefix = p.str(v, "prefix of "+twhat).Value
				case "suffix":
					t.Suffix = p.str(v, "suffix of "+twhat).Value
				case "input":
					t.Input = p.str(v, "input of "+twhat)
				}
			})
		})
		const hint = "s3: {prefix: incoming/NAME/, suffix: .csv, input: FILE_INPUT}"
		switch {
		case !found:
			p.d.hintf(t.Pos, hint, "%s has no s3:", twhat)
		case !strings.HasPrefix(t.Prefix, layout.IncomingRoot):
			p.d.hintf(t.Pos, "the drop zone is incoming/...; other prefixes hold aloft's own objects",
				"%s: prefix %q must start with incoming/", twhat, t.Prefix)
		case t.Input.Value == "":
			p.d.hintf(t.Pos, hint, "%s names no input", twhat)
		}
		out = append(out, t)
	})
	return out
}

func (p *specParser) notifications(v *yaml.Node, what string) []*NotificationSpec {
	var out []*NotificationSpec
	p.list(v, "notifications of "+what, func(i int, item *yaml.Node) {
		nwhat := fmt.Sprintf("notification %d of %s", i, what)
		n := &NotificationSpec{Pos: p.pos(item)}
		p.fields(item, nwhat, []string{"on", "target"}, func(key string, k, v *yaml.Node) {
			if key == "target" {
				n.Target = p.str(v, "target of "+nwhat).Value
				return
			}
			n.On = p.strList(v, "on of "+nwhat)
			for _, s := range n.On {
				if !slices.Contains(notifyPhases, s.Value) {
					p.d.hintf(s.Pos, "on is a list of failed, succeeded, aborted",
						"unknown phase %q in %s%s", s.Value, nwhat, didYouMean(s.Value, notifyPhases))
				}
			}
		})
		if len(n.On) == 0 || n.Target == "" {
			p.d.hintf(n.Pos, `{on: [failed], target: "..."}`, "%s needs on: and target:", nwhat)
		}
		out = append(out, n)
	})
	return out
}

// list calls f for each item of sequence n (nothing for null).
func (p *specParser) list(n *yaml.Node, what string, f func(i int, item *yaml.Node)) {
	n = p.deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.d.errorf(p.pos(n), "%s must be a list, not %s", what, kindWord(n))
		return
	}
	for i, item := range n.Content {
		f(i, p.deref(item))
	}
}

// schedule parses `schedule: {cron: EXPR}` or `{rate: EXPR}` and checks the
// expression with the schedule package.
func (p *specParser) schedule(v *yaml.Node, what string) *ScheduleSpec {
	sp := &ScheduleSpec{Pos: p.pos(p.deref(v))}
	var expr *yaml.Node
	what = "schedule of " + what
	p.fields(v, what, scheduleKeys, func(key string, k, v *yaml.Node) {
		if key == "kickoff_time_input" {
			sp.KickoffInput = p.str(v, "kickoff_time_input of "+what)
			return
		}
		if sp.Kind != "" {
			p.d.errorf(p.pos(k), "%s gives both cron: and rate:", what)
			return
		}
		sp.Kind = key
		if s := p.str(v, key+" of "+what); s.Pos.Line > 0 {
			sp.Expr, sp.Pos, expr = s.Value, s.Pos, p.deref(v)
		}
	})
	if expr == nil {
		if sp.Kind == "" {
			p.d.hintf(sp.Pos, `schedule: {cron: "0 3 * * ? *"} or {rate: "1 day"}`, "%s has no cron: or rate:", what)
		}
		return sp
	}
	sched, err := schedule.Parse(sp.Expr)
	if err != nil {
		var se *schedule.Error
		pos := sp.Pos
		if errors.As(err, &se) {
			pos = p.posAtRune(expr, se.Pos)
		}
		p.d.errorf(pos, "invalid %s expression: %v", sp.Kind, err)
		return sp
	}
	if isRate := sched.Every() > 0; isRate != (sp.Kind == "rate") {
		other := map[bool]string{true: "rate", false: "cron"}[isRate]
		p.d.hintf(sp.Pos, "write schedule: {"+other+": ...}", "%s: %q is a %s expression, not %s", what, sp.Expr, other, sp.Kind)
		return sp
	}
	sp.Canonical = sched.String()
	return sp
}
