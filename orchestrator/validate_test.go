package orchestrator

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestValidateGolden")

// TestValidateGolden parses each testdata/validate/*.yaml and compares the
// full Diagnostics output with the .golden file beside it. Refresh with
//
//	go test ./orchestrator -run TestValidateGolden -update
func TestValidateGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/validate/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("only %d golden cases", len(files))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(name, data)
			var ds Diagnostics
			if !errors.As(err, &ds) {
				t.Fatalf("Parse(%s) = %v, want Diagnostics", name, err)
			}
			for _, d := range ds {
				if d.Pos.File != name || d.Pos.Line < 1 {
					t.Errorf("diagnostic without a position: %+v", d)
				}
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(path, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

// TestValidateSeveralFiles checks that ParseFiles resolves references
// across files and reports errors in each file with its own name.
func TestValidateSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	tasks := filepath.Join(dir, "tasks.yaml")
	wf := filepath.Join(dir, "wf.yaml")
	write(t, tasks, `apiVersion: aloft/v1
kind: Task
name: shared
inputs: {x: int}
outputs: {y: int}
command: [t, "{{inputs.x}}", "{{outputs.y}}"]
`)
	write(t, wf, `apiVersion: aloft/v1
kind: Workflow
name: wf
nodes:
  a: {task: shared, inputs: {x: 1}}
  b: {task: shared, inputs: {x: "{{a.y}}"}}
`)
	s, err := ParseFiles(tasks, wf)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(s, "wf")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Tasks["shared"].Dir; got != dir {
		t.Errorf("Dir of a task from tasks.yaml = %q, want %q", got, dir)
	}
	write(t, wf, `apiVersion: aloft/v1
kind: Workflow
name: wf
nodes:
  a: {task: shard, inputs: {x: 1}}
`)
	_, err = ParseFiles(tasks, wf, filepath.Join(dir, "missing.yaml"))
	var ds Diagnostics
	if !errors.As(err, &ds) || len(ds) != 2 {
		t.Fatalf("got %v, want 2 diagnostics", err)
	}
	if !strings.Contains(ds[0].Msg, "cannot read spec") || !strings.Contains(ds[1].Msg, `did you mean "shared"?`) {
		t.Errorf("unexpected diagnostics:\n%v", err)
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEditDistanceSuggest(t *testing.T) {
	for _, tc := range []struct{ word, want string }{
		{"retires", "retries"},
		{"imgae", "image"},
		{"cpus", "cpu"},
		{"colour", ""},
		{"x", ""},
	} {
		if got := suggest(tc.word, []string{"retries", "image", "cpu", "gpu", "memory", "env"}); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
