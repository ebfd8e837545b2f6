package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// brokenCatalog is a directory store whose catalog/ writes fail.
type brokenCatalog struct{ *dirstore.Store }

func (b brokenCatalog) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error) {
	if strings.HasPrefix(key, "catalog/") {
		return store.Object{}, errors.New("disk full")
	}
	return b.Store.Put(ctx, key, r, opts)
}

// A catalog that cannot be written does not fail the run, and says so.
func TestCatalogWriteFailureWarns(t *testing.T) {
	ds, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	if err != nil {
		t.Fatal(err)
	}
	st := brokenCatalog{ds}
	ex, err := local.New(st, local.Options{GPUs: []int{}, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var warnings []string
	n := 0
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: ex,
		NewID: func() string { n++; return fmt.Sprintf("w%d", n) },
		Warn:  func(m string) { mu.Lock(); warnings = append(warnings, m); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	wf := compile(t, "../examples/hello/workflow.yaml", "hello")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ref, err := eng.Start(ctx, wf, nil, engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := eng.Run(ctx, ref, false)
	ex.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if s.Phase != orchestrator.ExecSucceeded {
		t.Fatalf("phase %v: %s", s.Phase, s.Error)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warnings) != 3 || !strings.Contains(warnings[0], "disk full") || !strings.Contains(warnings[0], "caching the outputs of node") {
		t.Errorf("warnings = %q, want one per node about the catalog write", warnings)
	}
}
