package functions_test

import (
	"context"
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
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// dropEvent is the fixture's S3 event for the object at key, with the
// version the world's store gives content (its ETag), and that content
// written there.
func dropEvent(t *testing.T, w *world, key, content string) []byte {
	t.Helper()
	obj, err := store.PutBytes(context.Background(), w.dir, key, []byte(content), store.PutOptions{})
	require.NoError(t, err)
	ev := string(fixture(t, "s3-object-created-incoming.json"))
	ev = strings.Replace(ev, "incoming/diabetes/pima-2026-11-28.csv", key, 1)
	ev = strings.Replace(ev, `"etag": "b1946ac92492d2347c6235b4d2611184"`, `"etag": "`+obj.ETag+`"`, 1)
	return []byte(strings.Replace(ev, `"version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",`, "", 1))
}

func TestTriggerStartsOneRunPerObjectVersion(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	ev := fixture(t, "s3-object-created-incoming.json")
	key := "incoming/diabetes/pima-2026-11-28.csv"
	// The object as S3 has it: the event's ETag is "hello\n"'s MD5.
	require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(w.dir.Root(), key)), 0o777))
	require.NoError(t, os.WriteFile(filepath.Join(w.dir.Root(), key), []byte("hello\n"), 0o666))
	ev = []byte(strings.Replace(string(ev), "b1946ac92492d2347c6235b4d2611184", store.Digest([]byte("hello\n"))[7:], 1))
	got, err := w.c.Trigger(ctx, ev)
	require.NoError(t, err)
	want := registry.TriggerID("default", "development", "diabetes_nightly", key, "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e")
	require.Len(t, got, 1)
	assert.Equal(t, want, got[0].Execution)
	assert.True(t, got[0].New)
	assert.Equal(t, "diabetes_nightly", got[0].LaunchPlan)
	r, err := registry.GetLaunchRequest(ctx, w.st, want)
	require.NoError(t, err)
	snap := layout.InputPrefix(want, "dataset") + "/pima-2026-11-28.csv"
	assert.Equal(t, orchestrator.File(orchestrator.Blob{URI: w.st.URI(snap), Digest: store.Digest([]byte("hello\n")), Size: 6}),
		r.Inputs["dataset"], "the input is a snapshot of the object, with its digest")
	assert.Equal(t, "v1", r.Version)
	assert.True(t, strings.HasPrefix(r.Cause, "trigger "), r.Cause)
	// The same event again (EventBridge delivers at least once): nothing new.
	again, err := w.c.Trigger(ctx, ev)
	require.NoError(t, err)
	require.Len(t, again, 1, "a duplicated event")
	assert.False(t, again[0].New)
	assert.Equal(t, want, again[0].Execution)
	// Another key that no trigger matches starts nothing; another bucket is refused.
	other := strings.Replace(string(ev), "incoming/diabetes/pima-2026-11-28.csv", "incoming/other/pima.csv", 1)
	got, err = w.c.Trigger(ctx, []byte(other))
	assert.NoError(t, err)
	assert.Empty(t, got, "unmatched key")
	wrongSuffix := strings.Replace(string(ev), "pima-2026-11-28.csv", "pima-2026-11-28.parquet", 1)
	got, err = w.c.Trigger(ctx, []byte(wrongSuffix))
	assert.NoError(t, err)
	assert.Empty(t, got, "unmatched suffix")
	otherBucket := strings.Replace(string(ev), `"name": "aloft-test-bucket"`, `"name": "someone-else"`, 1)
	_, err = w.c.Trigger(ctx, []byte(otherBucket))
	assert.Error(t, err, "an object of another bucket was accepted")
}

// TestTriggerSnapshotsEachVersion (Decision 27): the run's input is a copy
// of the version the event names, not the mutable drop-zone file; each new
// content starts one more run; an event whose version was replaced starts
// nothing (the newer version's does), and temporary names never trigger.
func TestTriggerSnapshotsEachVersion(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	key := "incoming/diabetes/pima.csv"
	first := dropEvent(t, w, key, "a,b\n1,2\n")
	got, err := w.c.Trigger(ctx, first)
	require.NoError(t, err)
	require.Len(t, got, 1)
	run1 := got[0].Execution

	second := dropEvent(t, w, key, "a,b\n1,2\n3,4\n") // rewritten in place
	got, err = w.c.Trigger(ctx, second)
	require.NoError(t, err)
	require.Len(t, got, 1, "a new content is a new version: one more run")
	run2 := got[0].Execution
	assert.NotEqual(t, run1, run2)

	for run, want := range map[string]string{run1: "a,b\n1,2\n", run2: "a,b\n1,2\n3,4\n"} {
		r, err := registry.GetLaunchRequest(ctx, w.st, run)
		require.NoError(t, err)
		in := r.Inputs["dataset"]
		assert.Equal(t, store.Digest([]byte(want)), in.Blob.Digest)
		k, ok := w.st.KeyOf(in.Blob.URI)
		require.True(t, ok, in.Blob.URI)
		assert.True(t, strings.HasPrefix(k, layout.ExecDataPrefix(run)), "snapshot %s under the run's data", k)
		b, _, err := store.ReadAll(ctx, w.st, k)
		require.NoError(t, err)
		assert.Equal(t, want, string(b), "the snapshot keeps the version the run was started for")
	}

	// The first event again, now that the file holds other bytes: its
	// version was triggered (marker), so nothing new happens.
	got, err = w.c.Trigger(ctx, first)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, run1, got[0].Execution)
	assert.False(t, got[0].New)
	// An event that arrives after its version was replaced starts nothing.
	stale := dropEvent(t, w, "incoming/diabetes/late.csv", "old")
	_ = dropEvent(t, w, "incoming/diabetes/late.csv", "new")
	got, err = w.c.Trigger(ctx, stale)
	require.NoError(t, err)
	assert.Empty(t, got, "a replaced version")

	for _, tmp := range []string{"incoming/diabetes/.pima.csv", "incoming/diabetes/pima.csv.tmp"} {
		got, err = w.c.Trigger(ctx, dropEvent(t, w, tmp, "partial"))
		require.NoError(t, err)
		assert.Empty(t, got, tmp)
	}
}

// devWorld is `aloft dev` over a directory bucket with testdata/dev.yaml's
// launch plan active (a trigger on incoming/lines/*.txt).
type devWorld struct {
	root string
	st   *markerReads
}

// markerReads is a directory store that counts reads of trigger markers.
type markerReads struct {
	*dirstore.Store
	n atomic.Int32
}

func (m *markerReads) Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error) {
	if strings.HasPrefix(key, layout.TriggeredRoot) {
		m.n.Add(1)
	}
	return m.Store.Get(ctx, key)
}

func newDevWorld(t *testing.T) *devWorld {
	t.Helper()
	root := filepath.Join(t.TempDir(), "bucket")
	st, err := dirstore.Open(root)
	require.NoError(t, err)
	spec, err := orchestrator.ParseFiles("testdata/dev.yaml")
	require.NoError(t, err)
	_, err = registry.Register(context.Background(), st, spec, registry.RegisterOptions{Project: "default", Domain: "development",
		Version: "v1", Activate: true, Now: time.Now()})
	require.NoError(t, err)
	return &devWorld{root: root, st: &markerReads{Store: st}}
}

// start runs the control plane until the returned stop is called, its
// watch catching up on drops and waiting quiet on the drop folder.
func (w *devWorld) start(t *testing.T, ctx context.Context, quiet time.Duration) (*engine.Engine, func()) {
	t.Helper()
	ex, err := local.New(w.st, local.Options{GPUs: []int{}, WorkDir: t.TempDir()})
	require.NoError(t, err)
	dev := &functions.Dev{SweepEvery: 500 * time.Millisecond, Watch: func(ctx context.Context) error {
		return w.st.Watch(ctx, "", dirstore.DropQuiet(quiet), dirstore.CatchUpDrops())
	}}
	eng, err := engine.New(engine.Config{Store: w.st, Dispatcher: ex, Wake: dev.Wake})
	require.NoError(t, err)
	dev.Control = &functions.Control{Store: w.st, Engine: eng, Bucket: functions.DevBucket, Rules: &functions.Cron{}}
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan struct{})
	dev.Ready = func() { close(ready) }
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		assert.NoError(t, dev.Run(ctx))
	}()
	<-ready
	return eng, func() { cancel(); wg.Wait(); ex.Wait() }
}

// drop writes a file under incoming/lines/ as another program would.
func (w *devWorld) drop(t *testing.T, name, content string, flag int) {
	t.Helper()
	p := filepath.Join(w.root, "incoming", "lines", name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o777))
	f, err := os.OpenFile(p, flag|os.O_WRONLY|os.O_CREATE, 0o666)
	require.NoError(t, err)
	_, err = f.WriteString(content)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// TestDevHalfWrittenDropStartsOneRun is issue 14's first finding: half a
// file written and closed, a pause longer than the old ~200ms quiet but
// shorter than the quiet period, then the rest: one run, on every line.
func TestDevHalfWrittenDropStartsOneRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := newDevWorld(t)
	eng, stop := w.start(t, ctx, 1500*time.Millisecond)
	defer stop()
	w.drop(t, "half.txt", "one\ntwo\n", os.O_TRUNC)
	time.Sleep(500 * time.Millisecond)
	w.drop(t, "half.txt", "three\n", os.O_APPEND)
	s := waitEnded(ctx, t, w.st, eng, 1)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
	assert.Equal(t, int64(3), s.Outputs["lines"].Int, "the run read the whole file")
	objs, err := w.st.List(ctx, layout.IndexPrefix("default", "development"))
	require.NoError(t, err)
	assert.Len(t, objs, 1, "one run for the file")
}

// TestDevTriggersDropsMadeWhileDown (Decision 27): a file dropped while
// aloft dev was not running starts its run when dev starts, and only once:
// a second start finds the version's marker.
func TestDevTriggersDropsMadeWhileDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := newDevWorld(t)
	w.drop(t, "early.txt", "one\ntwo\n", os.O_TRUNC)
	eng, stop := w.start(t, ctx, 100*time.Millisecond)
	s := waitEnded(ctx, t, w.st, eng, 1)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
	assert.Equal(t, int64(2), s.Outputs["lines"].Int)
	_, err := w.st.Head(ctx, layout.TriggeredKey("lines/early.txt", store.Digest([]byte("one\ntwo\n"))[7:]))
	require.NoError(t, err, "the triggered version's marker")
	stop()

	_, stop = w.start(t, ctx, 100*time.Millisecond)
	defer stop()
	require.Eventually(t, func() bool { return w.st.n.Load() == 1 },
		10*time.Second, 10*time.Millisecond, "the second start saw the file and read its marker")
	objs, err := w.st.List(ctx, layout.IndexPrefix("default", "development"))
	require.NoError(t, err)
	assert.Len(t, objs, 1, "the file started one run in all")
}
