package dirstore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/store"
)

// ListKeys lists what List lists, in the same order, without digests.
func TestListKeysMatchesList(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	for _, k := range []string{"a/1", "a/b/2", "a/b/c/3", "ab", "b/4"} {
		putT(t, s, k, "content of "+k, store.PutOptions{})
	}
	ctx := context.Background()
	for _, prefix := range []string{"", "a", "a/", "a/b/", "b/", "zz/"} {
		full, err := s.List(ctx, prefix)
		require.NoError(t, err)
		keys, err := s.ListKeys(ctx, prefix)
		require.NoError(t, err)
		require.Len(t, keys, len(full), prefix)
		for i := range full {
			assert.Equal(t, full[i].Key, keys[i].Key, prefix)
			assert.Equal(t, full[i].Size, keys[i].Size, prefix)
			assert.Equal(t, full[i].Modified, keys[i].Modified, prefix)
			assert.Empty(t, keys[i].Digest, "no file is hashed")
		}
	}
	var _ store.KeyLister = s
}
