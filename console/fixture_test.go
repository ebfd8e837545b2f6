package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store/dirstore"
)

// bucket is a directory store filled by real runs of the engine and the
// local executor.
type bucket struct {
	st   *dirstore.Store
	ex   *local.Executor
	eng  *engine.Engine
	runs map[string]engine.Ref // by the test's name for them
}

var idSeq atomic.Int64

// sharedDir holds the buckets tests share (t.TempDir belongs to one test).
var sharedDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "aloft-console-test-")
	if err != nil {
		panic(err)
	}
	sharedDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

func newBucket(t testing.TB) *bucket { return newBucketIn(t, t.TempDir()) }

// newBucketIn makes the bucket and the executor's work dirs under dir.
func newBucketIn(t testing.TB, dir string) *bucket {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "work"), 0o755))
	st, err := dirstore.Open(filepath.Join(dir, "bucket"))
	require.NoError(t, err)
	ex, err := local.New(st, local.Options{GPUs: []int{}, WorkDir: filepath.Join(dir, "work")})
	require.NoError(t, err)
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: ex,
		NewID: func() string { return fmt.Sprintf("x%04d", idSeq.Add(1)) }})
	require.NoError(t, err)
	return &bucket{st: st, ex: ex, eng: eng, runs: map[string]engine.Ref{}}
}

func compileFile(t testing.TB, path, name string) *orchestrator.Compiled {
	t.Helper()
	spec, err := orchestrator.ParseFiles(path)
	require.NoError(t, err)
	wf, err := orchestrator.Compile(spec, name)
	require.NoError(t, err)
	return wf
}

// start starts an execution and records it under as.
func (b *bucket) start(t testing.TB, as, path, name string, in map[string]orchestrator.Literal, opt engine.StartOptions) engine.Ref {
	t.Helper()
	ref, err := b.eng.Start(context.Background(), compileFile(t, path, name), in, opt)
	require.NoError(t, err)
	b.runs[as] = ref
	return ref
}

// run starts an execution and drives it to its end.
func (b *bucket) run(t testing.TB, as, path, name string, in map[string]orchestrator.Literal) orchestrator.State {
	t.Helper()
	ref := b.start(t, as, path, name, in, engine.StartOptions{Cause: "cli"})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	s, err := b.eng.Run(ctx, ref, false)
	require.NoError(t, err)
	b.ex.Wait()
	return s
}

func ints(n int) orchestrator.Literal {
	l := orchestrator.Literal{Kind: orchestrator.KindList, List: make([]orchestrator.Literal, n)}
	for i := range l.List {
		l.List[i] = orchestrator.Int(int64(i))
	}
	return l
}
