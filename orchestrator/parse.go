package orchestrator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

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
