package localplane_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// drop writes a file under incoming/lines/ as another program would.
func drop(t *testing.T, root, name, content string, flag int) {
	t.Helper()
	p := filepath.Join(root, "incoming", "lines", name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o777))
	f, err := os.OpenFile(p, flag|os.O_WRONLY|os.O_CREATE, 0o666)
	require.NoError(t, err)
	_, err = f.WriteString(content)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// watchDrops is the watch aloft dev sets up, with the quiet period given.
func watchDrops(st *dirstore.Store, quiet time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		return st.Watch(ctx, "", dirstore.DropQuiet(quiet), dirstore.CatchUpDrops())
	}
}

// countRuns is the number of executions in the index.
func countRuns(ctx context.Context, t *testing.T, st store.Store) int {
	t.Helper()
	objs, err := st.List(ctx, layout.IndexPrefix("default", "development"))
	require.NoError(t, err)
	return len(objs)
}

// TestDevHalfWrittenDropStartsOneRun is issue 14's first finding: half a
// file written and closed, a pause longer than the old ~200ms quiet but
// shorter than the quiet period, then the rest: one run, on every line.
func TestDevHalfWrittenDropStartsOneRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	root := filepath.Join(t.TempDir(), "bucket")
	p, st, eng := newPlane(t, ctx, root)
	p.Watch = watchDrops(st, 1500*time.Millisecond)
	stop := serve(ctx, p)
	defer func() { assert.NoError(t, stop()) }()

	drop(t, root, "half.txt", "one\ntwo\n", os.O_TRUNC)
	time.Sleep(500 * time.Millisecond)
	drop(t, root, "half.txt", "three\n", os.O_APPEND)
	s := waitEnded(ctx, t, st, eng, 1)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
	assert.Equal(t, int64(3), s.Outputs["lines"].Int, "the run read the whole file")
	assert.Equal(t, 1, countRuns(ctx, t, st), "one run for the file")
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

// TestDevTriggersDropsMadeWhileDown (Decision 27): a file dropped while
// aloft dev was not running starts its run when dev starts, and only once:
// a second start finds the version's marker.
func TestDevTriggersDropsMadeWhileDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	root := filepath.Join(t.TempDir(), "bucket")
	dir, err := dirstore.Open(root)
	require.NoError(t, err)
	st := &markerReads{Store: dir}
	drop(t, root, "early.txt", "one\ntwo\n", os.O_TRUNC)

	p, eng := planeOver(t, ctx, st)
	p.Watch = watchDrops(dir, 100*time.Millisecond)
	stop := serve(ctx, p)
	s := waitEnded(ctx, t, st, eng, 1)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
	assert.Equal(t, int64(2), s.Outputs["lines"].Int)
	_, err = st.Head(ctx, layout.TriggeredKey("lines/early.txt", store.Digest([]byte("one\ntwo\n"))[7:]))
	require.NoError(t, err, "the triggered version's marker")
	require.NoError(t, stop())

	reads := st.n.Load()
	p, _ = planeOver(t, ctx, st)
	p.Watch = watchDrops(dir, 100*time.Millisecond)
	stop = serve(ctx, p)
	defer func() { assert.NoError(t, stop()) }()
	require.Eventually(t, func() bool { return st.n.Load() > reads },
		10*time.Second, 10*time.Millisecond, "the second start saw the file and read its marker")
	assert.Equal(t, 1, countRuns(ctx, t, st), "the file started one run in all")
}
