package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/store"
)

// The index entry carries the listing's summary: written at the start with
// the cause and labels, rewritten with the phase and end when the run ends.
func TestIndexEntrySummary(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wf := compile(t, "../examples/hello/workflow.yaml", "hello")
	ref, err := f.eng.Start(ctx, wf, nil, engine.StartOptions{Cause: "cli", Labels: map[string]string{"team": "ml"}, LaunchPlan: "nightly"})
	require.NoError(t, err)

	read := func() engine.IndexEntry {
		objs, err := store.ListKeys(ctx, f.st, layout.IndexPrefix("default", "development"))
		require.NoError(t, err)
		require.Len(t, objs, 1)
		b, _, err := store.ReadAll(ctx, f.st, objs[0].Key)
		require.NoError(t, err)
		e, ok := engine.DecodeIndexEntry(b)
		require.True(t, ok, "index entry %s holds no summary: %s", objs[0].Key, b)
		return e
	}
	e := read()
	assert.Equal(t, ref.Exec, e.Exec)
	assert.Equal(t, "hello", e.Workflow)
	assert.Equal(t, "nightly", e.LaunchPlan)
	assert.Equal(t, "cli", e.Cause)
	assert.Equal(t, "running", e.Phase)
	assert.NotZero(t, e.Started)
	assert.Zero(t, e.Ended)

	s, err := f.eng.Run(ctx, ref, false)
	require.NoError(t, err)
	f.exec.Wait()
	e = read()
	assert.Equal(t, "succeeded", e.Phase)
	assert.Equal(t, s.Ended, e.Ended)
	assert.Equal(t, s.Created, e.Started)
	assert.Equal(t, "cli", e.Cause, "the rewrite keeps the cause")
	assert.Equal(t, map[string]string{"team": "ml"}, e.Labels)
}

func TestDecodeIndexEntryOldForm(t *testing.T) {
	_, ok := engine.DecodeIndexEntry([]byte("e1"))
	assert.False(t, ok, "an entry holding only the id has no summary")
	_, ok = engine.DecodeIndexEntry([]byte("{bad"))
	assert.False(t, ok)
}
