package dirstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openT(t, t.TempDir(), Options{}) })
}

func TestConformanceSyncEveryPut(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	storetest.Run(t, func(t *testing.T) store.Store { return openT(t, t.TempDir(), Options{SyncEveryPut: true}) })
}

func openT(t testing.TB, root string, opts Options) *Store {
	t.Helper()
	s, err := OpenWith(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	if tt, ok := t.(*testing.T); ok {
		tt.Cleanup(s.waitDirs) // before the temp directory goes
	}
	return s
}

func putT(t testing.TB, s store.Store, key, content string, opts store.PutOptions) store.Object {
	t.Helper()
	obj, err := store.PutBytes(context.Background(), s, key, []byte(content), opts)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return obj
}

func TestObjectsArePlainFiles(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openT(t, root, Options{})
	putT(t, s, "a/b/c.txt", "hello", store.PutOptions{})

	path := filepath.Join(root, "a", "b", "c.txt")
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "hello" {
		t.Fatalf("ReadFile(%s) = %q, %v", path, b, err)
	}
	fi, _ := os.Stat(path)
	umask := syscall.Umask(0)
	syscall.Umask(umask)
	if got, want := fi.Mode().Perm(), os.FileMode(0o666&^umask); got != want {
		t.Errorf("object mode = %v, want %v (0666 less the umask)", got, want)
	}
	if got, want := s.URI("a/b/c.txt"), "file://"+path; got != want {
		t.Errorf("URI = %q, want %q", got, want)
	}

	// A file dropped in by another program is an object like any other.
	drop := filepath.Join(root, "incoming", "diabetes", "data.csv")
	if err := os.MkdirAll(filepath.Dir(drop), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(drop, []byte("1,2,3\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Head(ctx, "incoming/diabetes/data.csv")
	if err != nil || obj.Digest != store.Digest([]byte("1,2,3\n")) || obj.Size != 6 {
		t.Errorf("Head(dropped file) = %+v, %v", obj, err)
	}

	// The hidden directory holds temp and lock files but is never listed.
	if _, err := os.Stat(filepath.Join(root, HiddenDir)); err != nil {
		t.Errorf("hidden dir: %v", err)
	}
	for _, prefix := range []string{"", ".", ".aloft", HiddenDir + "/"} {
		objs, err := s.List(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if o.Key != "a/b/c.txt" && o.Key != "incoming/diabetes/data.csv" {
				t.Errorf("List(%q) returned %q", prefix, o.Key)
			}
		}
	}
}

func TestInvalidKeys(t *testing.T) {
	ctx := context.Background()
	s := openT(t, t.TempDir(), Options{})
	for _, key := range []string{"", "/abs", "../escape", "a/../../b", "a//b", "a/", "./a", "nul\x00", HiddenDir, HiddenDir + "/tmp/x"} {
		if _, err := store.PutBytes(ctx, s, key, nil, store.PutOptions{}); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Put(%q): err = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Head(ctx, key); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Head(%q): err = %v, want ErrInvalidKey", key, err)
		}
	}
	if objs, err := s.List(ctx, "../"); err != nil || len(objs) != 0 {
		t.Errorf("List(../) = %v, %v; want nothing", objs, err)
	}
	if _, ok := s.KeyOf(s.URI("x") + "/../../../etc/passwd"); ok {
		t.Errorf("KeyOf accepted a URI outside the root")
	}
}

func TestKeyDirectoryClash(t *testing.T) {
	ctx := context.Background()
	s := openT(t, t.TempDir(), Options{})
	putT(t, s, "a/b/c", "c", store.PutOptions{})
	// "a/b" is a directory here, so it cannot also be an object.
	for _, opts := range []store.PutOptions{{}, {IfAbsent: true}} {
		if _, err := store.PutBytes(ctx, s, "a/b", []byte("x"), opts); err == nil {
			t.Errorf("Put(a/b, %+v) over a directory succeeded", opts)
		}
	}
	if _, err := store.PutBytes(ctx, s, "a/b/c/d", []byte("x"), store.PutOptions{}); err == nil {
		t.Errorf("Put(a/b/c/d) under a file succeeded")
	}
	if _, err := s.Head(ctx, "a/b/c/d"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Head under a file: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "a/b"); err != nil {
		t.Errorf("Delete of a directory key: %v", err)
	}
	if b, _, err := store.ReadAll(ctx, s, "a/b/c"); err != nil || string(b) != "c" {
		t.Errorf("a/b/c after Delete(a/b) = %q, %v", b, err)
	}
}

func TestDeletePrunesEmptyDirectories(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openT(t, root, Options{})
	putT(t, s, "x/y/z/deep", "d", store.PutOptions{})
	putT(t, s, "x/keep", "k", store.PutOptions{})
	if err := s.Delete(ctx, "x/y/z/deep"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "x", "y")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("x/y not pruned: %v", err)
	}
	if err := s.Delete(ctx, "x/keep"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "x")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("x not pruned: %v", err)
	}
	for _, d := range []string{root, filepath.Join(root, HiddenDir)} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s pruned: %v", d, err)
		}
	}
}

func TestHeadUsesDigestCache(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openT(t, root, Options{})
	obj := putT(t, s, "k", "content", store.PutOptions{})
	path := filepath.Join(root, "k")

	// Poison the cache: if Head re-hashed, it would not see the poison.
	s.mu.Lock()
	c := s.digests[path]
	c.hex = "poisoned"
	s.digests[path] = c
	s.mu.Unlock()
	if h, err := s.Head(ctx, "k"); err != nil || h.ETag != "poisoned" {
		t.Fatalf("Head = %+v, %v; want the cached digest", h, err)
	}
	// A conditional write never trusts the cache.
	if _, err := store.PutBytes(ctx, s, "k", []byte("x"), store.PutOptions{IfMatch: "poisoned"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("IfMatch against a poisoned cache: %v, want ErrConflict", err)
	}
	// Rewriting the file in place (another program) changes size or mtime
	// or ctime, so the cache misses and Head re-hashes.
	if err := os.WriteFile(path, []byte("rewritten in place"), 0o666); err != nil {
		t.Fatal(err)
	}
	h, err := s.Head(ctx, "k")
	if err != nil || h.Digest != store.Digest([]byte("rewritten in place")) || h.ETag == obj.ETag {
		t.Fatalf("Head after in-place rewrite = %+v, %v", h, err)
	}
}

func TestGetIsPinnedToOneVersion(t *testing.T) {
	ctx := context.Background()
	s := openT(t, t.TempDir(), Options{})
	putT(t, s, "k", "old version", store.PutOptions{})
	rc, obj, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	putT(t, s, "k", "new version!", store.PutOptions{})
	b := new(bytes.Buffer)
	if _, err := b.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	if b.String() != "old version" || obj.Digest != store.Digest([]byte("old version")) {
		t.Errorf("reader opened before a Put read %q (%s)", b, obj.Digest)
	}
}

func TestValidKeyAndUtil(t *testing.T) {
	ctx := context.Background()
	s := openT(t, t.TempDir(), Options{})
	type doc struct {
		A int    `json:"a"`
		B string `json:"b"`
	}
	obj, err := store.PutJSON(ctx, s, "j.json", doc{1, "x"}, store.PutOptions{IfAbsent: true})
	if err != nil {
		t.Fatal(err)
	}
	var got doc
	if o, err := store.GetJSON(ctx, s, "j.json", &got); err != nil || got != (doc{1, "x"}) || o.ETag != obj.ETag {
		t.Fatalf("GetJSON = %+v, %+v, %v", got, o, err)
	}
	if b, _, _ := store.ReadAll(ctx, s, "j.json"); string(b) != "{\"a\":1,\"b\":\"x\"}\n" {
		t.Errorf("PutJSON wrote %q", b)
	}
	if _, err := store.GetJSON(ctx, s, "missing.json", &got); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetJSON(missing) = %v", err)
	}
}

// A Put's notification carries the content of a small object, so that a
// subscriber in this process need not read it back; a large one's it does
// not.
func TestEventsCarrySmallBodies(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	var got []store.Event
	defer s.Subscribe(func(ev store.Event) { got = append(got, ev) })()
	small := []byte(`{"outputs":{}}`)
	large := bytes.Repeat([]byte("x"), store.SmallBody+1)
	putT(t, s, "a/small.json", string(small), store.PutOptions{})
	putT(t, s, "a/empty", "", store.PutOptions{IfAbsent: true})
	putT(t, s, "a/large", string(large), store.PutOptions{})
	if len(got) != 3 {
		t.Fatalf("%d events, want 3", len(got))
	}
	if string(got[0].Body) != string(small) {
		t.Errorf("small object's event body %q, want %q", got[0].Body, small)
	}
	if got[1].Body == nil || len(got[1].Body) != 0 {
		t.Errorf("empty object's event body %v, want empty and not nil", got[1].Body)
	}
	if got[2].Body != nil {
		t.Errorf("large object's event carries %d bytes, want none", len(got[2].Body))
	}
}
