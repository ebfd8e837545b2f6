package dirstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/store"
)

// A later process (a new Store on the same root) takes a blob's digest from
// the index while the blob's fingerprint is unchanged, and hashes it again
// once it was edited in place (Decision 23).
func TestDigestIndexRechecksOnFingerprintChange(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	const key = "data/e/n/1/outputs/big"
	content := bytes.Repeat([]byte("a"), indexMinSize)
	_, err := store.PutBytes(ctx, openT(t, root, Options{}), key, content, store.PutOptions{})
	require.NoError(t, err)

	head, err := openT(t, root, Options{}).Head(ctx, key) // hashes, writes the record
	require.NoError(t, err)
	assert.Equal(t, store.Digest(content), head.Digest)
	rec := filepath.Join(root, HiddenDir, digestsDir, filepath.FromSlash(key))
	b, err := os.ReadFile(rec)
	require.NoError(t, err, "the record is written")

	// Prove the next process reads the record: make it name another digest.
	fake := strings.Repeat("f", 64)
	require.NoError(t, os.WriteFile(rec, []byte(strings.Replace(string(b), strings.TrimPrefix(head.Digest, "sha256:"), fake, 1)), 0o644))
	head, err = openT(t, root, Options{}).Head(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, "sha256:"+fake, head.Digest, "the digest comes from the record")

	// Edit in place: the fingerprint changes, so the bytes are hashed again.
	w, err := os.OpenFile(filepath.Join(root, filepath.FromSlash(key)), os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = w.WriteAt([]byte("b"), 0)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	edited := append([]byte("b"), content[1:]...)
	head, err = openT(t, root, Options{}).Head(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, store.Digest(edited), head.Digest)

	// A small file gets no record; Delete drops a record.
	_, err = store.PutBytes(ctx, openT(t, root, Options{}), "small", []byte("x"), store.PutOptions{})
	require.NoError(t, err)
	_, err = openT(t, root, Options{}).Head(ctx, "small")
	require.NoError(t, err)
	assert.NoFileExists(t, filepath.Join(root, HiddenDir, digestsDir, "small"))
	require.NoError(t, openT(t, root, Options{}).Delete(ctx, key))
	assert.NoFileExists(t, rec)
}
