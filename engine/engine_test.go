package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// fixture is an engine over a fresh directory store and the local executor.
type fixture struct {
	t    *testing.T
	st   *dirstore.Store
	exec *local.Executor
	eng  *engine.Engine
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := local.New(st, local.Options{GPUs: []int{}, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	// The clock starts at a fixed instant and advances with real time, so
	// retry backoffs (real timers) come due.
	clock := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	start := time.Now()
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: ex,
		NewID: func() string { return fmt.Sprintf("e%d", n.Add(1)) },
		Now:   func() time.Time { return clock.Add(time.Since(start)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, st: st, exec: ex, eng: eng}
}

func compile(t *testing.T, path, name string) *orchestrator.Compiled {
	t.Helper()
	s, err := orchestrator.ParseFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := orchestrator.Compile(s, name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) run(wf *orchestrator.Compiled, in map[string]orchestrator.Literal) orchestrator.State {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ref, err := f.eng.Start(ctx, wf, in, engine.StartOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	s, err := f.eng.Run(ctx, ref, false)
	if err != nil {
		f.t.Fatal(err)
	}
	f.exec.Wait()
	return s
}

func phases(s orchestrator.State) map[string]string {
	m := map[string]string{}
	for i, n := range s.Compiled().Nodes {
		m[n.Name] = s.Nodes[i].Phase.String()
	}
	return m
}

func readFile(t *testing.T, st store.Store, l orchestrator.Literal) string {
	t.Helper()
	key, ok := st.KeyOf(l.Blob.URI)
	if !ok {
		t.Fatalf("%s is not in the store", l.Blob.URI)
	}
	b, _, err := store.ReadAll(context.Background(), st, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHelloRunsAndCaches(t *testing.T) {
	f := newFixture(t)
	wf := compile(t, "../examples/hello/workflow.yaml", "hello")
	s := f.run(wf, map[string]orchestrator.Literal{"name": orchestrator.String("aloft")})
	if s.Phase != orchestrator.ExecSucceeded {
		t.Fatalf("phase %v: %s", s.Phase, s.Error)
	}
	if got := readFile(t, f.st, s.Outputs["shout"]); got != "HELLO, ALOFT\n" {
		t.Errorf("shout = %q", got)
	}
	if w := s.Outputs["words"]; w.Int != 6 {
		t.Errorf("words = %v", w.Text())
	}
	s2 := f.run(wf, map[string]orchestrator.Literal{"name": orchestrator.String("aloft")})
	for n, p := range phases(s2) {
		if p != "cached" {
			t.Errorf("rerun: node %s %s, want cached", n, p)
		}
	}
	// Changing count reruns only the node that reads it.
	s3 := f.run(wf, map[string]orchestrator.Literal{"name": orchestrator.String("aloft"), "count": orchestrator.Int(5)})
	want := map[string]string{"greet": "cached", "loud": "cached", "count_words": "succeeded"}
	if got := phases(s3); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after changing count: %v, want %v", got, want)
	}
	if s3.Outputs["words"].Int != 10 {
		t.Errorf("words = %v", s3.Outputs["words"].Text())
	}
}

func TestFailureRetriesAndReports(t *testing.T) {
	dir := t.TempDir()
	spec := `apiVersion: aloft/v1
kind: Workflow
name: flaky
outputs: {y: "{{b.y}}"}
tasks:
  fail_once:
    outputs: {y: int}
    retries: 1
    command: [sh, -c, 'if [ -e "$1" ]; then echo 7 > "$2"; else touch "$1"; echo boom >&2; exit 3; fi', x, "` + filepath.Join(dir, "marker") + `", "{{outputs.y}}"]
  always_fails:
    inputs: {y: int}
    outputs: {y: int}
    command: [sh, -c, 'echo nope >&2; exit 4']
nodes:
  a: {task: fail_once}
  b: {task: always_fails, inputs: {y: "{{a.y}}"}}
`
	p := filepath.Join(dir, "wf.yaml")
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	s := f.run(compile(t, p, "flaky"), nil)
	if s.Phase != orchestrator.ExecFailed {
		t.Fatalf("phase %v", s.Phase)
	}
	if s.Nodes[0].Phase != orchestrator.Succeeded || s.Nodes[0].Attempt != 2 {
		t.Errorf("a: %v attempt %d, want succeeded on attempt 2", s.Nodes[0].Phase, s.Nodes[0].Attempt)
	}
	if !strings.Contains(s.Error, `node "b" failed`) || !strings.Contains(s.Error, "exit") {
		t.Errorf("error = %q", s.Error)
	}
}
