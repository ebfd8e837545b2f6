package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/store"
)

// TestOwnRenewsTheHeartbeat: Own writes the owner marker at once and
// renews its heartbeat on every tick until released.
func TestOwnRenewsTheHeartbeat(t *testing.T) {
	ctx := context.Background()
	f := newLivenessFixture(t)
	var mu sync.Mutex
	clock := f.now
	eng, err := engine.New(engine.Config{Store: f.st, Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Second) // every read of the clock is a second later
		return clock
	}})
	require.NoError(t, err)
	ref := engine.Ref{Project: "p", Domain: "d", Exec: "own1"}
	id := batchrunner.ProcessID{PID: 42, Start: 7, BootID: "b"}
	release, err := eng.Own(ctx, ref, id, 5*time.Millisecond)
	require.NoError(t, err)
	var first engine.Owner
	_, err = store.GetJSON(ctx, f.st, ref.OwnerKey(), &first)
	require.NoError(t, err)
	assert.Equal(t, id, first.Process)
	require.Eventually(t, func() bool {
		var o engine.Owner
		_, err := store.GetJSON(ctx, f.st, ref.OwnerKey(), &o)
		return err == nil && o.Heartbeat.After(first.Heartbeat)
	}, 10*time.Second, 5*time.Millisecond, "the heartbeat is renewed")
	release()
	release() // twice is fine
}

// TestCheckOwner: on this machine the owner process decides; on another
// (another boot id) the heartbeat does, stale after two minutes.
func TestCheckOwner(t *testing.T) {
	ctx := context.Background()
	f := newLivenessFixture(t)
	root := t.TempDir() // a proc tree: this boot is "here", process 9 started at tick 555
	for name, body := range map[string]string{"sys/kernel/random/boot_id": "here\n", "9/stat": "9 (aloft) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0\n"} {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	proc := batchrunner.ProcFS{Root: root}
	ref := engine.Ref{Project: "p", Domain: "d", Exec: "own2"}
	now := f.now
	st, err := engine.CheckOwner(ctx, f.st, ref, proc, now)
	require.NoError(t, err)
	assert.Equal(t, engine.OwnerState{}, st, "no marker: not owned")
	for _, c := range []struct {
		name string
		o    engine.Owner
		gone bool
	}{
		{"live process here", engine.Owner{Process: batchrunner.ProcessID{PID: 9, Start: 555, BootID: "here"}, Heartbeat: now.Add(-time.Hour)}, false},
		{"dead process here", engine.Owner{Process: batchrunner.ProcessID{PID: 10, Start: 555, BootID: "here"}, Heartbeat: now}, true},
		{"elsewhere, fresh heartbeat", engine.Owner{Process: batchrunner.ProcessID{PID: 9, Start: 1, BootID: "there"}, Heartbeat: now.Add(-time.Minute)}, false},
		{"elsewhere, stale heartbeat", engine.Owner{Process: batchrunner.ProcessID{PID: 9, Start: 1, BootID: "there"}, Heartbeat: now.Add(-3 * time.Minute)}, true},
	} {
		_, err := store.PutJSON(ctx, f.st, ref.OwnerKey(), c.o, store.PutOptions{})
		require.NoError(t, err)
		st, err := engine.CheckOwner(ctx, f.st, ref, proc, now)
		require.NoError(t, err, c.name)
		assert.True(t, st.Owned, c.name)
		assert.Equal(t, c.gone, st.Gone, c.name)
		if c.gone {
			assert.NotEmpty(t, st.Why, c.name)
		}
	}
}

// TestEventDrivenShellsLeaveOwnedExecutionsAlone: Advance and Sweep of an
// execution with an owner marker (an aloft run's) change nothing.
func TestEventDrivenShellsLeaveOwnedExecutionsAlone(t *testing.T) {
	ctx := context.Background()
	f := newLivenessFixture(t)
	ref, err := f.eng.Start(ctx, compile(t, "testdata/one.yaml", "one"), nil, engine.StartOptions{Swept: true})
	require.NoError(t, err)
	before, err := f.eng.Load(ctx, ref)
	require.NoError(t, err)
	release, err := f.eng.Own(ctx, ref, batchrunner.ProcessID{PID: 1}, time.Hour)
	require.NoError(t, err)
	release()
	_, err = f.eng.Sweep(ctx, ref, nil)
	require.ErrorIs(t, err, engine.ErrOwned)
	_, err = f.eng.Advance(ctx, ref, []engine.Signal{engine.Tick{}})
	require.ErrorIs(t, err, engine.ErrOwned)
	s, err := f.eng.Load(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, before.Seq, s.Seq, "no event applied")
	assert.Empty(t, s.Nodes[0].JobID)
	assert.Zero(t, f.d.n, "nothing dispatched")
}
