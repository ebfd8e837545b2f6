package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aloft-run/aloft/catalog"
	"github.com/aloft-run/aloft/store/dirstore"
)

var _ catalog.Store = (*dirstore.Store)(nil)

// TestDirstore runs the catalog over the real directory store: concurrent
// writers of one key, then list and evict.
func TestDirstore(t *testing.T) {
	ctx := context.Background()
	st, err := dirstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := catalog.New(st)
	task := trainTask()
	k := mustKey(t, "default", "development", task, trainInputs())
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			errs[i] = c.Put(ctx, "default", "development", task, k, trainEntry(fmt.Sprint("exec", i)))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	es, err := c.List(ctx, "default", "development", "")
	if err != nil || len(es) != 1 {
		t.Fatalf("List: %d entries, %v; want 1", len(es), err)
	}
	if e, err := c.Get(ctx, "default", "development", task, k); err != nil || e.Exec != es[0].Exec {
		t.Fatalf("Get: %+v, %v", e, err)
	}
	if n, err := c.Evict(ctx, "default", "development", "train", "", ""); err != nil || n != 1 {
		t.Fatalf("Evict: %d, %v", n, err)
	}
	if _, err := c.Get(ctx, "default", "development", task, k); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get after Evict: %v, want ErrNotFound", err)
	}
}
