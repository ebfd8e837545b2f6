package localplane_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/functions/localplane"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// newPlane is the local control plane over a directory bucket, with the
// local executor and testdata/dev.yaml registered and its launch plan
// active.
func newPlane(t *testing.T, ctx context.Context, root string) (*localplane.Plane, *dirstore.Store, *engine.Engine) {
	t.Helper()
	st, err := dirstore.Open(root)
	require.NoError(t, err)
	ex, err := local.New(st, local.Options{GPUs: []int{}, WorkDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(ex.Wait)
	p := &localplane.Plane{SweepEvery: 500 * time.Millisecond}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: ex, Wake: p.Wake})
	require.NoError(t, err)
	p.Wire(functions.Base{Store: st, Bucket: localplane.Bucket}, eng)
	spec, err := orchestrator.ParseFiles("testdata/dev.yaml")
	require.NoError(t, err)
	_, err = registry.Register(ctx, st, spec, registry.RegisterOptions{Project: "default", Domain: "development",
		Version: "v1", Activate: true, Now: time.Now()})
	require.NoError(t, err)
	return p, st, eng
}

// serve runs p until the returned stop is called; stop returns Run's error,
// or an error if Run has not returned 10 seconds after its context ended.
func serve(ctx context.Context, p *localplane.Plane) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan struct{})
	p.Ready = func() { close(ready) }
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		return func() error { return err }
	}
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("Run did not return 10s after its context ended")
		}
	}
}

// TestDevDropStartsRun runs the control plane in-process over a directory
// bucket: a file copied into incoming/ by another writer starts exactly one
// run of the launch plan whose trigger matches; the run's tasks go through
// the local executor and its results through advance; the same bytes under
// another key are served from the cache.
func TestDevDropStartsRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	root := filepath.Join(t.TempDir(), "bucket")
	p, st, eng := newPlane(t, ctx, root)
	p.Watch = func(ctx context.Context) error { return st.Watch(ctx, "incoming/") }
	stop := serve(ctx, p)
	defer func() { assert.NoError(t, stop()) }()

	// Another process copies a file in (written under a temporary name and
	// renamed, or written in place: the watch waits for a stable size).
	drop := func(name string) {
		dir := filepath.Join(root, "incoming", "lines")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("one\ntwo\nthree\n"), 0o644))
	}
	drop("a.txt")
	first := waitEnded(ctx, t, st, eng, 1)
	require.Equal(t, orchestrator.ExecSucceeded, first.Phase, "first run: %v (%s)", first.Outputs, first.Error)
	require.Equal(t, int64(3), first.Outputs["lines"].Int, "first run outputs")
	assert.Equal(t, "lines_on_drop", first.LaunchPlan, "first run %s", first.Exec)
	assert.True(t, strings.HasPrefix(first.Exec, "t"), "first run %s of %q", first.Exec, first.LaunchPlan)
	// A launch plan without a schedule has no rule.
	assert.Empty(t, p.Cron.Rules(), "cron rules")
	drop("b.txt")
	second := waitEnded(ctx, t, st, eng, 2)
	require.Equal(t, orchestrator.ExecSucceeded, second.Phase, "second run")
	require.Equal(t, orchestrator.Cached, second.Nodes[0].Phase, "second run's node: want served from the cache")
}

// TestRunJoinsItsGoroutines: once Run returns, nothing it started is left,
// not even timers far in the future (a wake-up, a scheduled rule).
func TestRunJoinsItsGoroutines(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	p, _, _ := newPlane(t, ctx, filepath.Join(t.TempDir(), "bucket"))
	before := runtime.NumGoroutine()
	stop := serve(ctx, p)
	// A retry's wake-up an hour away, and a schedule that fires at 03:00.
	require.NoError(t, p.Wake(ctx, engine.Ref{Project: "default", Domain: "development", Exec: "r1"}, time.Now().Add(time.Hour)))
	require.NoError(t, p.Cron.PutRule(ctx, functions.Rule{Name: "r", Schedule: "cron(0 3 * * ? *)", Enabled: true,
		Input: `{"schedule":{"project":"default","domain":"development","launch_plan":"lines_on_drop","time":"<time>"}}`}))
	require.Greater(t, runtime.NumGoroutine(), before, "the timers run as goroutines")
	require.NoError(t, stop())
	// Goroutines of the runtime and the libraries may take a moment to
	// end; the plane's would never end on their own. (A plain loop:
	// assert.Eventually runs its condition on a goroutine of its own.)
	left := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); left > before && time.Now().Before(deadline); left = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	assert.LessOrEqual(t, left, before, "goroutines outlived Run")
	assert.Error(t, p.Cron.PutRule(ctx, functions.Rule{Name: "late", Schedule: "rate(1 minute)", Enabled: true}),
		"a rule was scheduled after the plane stopped")
}

// waitEnded waits until n executions have ended and returns the newest.
func waitEnded(ctx context.Context, t *testing.T, st store.Store, eng *engine.Engine, n int) orchestrator.State {
	t.Helper()
	for {
		var ended []orchestrator.State
		objs, err := st.List(ctx, "index/default/development/")
		require.NoError(t, err)
		for _, o := range objs {
			_, exec, _ := strings.Cut(o.Key[len("index/default/development/"):], "-")
			s, err := eng.Load(ctx, engine.Ref{Project: "default", Domain: "development", Exec: exec})
			if err == nil && s.Phase.Terminal() {
				ended = append(ended, s)
			}
		}
		if len(ended) >= n {
			require.Len(t, ended, n, "executions ended")
			return ended[0] // the index is newest first
		}
		select {
		case <-ctx.Done():
			require.FailNow(t, "timed out", "waiting for %d executions to end (%d did)", n, len(ended))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestCronFires(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Date(2026, 11, 28, 2, 59, 59, 900_000_000, time.UTC)
	fired := make(chan string, 4)
	c := &localplane.Cron{Now: func() time.Time { return now }, Fire: func(_ context.Context, in []byte) { fired <- string(in) }}
	defer c.Stop()
	in := `{"schedule":{"project":"p","domain":"d","launch_plan":"n","time":"<time>"}}`
	require.NoError(t, c.PutRule(ctx, functions.Rule{Name: "r", Schedule: "cron(0 3 * * ? *)", Enabled: true, Input: in}))
	require.Equal(t, time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC), c.Rules()["r"].UTC(), "next fire")
	select {
	case got := <-fired:
		require.Contains(t, got, `"time":"2026-11-28T03:00:00Z"`, "fired with")
	case <-ctx.Done():
		require.FailNow(t, "the rule did not fire")
	}
	require.NoError(t, c.DeleteRule(ctx, "r"))
	require.Empty(t, c.Rules(), "rules after delete")
	require.Error(t, c.PutRule(ctx, functions.Rule{Name: "bad", Schedule: "cron(0 25 * * ? *)"}), "an invalid schedule was accepted")
}
