package engine_test

import (
	"context"
	"encoding/json"
	"io"
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
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ref, err := f.eng.Start(ctx, compile(t, p, "slow"), nil, engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan orchestrator.State, 1)
	go func() {
		s, err := f.eng.Run(ctx, ref, false)
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	sawRunning := false
	for !sawRunning {
		select {
		case <-done:
			t.Fatal("the run ended before its saved state showed node a running")
		case <-time.After(20 * time.Millisecond):
		}
		s, err := f.eng.Load(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		sawRunning = s.Nodes[0].Phase == orchestrator.Running
	}
	final := <-done
	f.exec.Wait()
	saved, err := f.eng.Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if final.Phase != orchestrator.ExecSucceeded || saved.Phase != final.Phase || saved.Seq != final.Seq {
		t.Errorf("Run returned %v (seq %d); saved %v (seq %d)", final.Phase, final.Seq, saved.Phase, saved.Seq)
	}
}

// conflictStore makes every third conditional save of a state lose a race
// to another writer, who rewrites the same state in other bytes.
type conflictStore struct {
	*dirstore.Store
	saves, lost atomic.Int32
}

func (c *conflictStore) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error) {
	if strings.HasSuffix(key, "/state.json") && opts.IfMatch != "" && c.saves.Add(1)%3 == 0 {
		b, _, err := store.ReadAll(ctx, c.Store, key)
		if err == nil {
			var v any
			if json.Unmarshal(b, &v) == nil {
				b, _ = json.MarshalIndent(v, "", "  ")
				if _, err := store.PutBytes(ctx, c.Store, key, b, store.PutOptions{}); err == nil {
					c.lost.Add(1)
				}
			}
		}
	}
	return c.Store.Put(ctx, key, r, opts)
}

func TestRunReappliesEventsAfterALostRace(t *testing.T) {
	st, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	if err != nil {
		t.Fatal(err)
	}
	cs := &conflictStore{Store: st}
	ex, err := local.New(st, local.Options{GPUs: []int{}, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: cs, Dispatcher: ex})
	if err != nil {
		t.Fatal(err)
	}
	wf := compile(t, "../examples/hello/workflow.yaml", "hello")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ref, err := eng.Start(ctx, wf, map[string]orchestrator.Literal{"name": orchestrator.String("race")}, engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := eng.Run(ctx, ref, false)
	ex.Wait()
	if err != nil || s.Phase != orchestrator.ExecSucceeded {
		t.Fatalf("Run: %v, phase %v: %s", err, s.Phase, s.Error)
	}
	if cs.lost.Load() == 0 {
		t.Fatal("no save lost a race: the test tested nothing")
	}
	saved, err := eng.Load(ctx, ref)
	if err != nil || saved.Phase != orchestrator.ExecSucceeded {
		t.Errorf("saved state: %v, %v", saved.Phase, err)
	}
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
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	ref, err := f.eng.Start(context.Background(), compile(t, p, "long"), nil, engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	s, err := f.eng.Run(ctx, ref, false)
	f.exec.Wait()
	if err != nil || s.Phase != orchestrator.ExecAborted {
		t.Fatalf("Run: %v, phase %v", err, s.Phase)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancelling took %v", d)
	}
	saved, err := f.eng.Load(context.Background(), ref)
	if err != nil || saved.Phase != orchestrator.ExecAborted {
		t.Errorf("saved state: %v, %v", saved.Phase, err)
	}
}
