package catalog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/catalog"
	o "github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

var moved = time.Date(2024, 3, 2, 8, 0, 0, 0, time.UTC)

// lookupFixture stores an entry of trainTask whose model output is a real
// blob in st.
func lookupFixture(t *testing.T) (*memStore, *catalog.Catalog, string, string) {
	t.Helper()
	ctx := context.Background()
	st := newMemStore()
	c := catalog.New(st)
	blob := "data/exec1/train/1/outputs/model.bin"
	content := []byte("weights")
	_, err := store.PutBytes(ctx, st, blob, content, store.PutOptions{})
	require.NoError(t, err)
	k := mustKey(t, "default", "development", trainTask(), trainInputs())
	e := trainEntry("exec1")
	e.Outputs = map[string]o.Literal{
		"model": o.File(o.Blob{URI: st.URI(blob), Digest: store.Digest(content), Size: int64(len(content))}),
		"score": o.Float(0.93),
	}
	require.NoError(t, c.Put(ctx, "default", "development", trainTask(), k, e))
	return st, c, k, blob
}

func TestLookupHit(t *testing.T) {
	_, c, k, _ := lookupFixture(t)
	e, err := c.Lookup(context.Background(), "default", "development", trainTask(), k, moved)
	require.NoError(t, err)
	assert.Equal(t, "exec1", e.Exec)
}

// A blob whose bytes changed is a miss: it moves to quarantine/ with a
// reason, and the entry is removed so the next Put writes a fresh one.
func TestLookupQuarantinesChangedBlob(t *testing.T) {
	ctx := context.Background()
	for name, edit := range map[string][]byte{"same size": []byte("weighTs"), "other size": []byte("w")} {
		t.Run(name, func(t *testing.T) {
			st, c, k, blob := lookupFixture(t)
			_, err := store.PutBytes(ctx, st, blob, edit, store.PutOptions{})
			require.NoError(t, err)
			_, err = c.Lookup(ctx, "default", "development", trainTask(), k, moved)
			require.ErrorIs(t, err, catalog.ErrNotFound)
			assert.ErrorIs(t, err, catalog.ErrUnusable)
			assert.Contains(t, err.Error(), "quarantine/"+blob)

			_, err = c.Get(ctx, "default", "development", trainTask(), k)
			assert.ErrorIs(t, err, catalog.ErrNotFound, "the entry is removed")
			_, err = st.Head(ctx, blob)
			assert.ErrorIs(t, err, store.ErrNotFound, "the blob left its key")
			qs, err := c.ListQuarantined(ctx, nil)
			require.NoError(t, err)
			require.Len(t, qs, 1)
			assert.Equal(t, blob, qs[0].Orig)
			assert.Equal(t, int64(len(edit)), qs[0].Size)
			assert.Equal(t, moved, qs[0].Reason.Moved)
			assert.Equal(t, "model", qs[0].Reason.Output)
			assert.Contains(t, qs[0].Reason.Problem, store.Digest([]byte("weights")))

			n, err := c.EvictQuarantined(ctx)
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			assert.Empty(t, st.keys(), "blob, reason and entry are all gone")
		})
	}
}

// A missing blob and an undecodable entry are misses that remove the
// entry; a store failure is an error that keeps it.
func TestLookupUnusableEntries(t *testing.T) {
	ctx := context.Background()
	st, c, k, blob := lookupFixture(t)
	require.NoError(t, st.Delete(ctx, blob))
	_, err := c.Lookup(ctx, "default", "development", trainTask(), k, moved)
	require.ErrorIs(t, err, catalog.ErrUnusable)
	assert.Empty(t, st.keys())

	st, c, k, _ = lookupFixture(t)
	entries, err := st.List(ctx, "catalog/")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	st.objs[entries[0].Key] = nil
	var skipped []string
	got, err := c.ListSkipping(ctx, "default", "development", "", func(key string, _ error) { skipped = append(skipped, key) })
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, []string{entries[0].Key}, skipped)
	_, err = c.Lookup(ctx, "default", "development", trainTask(), k, moved)
	require.ErrorIs(t, err, catalog.ErrUnusable)
	require.NoError(t, c.Put(ctx, "default", "development", trainTask(), k, trainEntry("exec2")))
	e, err := c.Get(ctx, "default", "development", trainTask(), k)
	require.NoError(t, err, "the entry is rewritten")
	assert.Equal(t, "exec2", e.Exec)

	st, c, k, _ = lookupFixture(t)
	st.failHead = errors.New("connection reset")
	_, err = c.Lookup(ctx, "default", "development", trainTask(), k, moved)
	require.Error(t, err)
	assert.NotErrorIs(t, err, catalog.ErrNotFound)
	st.failHead = nil
	_, err = c.Lookup(ctx, "default", "development", trainTask(), k, moved)
	assert.NoError(t, err, "a failed Head keeps the entry")
}
