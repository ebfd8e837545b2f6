package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/catalog"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// A cached blob edited in place (issue 14 item 3, Decision 23) is not
// consumed: the lookup finds its digest changed, moves it to quarantine/,
// and the node runs again, so neither its old digest nor its new bytes
// reach anything downstream or any new cache entry.
func TestCachedBlobEditedInPlaceIsNotConsumed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	wf := compile(t, "../examples/hello/workflow.yaml", "hello")
	in := map[string]orchestrator.Literal{"name": orchestrator.String("aloft")}
	s1 := f.run(wf, in)
	require.Equal(t, orchestrator.ExecSucceeded, s1.Phase, s1.Error)
	greeting := *s1.Outputs["greeting"].Blob
	key, ok := f.st.KeyOf(greeting.URI)
	require.True(t, ok)

	// Edit the blob in place: same inode, same size, other bytes.
	path := filepath.Join(f.st.Root(), filepath.FromSlash(key))
	require.NoError(t, os.Chmod(path, 0o644))
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = w.WriteAt([]byte("j"), 0)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	// Drop the downstream entry, so the node that reads the blob runs.
	_, err = catalog.New(f.st).Evict(ctx, "default", "development", "upper", "", "")
	require.NoError(t, err)

	s2 := f.run(wf, in)
	require.Equal(t, orchestrator.ExecSucceeded, s2.Phase, s2.Error)
	assert.Equal(t, "succeeded", phases(s2)["greet"], "the node whose blob changed runs again")
	assert.Equal(t, "hello, aloft\n", readFile(t, f.st, s2.Outputs["greeting"]))
	assert.Equal(t, "HELLO, ALOFT\n", readFile(t, f.st, s2.Outputs["shout"]), "wrong bytes flowed downstream")
	g2 := s2.Outputs["greeting"].Blob
	assert.NotEqual(t, greeting.URI, g2.URI)
	assert.Equal(t, store.Digest([]byte("hello, aloft\n")), g2.Digest)

	// The edited blob sits in quarantine with its reason.
	b, _, err := store.ReadAll(ctx, f.st, layout.QuarantineKey(key))
	require.NoError(t, err, "the edited blob is quarantined")
	assert.Equal(t, "jello, aloft\n", string(b))
	qs, err := catalog.New(f.st).ListQuarantined(ctx, nil)
	require.NoError(t, err)
	require.Len(t, qs, 1)
	assert.Equal(t, key, qs[0].Orig)
	assert.Contains(t, qs[0].Reason.Problem, greeting.Digest)

	// The cache is not poisoned: a third run hits entries that all point
	// at the right bytes.
	s3 := f.run(wf, in)
	for n, p := range phases(s3) {
		assert.Equal(t, "cached", p, n)
	}
	assert.Equal(t, "hello, aloft\n", readFile(t, f.st, s3.Outputs["greeting"]))
	assert.Equal(t, "HELLO, ALOFT\n", readFile(t, f.st, s3.Outputs["shout"]))
}
