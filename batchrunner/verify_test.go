package batchrunner_test

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// stale reports the digest recorded at upload for every object, as S3 does
// (its checksum is metadata), however the bytes changed since.
type stale struct {
	store.Store
	digest string
}

func (s stale) Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error) {
	rc, obj, err := s.Store.Get(ctx, key)
	obj.Digest = s.digest
	return rc, obj, err
}

// An input whose bytes are not those its literal records fails the attempt
// with a system error (retried), before the task runs (Decision 23): both
// when the store reports the new digest and when only the bytes tell.
func TestRunInputDigestMismatchIsSystemError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	recorded := sha([]byte("original\n"))
	task := orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `echo ran; cat "$1"`, "sh", "{{inputs.a}}"},
		Inputs:  []orchestrator.Param{param("a", "file")},
	}
	for name, wrap := range map[string]func(store.Store) store.Store{
		"store reports the digest": func(s store.Store) store.Store { return s },
		"store reports a stale digest": func(s store.Store) store.Store {
			return stale{Store: s, digest: recorded}
		},
	} {
		t.Run(name, func(t *testing.T) {
			st := newStore(t)
			_, err := store.PutBytes(ctx, st, "data/e1/n/1/outputs/a", []byte("edited!!\n"), store.PutOptions{})
			require.NoError(t, err)
			in := map[string]orchestrator.Literal{"a": orchestrator.File(orchestrator.Blob{
				URI: st.URI("data/e1/n/1/outputs/a"), Digest: recorded, Size: 9})}
			prefix := attempt(t, st, task, in)
			f := wantKind(t, run(t, wrap(st), prefix, batchrunner.RunOptions{}).failed(t), orchestrator.ErrSystem)
			assert.Contains(t, f.Message, "input a")
			assert.Contains(t, f.Message, recorded)
			assert.NotContains(t, f.LogTail, "ran", "the task must not run on wrong bytes")
		})
	}
}

// A directory input is checked against its recorded digest, computed from
// the files as they are copied.
func TestRunDirectoryInputDigestMismatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `mkdir -p "$1" && printf A > "$1/a.txt" && printf B > "$1/b.txt"`, "sh", "{{outputs.d}}"},
		Outputs: []orchestrator.Param{param("d", "directory")},
	}, nil)
	d := run(t, st, prefix, batchrunner.RunOptions{}).ok(t).Outputs["d"]
	_, err := store.PutBytes(ctx, st, prefix+"outputs/d/b.txt", []byte("X"), store.PutOptions{})
	require.NoError(t, err)

	next := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `echo ran`},
		Inputs:  []orchestrator.Param{param("d", "directory")},
	}, map[string]orchestrator.Literal{"d": d})
	f := wantKind(t, run(t, st, next, batchrunner.RunOptions{}).failed(t), orchestrator.ErrSystem)
	assert.Contains(t, f.Message, d.Blob.Digest)
	assert.NotContains(t, f.LogTail, "ran")
}
