package engine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aloft-run/aloft/orchestrator"
)

// TestMapConditionalSubworkflowDirectory runs every node kind through real
// processes: a directory input ingested from a local path, a map node over
// a list, a subworkflow, and a conditional whose untaken branch is skipped.
func TestMapConditionalSubworkflowDirectory(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.MkdirAll(filepath.Join(data, "sub"), 0o755)
	os.WriteFile(filepath.Join(data, "a.txt"), []byte("one two\n"), 0o644)
	os.WriteFile(filepath.Join(data, "sub", "b.txt"), []byte("three\n"), 0o644)
	spec := `apiVersion: aloft/v1
kind: Workflow
name: shapes
inputs:
  corpus: directory
  factors: {type: "list<int>", default: [1, 2, 3]}
outputs:
  scaled: "{{scale.y}}"
  verdict: "{{judge.label}}"
  doubled: "{{twice.out}}"
defaults: {cache: {version: "1"}}
tasks:
  count:
    inputs: {d: directory}
    outputs: {n: int}
    command: [sh, -c, 'cat "$1"/a.txt "$1"/sub/b.txt | wc -w > "$2"', count, "{{inputs.d}}", "{{outputs.n}}"]
  mul:
    inputs: {x: int, f: int}
    outputs: {y: int}
    command: [sh, -c, 'echo $(( $1 * $2 )) > "$3"', mul, "{{inputs.x}}", "{{inputs.f}}", "{{outputs.y}}"]
  label:
    inputs: {text: string}
    outputs: {label: string}
    command: [sh, -c, 'printf %s "$1" > "$2"', label, "{{inputs.text}}", "{{outputs.label}}"]
nodes:
  count: {task: count, inputs: {d: "{{inputs.corpus}}"}}
  scale:
    map: mul
    over: {f: "{{inputs.factors}}"}
    inputs: {x: "{{count.n}}"}
    concurrency: 2
  twice: {workflow: double, inputs: {v: "{{count.n}}"}}
  judge:
    branches:
      - when: "{{count.n}} > 100"
        task: label
        inputs: {text: big}
      - otherwise: true
        task: label
        inputs: {text: small}
---
apiVersion: aloft/v1
kind: Workflow
name: double
inputs: {v: int}
outputs: {out: "{{m.y}}"}
tasks:
  mul2:
    inputs: {x: int, f: int}
    outputs: {y: int}
    command: [sh, -c, 'echo $(( $1 * $2 )) > "$3"', mul, "{{inputs.x}}", "{{inputs.f}}", "{{outputs.y}}"]
nodes:
  m: {task: mul2, inputs: {x: "{{inputs.v}}", f: 2}}
`
	p := filepath.Join(dir, "wf.yaml")
	os.WriteFile(p, []byte(spec), 0o644)
	f := newFixture(t)
	wf := compile(t, p, "shapes")
	s := f.run(wf, map[string]orchestrator.Literal{"corpus": orchestrator.Directory(orchestrator.Blob{URI: data})})
	if s.Phase != orchestrator.ExecSucceeded {
		t.Fatalf("phase %v: %s", s.Phase, s.Error)
	}
	if got := string(s.Outputs["scaled"].Canonical()); got != `{"list":[{"int":3},{"int":6},{"int":9}]}` {
		t.Errorf("scaled = %s", got)
	}
	if got := s.Outputs["verdict"].Str; got != "small" {
		t.Errorf("verdict = %q", got)
	}
	if got := s.Outputs["doubled"].Int; got != 6 {
		t.Errorf("doubled = %d", got)
	}
	ph := phases(s)
	if ph["judge.b0"] != "skipped" || ph["judge.b1"] != "succeeded" || ph["judge"] != "succeeded" {
		t.Errorf("branch phases: %v", ph)
	}
	// The same directory content at another path hits the cache.
	copyDir := filepath.Join(dir, "copy")
	os.MkdirAll(filepath.Join(copyDir, "sub"), 0o755)
	os.WriteFile(filepath.Join(copyDir, "a.txt"), []byte("one two\n"), 0o644)
	os.WriteFile(filepath.Join(copyDir, "sub", "b.txt"), []byte("three\n"), 0o644)
	s2 := f.run(wf, map[string]orchestrator.Literal{"corpus": orchestrator.Directory(orchestrator.Blob{URI: copyDir})})
	if p := phases(s2)["count"]; p != "cached" {
		t.Errorf("same bytes at a new path: count %s, want cached", p)
	}
}
