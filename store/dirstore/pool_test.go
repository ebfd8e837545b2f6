package dirstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/aloft-run/aloft/store"
)

// madeAhead lists the directories the pool holds in the temp directory.
func madeAhead(t *testing.T, s *Store) []string {
	t.Helper()
	entries, err := os.ReadDir(s.tmpDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), dirPrefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestBusyStoreMakesDirectoriesAhead(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openT(t, root, Options{})
	ref, err := os.MkdirTemp(t.TempDir(), "ref") // what os.Mkdir gives
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(ref, "d"), 0o777); err != nil {
		t.Fatal(err)
	}
	want, _ := os.Lstat(filepath.Join(ref, "d"))

	// Not busy yet: nothing is made ahead.
	for i := range 4 {
		putT(t, s, fmt.Sprintf("quiet/%d/x", i), "x", store.PutOptions{IfAbsent: true})
	}
	s.waitDirs()
	if n := madeAhead(t, s); len(n) != 0 {
		t.Errorf("a store never synced made directories ahead: %v", n)
	}
	// Group-committed and making directories: the pool fills, and the
	// directories it hands out look like any other.
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		putT(t, s, fmt.Sprintf("busy/%d/a/x", i), "x", store.PutOptions{IfAbsent: true})
		putT(t, s, fmt.Sprintf("busy/%d/a/y", i), "y", store.PutOptions{})
	}
	s.waitDirs()
	if runtime.GOOS == "linux" && len(madeAhead(t, s)) == 0 && !s.dirs.off {
		t.Errorf("a busy store made no directories ahead")
	}
	for i := range 20 {
		for _, d := range []string{fmt.Sprintf("busy/%d", i), fmt.Sprintf("busy/%d/a", i)} {
			fi, err := os.Lstat(filepath.Join(root, d))
			if err != nil || !fi.IsDir() || fi.Mode() != want.Mode() {
				t.Fatalf("%s: %v, %v; want a directory with mode %v", d, fi.Mode(), err, want.Mode())
			}
		}
	}
	objs, err := s.List(ctx, "")
	if err != nil || len(objs) != 44 {
		t.Errorf("List = %d objects, %v; want 44", len(objs), err)
	}
	s.drainDirs()
	if n := madeAhead(t, s); len(n) != 0 {
		t.Errorf("after drainDirs: %v left", n)
	}
}

func TestPutReplacesWhileOldVersionIsOpen(t *testing.T) {
	ctx := context.Background()
	s := openT(t, t.TempDir(), Options{})
	obj := putT(t, s, "state.json", "v1", store.PutOptions{})
	r, _, err := s.Get(ctx, "state.json")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	obj = putT(t, s, "state.json", "v2", store.PutOptions{IfMatch: obj.ETag})
	putT(t, s, "state.json", "v3", store.PutOptions{IfMatch: obj.ETag})
	b := make([]byte, 8)
	n, _ := r.Read(b)
	if string(b[:n]) != "v1" {
		t.Errorf("reader opened at v1 reads %q", b[:n])
	}
	got, _, err := store.ReadAll(ctx, s, "state.json")
	if err != nil || string(got) != "v3" {
		t.Errorf("state.json = %q, %v", got, err)
	}
}
