package dirstore

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aloft-run/aloft/store"
)

func dirtyCounts(s *Store) (files, dirs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.dirty.files), len(s.dirty.dirs)
}

func TestSyncGroupsFsyncs(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openT(t, root, Options{})
	for _, k := range []string{"a/1", "a/2", "a/2", "b/c/3"} {
		putT(t, s, k, k, store.PutOptions{})
	}
	files, dirs := dirtyCounts(s)
	if files != 3 {
		t.Errorf("%d dirty files after writing 3 keys (one twice), want 3", files)
	}
	// a, b/c, and the directories created on the way (root, b).
	if dirs < 2 {
		t.Errorf("%d dirty directories, want at least a and b/c", dirs)
	}
	// A file removed behind the store's back is skipped, not an error.
	if err := os.Remove(filepath.Join(root, "a", "1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "b/c/3"); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if files, dirs := dirtyCounts(s); files != 0 || dirs != 0 {
		t.Errorf("after Sync: %d dirty files, %d dirty dirs; want none", files, dirs)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("empty Sync: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	putT(t, s, "a/4", "4", store.PutOptions{})
	if err := s.Sync(cctx); err == nil {
		t.Errorf("Sync with a cancelled context succeeded")
	}
	if files, _ := dirtyCounts(s); files != 1 {
		t.Errorf("after a failed Sync: %d dirty files, want the unsynced one kept", files)
	}
}

func TestSyncEveryPutLeavesNothingDirty(t *testing.T) {
	ctx := context.Background()
	s := openT(t, t.TempDir(), Options{SyncEveryPut: true})
	putT(t, s, "a/b/c", "c", store.PutOptions{})
	putT(t, s, "a/b/d", "d", store.PutOptions{IfAbsent: true})
	if err := s.Delete(ctx, "a/b/c"); err != nil {
		t.Fatal(err)
	}
	if files, dirs := dirtyCounts(s); files != 0 || dirs != 0 {
		t.Errorf("SyncEveryPut left %d dirty files, %d dirty dirs", files, dirs)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSyncManyPathsAtOnce(t *testing.T) {
	ctx := context.Background()
	s := openT(t, t.TempDir(), Options{})
	for i := range syncfsFrom + 3 {
		putT(t, s, "many/"+string(rune('a'+i%26))+"/"+string(rune('a'+i/26)), "x", store.PutOptions{})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Sync(cctx); err == nil {
		t.Errorf("Sync with a cancelled context succeeded")
	}
	if files, _ := dirtyCounts(s); files != syncfsFrom+3 {
		t.Errorf("after a failed Sync: %d dirty files, want %d kept", files, syncfsFrom+3)
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if files, dirs := dirtyCounts(s); files != 0 || dirs != 0 {
		t.Errorf("after Sync: %d dirty files, %d dirty dirs; want none", files, dirs)
	}
}
