package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/catalog"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store/dirstore"
)

// serialSpec has two serialized cached tasks, a then b; each appends a
// line to the count file when it runs.
const serialSpec = `apiVersion: aloft/v1
kind: Workflow
name: serial
defaults:
  cache: {version: "1", serialize: %s}
tasks:
  work:
    inputs: {x: int}
    command: [sh, -c, "echo {{inputs.x}} >> %s; sleep 0.5"]
nodes:
  a: {task: work, inputs: {x: 1}}
  b: {task: work, inputs: {x: 2}, after: [a]}
`

// serialEngine is one engine over the bucket, with a store of its own
// (its own notifications, as another process has) and a clock that starts
// at base and runs with real time.
func serialEngine(t *testing.T, bucket, id string, base time.Time, observe func(*orchestrator.State), lease ...time.Duration) (*engine.Engine, *dirstore.Store) {
	t.Helper()
	st, err := dirstore.Open(bucket)
	require.NoError(t, err)
	ex, err := local.New(st, local.Options{GPUs: []int{}, WorkDir: t.TempDir()})
	require.NoError(t, err)
	start := time.Now()
	cfg := engine.Config{Store: st, Dispatcher: ex, Observe: observe,
		NewID: func() string { return id },
		Now:   func() time.Time { return base.Add(time.Since(start)) },
	}
	if len(lease) == 2 {
		cfg.ReservationLease, cfg.ReservationRenew = lease[0], lease[1]
	}
	eng, err := engine.New(cfg)
	require.NoError(t, err)
	return eng, st
}

func serialWorkflow(t *testing.T, serialize bool) (*orchestrator.Compiled, string) {
	t.Helper()
	dir := t.TempDir()
	count := filepath.Join(dir, "count")
	p := filepath.Join(dir, "wf.yaml")
	require.NoError(t, os.WriteFile(p, fmt.Appendf(nil, serialSpec, fmt.Sprint(serialize), count), 0o644))
	return compile(t, p, "serial"), count
}

func runs(t *testing.T, count string) []string {
	t.Helper()
	b, err := os.ReadFile(count)
	require.NoError(t, err)
	return strings.Fields(string(b))
}

// runTogether starts and runs one execution of wf on each engine at once.
func runTogether(t *testing.T, wf *orchestrator.Compiled, engs ...*engine.Engine) []orchestrator.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	refs := make([]engine.Ref, len(engs))
	for i, eng := range engs {
		ref, err := eng.Start(ctx, wf, nil, engine.StartOptions{})
		require.NoError(t, err)
		refs[i] = ref
	}
	out := make([]orchestrator.State, len(engs))
	var wg sync.WaitGroup
	for i, eng := range engs {
		wg.Go(func() {
			s, err := eng.Run(ctx, refs[i], false)
			assert.NoError(t, err)
			out[i] = s
		})
	}
	wg.Wait()
	return out
}

// Two identical runs started together, as two `aloft run` processes on one
// store: with serialize each task runs once; the other run waits, then
// hits the cache.
func TestSerializeRunsEachTaskOnce(t *testing.T) {
	wf, count := serialWorkflow(t, true)
	bucket := filepath.Join(t.TempDir(), "bucket")
	base := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	waited := false
	observe := func(s *orchestrator.State) {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range s.Nodes {
			waited = waited || n.Phase == orchestrator.Waiting
		}
	}
	e1, _ := serialEngine(t, bucket, "one", base, observe)
	e2, _ := serialEngine(t, bucket, "two", base, observe)
	states := runTogether(t, wf, e1, e2)

	assert.ElementsMatch(t, []string{"1", "2"}, runs(t, count), "each task ran once")
	for i, s := range states {
		require.Equal(t, orchestrator.ExecSucceeded, s.Phase, "run %d: %s", i, s.Error)
	}
	for n := range wf.Nodes {
		phases := []orchestrator.Phase{states[0].Nodes[n].Phase, states[1].Nodes[n].Phase}
		assert.ElementsMatch(t, []orchestrator.Phase{orchestrator.Succeeded, orchestrator.Cached}, phases, "node %s", wf.Nodes[n].Name)
	}
	assert.True(t, waited, "one run waited for the other's reservation")
	entries, err := os.ReadDir(filepath.Join(bucket, "catalog", "default", "development", "work", "1"))
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasSuffix(e.Name(), ".reservation"), "reservation %s left behind", e.Name())
	}
}

// A holder renews its lease while its task runs: with a lease much shorter
// than the task, the other run still waits for the entry instead of taking
// the reservation over.
func TestSerializeRenewsLease(t *testing.T) {
	wf, count := serialWorkflow(t, true)
	bucket := filepath.Join(t.TempDir(), "bucket")
	base := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	const lease, renew = 300 * time.Millisecond, 50 * time.Millisecond
	e1, _ := serialEngine(t, bucket, "one", base, nil, lease, renew)
	e2, _ := serialEngine(t, bucket, "two", base, nil, lease, renew)
	states := runTogether(t, wf, e1, e2)
	for _, s := range states {
		require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
	}
	assert.ElementsMatch(t, []string{"1", "2"}, runs(t, count), "each task ran once")
}

// Without serialize, behaviour is unchanged: both runs run every task.
func TestUnserializedRunsBoth(t *testing.T) {
	wf, count := serialWorkflow(t, false)
	bucket := filepath.Join(t.TempDir(), "bucket")
	base := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	e1, _ := serialEngine(t, bucket, "one", base, nil)
	e2, _ := serialEngine(t, bucket, "two", base, nil)
	states := runTogether(t, wf, e1, e2)
	for _, s := range states {
		require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
	}
	assert.ElementsMatch(t, []string{"1", "1", "2", "2"}, runs(t, count))
}

// A reservation whose holder is gone does not block others for ever: a
// lease that ran out is taken over at once, and one that is still running
// is waited out, then taken over.
func TestSerializeDeadHolder(t *testing.T) {
	base := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		reserved time.Time // when the dead holder took the reservation
		lease    time.Duration
		waits    bool
	}{
		{name: "lease ran out", reserved: base.Add(-10 * time.Minute), lease: 5 * time.Minute},
		{name: "lease runs out while waiting", reserved: base, lease: 1500 * time.Millisecond, waits: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wf, count := serialWorkflow(t, true)
			bucket := filepath.Join(t.TempDir(), "bucket")
			var mu sync.Mutex
			var phases []orchestrator.Phase
			eng, st := serialEngine(t, bucket, "alive", base, func(s *orchestrator.State) {
				mu.Lock()
				phases = append(phases, s.Nodes[0].Phase)
				mu.Unlock()
			})
			ctx := context.Background()
			task := wf.Tasks["work"]
			key, err := catalog.Key("default", "development", task, map[string]orchestrator.Literal{"x": orchestrator.Int(1)})
			require.NoError(t, err)
			taken, _, err := catalog.New(st).Reserve(ctx, "default", "development", task, key, "gone/a", tc.reserved, tc.lease)
			require.NoError(t, err)
			require.True(t, taken)

			s := runTogether(t, wf, eng)[0]
			require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
			assert.Equal(t, orchestrator.Succeeded, s.Nodes[0].Phase, "the waiter took the reservation over and ran")
			assert.Equal(t, []string{"1", "2"}, runs(t, count))
			assert.Equal(t, tc.waits, slices.Contains(phases, orchestrator.Waiting), "waited: %v", phases)
			_, err = catalog.New(st).GetReservation(ctx, "default", "development", task, key)
			assert.Error(t, err, "the reservation is released at the end")
		})
	}
}
