package engine_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// The loop holds events that ask for nothing urgent (an attempt's start)
// for a short window only: a long task shows as running in the saved state
// soon after it starts, and the end is saved before Run returns.
func TestSavedStateFollowsTheRun(t *testing.T) {
	dir := t.TempDir()
	spec := `apiVersion: aloft/v1
kind: Workflow
name: slow
tasks:
  nap: {command: [sleep, "0.6"]}
nodes:
  a: {task: nap}
  b: {task: nap, after: [a]}
`
	p := filepath.Join(dir, "wf.yaml")
	require.NoError(t, os.WriteFile(p, []byte(spec), 0o644))
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ref, err := f.eng.Start(ctx, compile(t, p, "slow"), nil, engine.StartOptions{})
	require.NoError(t, err)
	done := make(chan orchestrator.State, 1)
	go func() {
		s, err := f.eng.Run(ctx, ref, false)
		assert.NoError(t, err)
		done <- s
	}()
	sawRunning := false
	for !sawRunning {
		select {
		case <-done:
			require.FailNow(t, "the run ended before its saved state showed node a running")
		case <-time.After(20 * time.Millisecond):
		}
		s, err := f.eng.Load(ctx, ref)
		require.NoError(t, err)
		sawRunning = s.Nodes[0].Phase == orchestrator.Running
	}
	final := <-done
	f.exec.Wait()
	saved, err := f.eng.Load(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, orchestrator.ExecSucceeded, final.Phase)
	assert.Equal(t, final.Phase, saved.Phase, "saved phase")
	assert.Equal(t, final.Seq, saved.Seq, "saved seq")
}

// conflictStore makes every third conditional save of a state lose a race
// to another writer, who rewrites the same state in other bytes. That
// writer lives in the same process, on its own goroutine, so the rival
// write is announced to the subscribers from there, while the loser
// reloads.
type conflictStore struct {
	*dirstore.Store
	saves, lost atomic.Int32

	mu        sync.Mutex
	subs      []func(store.Event)
	announces sync.WaitGroup
}

func (c *conflictStore) Subscribe(fn func(store.Event)) (cancel func()) {
	c.mu.Lock()
	c.subs = append(c.subs, fn)
	c.mu.Unlock()
	return c.Store.Subscribe(fn)
}

func (c *conflictStore) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error) {
	if strings.HasSuffix(key, "/state.json") && opts.IfMatch != "" && c.saves.Add(1)%3 == 0 {
		b, _, err := store.ReadAll(ctx, c.Store, key)
		if err == nil {
			var v any
			if json.Unmarshal(b, &v) == nil {
				b, _ = json.MarshalIndent(v, "", "  ")
				if obj, err := store.PutBytes(ctx, c.Store, key, b, store.PutOptions{}); err == nil {
					c.lost.Add(1)
					c.announce(store.Event{Key: key, Size: obj.Size, ETag: obj.ETag})
				}
			}
		}
	}
	return c.Store.Put(ctx, key, r, opts)
}

// announce tells the subscribers of the rival write from another
// goroutine, synchronised with nothing the loser does.
func (c *conflictStore) announce(ev store.Event) {
	c.mu.Lock()
	subs := c.subs
	c.mu.Unlock()
	c.announces.Add(1)
	go func() {
		defer c.announces.Done()
		for _, fn := range subs {
			fn(ev)
		}
	}()
}

// Under -race this also checks that the store's callbacks read nothing
// the loop replaces when it reloads after a lost race.
func TestRunReappliesEventsAfterALostRace(t *testing.T) {
	st, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	require.NoError(t, err)
	cs := &conflictStore{Store: st}
	ex, err := local.New(st, local.Options{GPUs: []int{}, WorkDir: t.TempDir()})
	require.NoError(t, err)
	eng, err := engine.New(engine.Config{Store: cs, Dispatcher: ex})
	require.NoError(t, err)
	wf := compile(t, "../examples/hello/workflow.yaml", "hello")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ref, err := eng.Start(ctx, wf, map[string]orchestrator.Literal{"name": orchestrator.String("race")}, engine.StartOptions{})
	require.NoError(t, err)
	s, err := eng.Run(ctx, ref, false)
	ex.Wait()
	cs.announces.Wait()
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
	require.NotZero(t, cs.lost.Load(), "no save lost a race: the test tested nothing")
	saved, err := eng.Load(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, orchestrator.ExecSucceeded, saved.Phase)
	t.Logf("%d of %d saves lost a race", cs.lost.Load(), cs.saves.Load())
}

func TestCancelStopsTheRun(t *testing.T) {
	dir := t.TempDir()
	spec := `apiVersion: aloft/v1
kind: Workflow
name: long
tasks:
  nap: {command: [sleep, "30"]}
nodes:
  a: {task: nap}
`
	p := filepath.Join(dir, "wf.yaml")
	require.NoError(t, os.WriteFile(p, []byte(spec), 0o644))
	f := newFixture(t)
	ref, err := f.eng.Start(context.Background(), compile(t, p, "long"), nil, engine.StartOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	s, err := f.eng.Run(ctx, ref, false)
	f.exec.Wait()
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecAborted, s.Phase)
	assert.Less(t, time.Since(start), 10*time.Second, "cancelling took too long")
	saved, err := f.eng.Load(context.Background(), ref)
	require.NoError(t, err)
	assert.Equal(t, orchestrator.ExecAborted, saved.Phase)
}
