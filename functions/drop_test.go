package functions_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
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
	got, err := w.trig.Handle(ctx, ev)
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
	again, err := w.trig.Handle(ctx, ev)
	require.NoError(t, err)
	require.Len(t, again, 1, "a duplicated event")
	assert.False(t, again[0].New)
	assert.Equal(t, want, again[0].Execution)
	// Another key that no trigger matches starts nothing; another bucket is refused.
	other := strings.Replace(string(ev), "incoming/diabetes/pima-2026-11-28.csv", "incoming/other/pima.csv", 1)
	got, err = w.trig.Handle(ctx, []byte(other))
	assert.NoError(t, err)
	assert.Empty(t, got, "unmatched key")
	wrongSuffix := strings.Replace(string(ev), "pima-2026-11-28.csv", "pima-2026-11-28.parquet", 1)
	got, err = w.trig.Handle(ctx, []byte(wrongSuffix))
	assert.NoError(t, err)
	assert.Empty(t, got, "unmatched suffix")
	otherBucket := strings.Replace(string(ev), `"name": "aloft-test-bucket"`, `"name": "someone-else"`, 1)
	_, err = w.trig.Handle(ctx, []byte(otherBucket))
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
	got, err := w.trig.Handle(ctx, first)
	require.NoError(t, err)
	require.Len(t, got, 1)
	run1 := got[0].Execution

	second := dropEvent(t, w, key, "a,b\n1,2\n3,4\n") // rewritten in place
	got, err = w.trig.Handle(ctx, second)
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
	got, err = w.trig.Handle(ctx, first)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, run1, got[0].Execution)
	assert.False(t, got[0].New)
	// An event that arrives after its version was replaced starts nothing.
	stale := dropEvent(t, w, "incoming/diabetes/late.csv", "old")
	_ = dropEvent(t, w, "incoming/diabetes/late.csv", "new")
	got, err = w.trig.Handle(ctx, stale)
	require.NoError(t, err)
	assert.Empty(t, got, "a replaced version")

	for _, tmp := range []string{"incoming/diabetes/.pima.csv", "incoming/diabetes/pima.csv.tmp"} {
		got, err = w.trig.Handle(ctx, dropEvent(t, w, tmp, "partial"))
		require.NoError(t, err)
		assert.Empty(t, got, tmp)
	}
}
