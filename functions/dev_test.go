package functions_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// TestDevDropStartsRun runs the control plane in-process over a directory
// bucket: a file copied into incoming/ by another writer starts exactly one
// run of the launch plan whose trigger matches; the run's tasks go through
// the local executor and its results through advance; the same bytes under
// another key are served from the cache.
func TestDevDropStartsRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	root := filepath.Join(t.TempDir(), "bucket")
	st, err := dirstore.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := local.New(st, local.Options{GPUs: []int{}, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	dev := &functions.Dev{Watch: func(ctx context.Context) error { return st.Watch(ctx, "incoming/") }, SweepEvery: 500 * time.Millisecond}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: ex, Wake: dev.Wake})
	if err != nil {
		t.Fatal(err)
	}
	c := &functions.Control{Store: st, Engine: eng, Bucket: functions.DevBucket}
	cron := &functions.Cron{Fire: func(ctx context.Context, in []byte) { _, _ = c.Trigger(ctx, in) }}
	c.Rules = cron
	dev.Control = c
	spec, err := orchestrator.ParseFiles("testdata/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Register(ctx, st, spec, registry.RegisterOptions{Project: "default", Domain: "development",
		Version: "v1", Activate: true, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	dev.Ready = func() { close(ready) }
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := dev.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	defer wg.Wait()
	defer cancel()
	<-ready

	// Another process copies a file in (written under a temporary name and
	// renamed, or written in place: the watch waits for a stable size).
	drop := func(name string) {
		dir := filepath.Join(root, "incoming", "lines")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte("one\ntwo\nthree\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	drop("a.txt")
	first := waitEnded(ctx, t, st, eng, 1)
	if first.Phase != orchestrator.ExecSucceeded || first.Outputs["lines"].Int != 3 {
		t.Fatalf("first run: %s %v (%s)", first.Phase, first.Outputs, first.Error)
	}
	if first.LaunchPlan != "lines_on_drop" || !strings.HasPrefix(first.Exec, "t") {
		t.Errorf("first run %s of %q", first.Exec, first.LaunchPlan)
	}
	// A launch plan without a schedule has no rule.
	if rules := cron.Rules(); len(rules) != 0 {
		t.Errorf("cron rules %v, want none", rules)
	}
	drop("b.txt")
	second := waitEnded(ctx, t, st, eng, 2)
	if second.Phase != orchestrator.ExecSucceeded || second.Nodes[0].Phase != orchestrator.Cached {
		t.Fatalf("second run: %s, node %s: want served from the cache", second.Phase, second.Nodes[0].Phase)
	}
}

// waitEnded waits until n executions have ended and returns the newest.
func waitEnded(ctx context.Context, t *testing.T, st store.Store, eng *engine.Engine, n int) orchestrator.State {
	t.Helper()
	for {
		var ended []orchestrator.State
		objs, err := st.List(ctx, "index/default/development/")
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			_, exec, _ := strings.Cut(o.Key[len("index/default/development/"):], "-")
			s, err := eng.Load(ctx, engine.Ref{Project: "default", Domain: "development", Exec: exec})
			if err == nil && s.Phase.Terminal() {
				ended = append(ended, s)
			}
		}
		if len(ended) >= n {
			if len(ended) > n {
				t.Fatalf("%d executions ended, want %d", len(ended), n)
			}
			return ended[0] // the index is newest first
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %d executions to end (%d did)", n, len(ended))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestCronFires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Date(2026, 11, 28, 2, 59, 59, 900_000_000, time.UTC)
	fired := make(chan string, 4)
	c := &functions.Cron{Now: func() time.Time { return now }, Fire: func(_ context.Context, in []byte) { fired <- string(in) }}
	c.Start(ctx)
	in := `{"schedule":{"project":"p","domain":"d","launch_plan":"n","time":"<time>"}}`
	if err := c.PutRule(ctx, functions.Rule{Name: "r", Schedule: "cron(0 3 * * ? *)", Enabled: true, Input: in}); err != nil {
		t.Fatal(err)
	}
	if next := c.Rules()["r"]; !next.Equal(time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)) {
		t.Fatalf("next fire %s", next)
	}
	select {
	case got := <-fired:
		if !strings.Contains(got, `"time":"2026-11-28T03:00:00Z"`) {
			t.Fatalf("fired with %s", got)
		}
	case <-ctx.Done():
		t.Fatal("the rule did not fire")
	}
	if err := c.DeleteRule(ctx, "r"); err != nil || len(c.Rules()) != 0 {
		t.Fatalf("delete: %v %v", err, c.Rules())
	}
	if err := c.PutRule(ctx, functions.Rule{Name: "bad", Schedule: "cron(0 25 * * ? *)"}); err == nil {
		t.Fatal("an invalid schedule was accepted")
	}
}
