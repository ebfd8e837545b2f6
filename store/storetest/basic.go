package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aloft-run/aloft/store"
)

func testMissingKey(t *testing.T, s store.Store) {
	wantNotFound(t, s, "missing")
	wantNotFound(t, s, "no/such/dir/object.json")
	// A prefix of an existing key is not itself an object.
	mustPut(t, s, "parent/child", []byte("x"), store.PutOptions{})
	wantNotFound(t, s, "parent")
}

func testRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	cases := []struct {
		key  string
		data []byte
	}{
		{"empty", []byte{}},
		{"one-byte", []byte{0}},
		{"dir/sub/small.json", []byte(`{"hello":"world"}`)},
		{"big/5MiB.bin", randomBytes(5<<20, 1)},
	}
	for _, c := range cases {
		put := mustPut(t, s, c.key, c.data, store.PutOptions{})
		checkObject(t, fmt.Sprintf("Put(%q)", c.key), put, c.key, c.data)
		got := wantContent(t, s, c.key, c.data)
		checkObject(t, fmt.Sprintf("Get(%q)", c.key), got, c.key, c.data)
		sameVersion(t, fmt.Sprintf("Get(%q)", c.key), got, put)
		head, err := s.Head(ctx, c.key)
		if err != nil {
			t.Fatalf("Head(%q): %v", c.key, err)
		}
		checkObject(t, fmt.Sprintf("Head(%q)", c.key), head, c.key, c.data)
		sameVersion(t, fmt.Sprintf("Head(%q)", c.key), head, put)
	}
}

func testOverwrite(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := []byte("version A"), []byte("version B, longer")
	oa := mustPut(t, s, "k", a, store.PutOptions{})
	ob := mustPut(t, s, "k", b, store.PutOptions{})
	if oa.ETag == ob.ETag {
		t.Errorf("ETag %q did not change when the content changed", oa.ETag)
	}
	checkObject(t, "second Put", ob, "k", b)
	wantContent(t, s, "k", b)
	head, err := s.Head(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	sameVersion(t, "Head after overwrite", head, ob)
	// Same size, different bytes: the ETag must still change.
	oc := mustPut(t, s, "k", []byte("version C, longer"), store.PutOptions{})
	if oc.ETag == ob.ETag {
		t.Errorf("ETag %q did not change for same-size new content", ob.ETag)
	}
}

func testIfAbsent(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := mustPut(t, s, "claims/attempt-1", []byte("job-1"), store.PutOptions{IfAbsent: true})
	_, err := store.PutBytes(ctx, s, "claims/attempt-1", []byte("job-2"), store.PutOptions{IfAbsent: true})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second IfAbsent Put: err = %v, want ErrConflict", err)
	}
	got := wantContent(t, s, "claims/attempt-1", []byte("job-1"))
	sameVersion(t, "Get after lost IfAbsent", got, first)
	// An unconditional write to a claimed key still works.
	mustPut(t, s, "claims/attempt-1", []byte("job-3"), store.PutOptions{})
	wantContent(t, s, "claims/attempt-1", []byte("job-3"))
}

func testIfMatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	const key = "executions/p/d/x/state.json"
	v1 := mustPut(t, s, key, []byte(`{"v":1}`), store.PutOptions{})
	v2 := mustPut(t, s, key, []byte(`{"v":2}`), store.PutOptions{IfMatch: v1.ETag})
	if v2.ETag == v1.ETag {
		t.Fatalf("IfMatch Put kept ETag %q", v1.ETag)
	}
	for _, stale := range []string{v1.ETag, "not-an-etag"} {
		_, err := store.PutBytes(ctx, s, key, []byte(`{"v":3}`), store.PutOptions{IfMatch: stale})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("IfMatch %q (stale): err = %v, want ErrConflict", stale, err)
		}
	}
	got := wantContent(t, s, key, []byte(`{"v":2}`))
	sameVersion(t, "Get after lost IfMatch", got, v2)
	mustPut(t, s, key, []byte(`{"v":3}`), store.PutOptions{IfMatch: v2.ETag})

	// On a missing key IfMatch must fail. ErrConflict (the directory store,
	// GCS) and ErrNotFound (S3 answers 404) are both accepted.
	_, err := store.PutBytes(ctx, s, "missing/state.json", []byte("x"), store.PutOptions{IfMatch: v2.ETag})
	if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound) {
		t.Errorf("IfMatch on a missing key: err = %v, want ErrConflict or ErrNotFound", err)
	}
	wantNotFound(t, s, "missing/state.json")
}

func testFailedPut(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Put(ctx, "fresh", &failingReader{n: 100 << 10}, store.PutOptions{}); err == nil {
		t.Errorf("Put from a failing reader succeeded")
	}
	wantNotFound(t, s, "fresh")

	old := mustPut(t, s, "kept", []byte("old content"), store.PutOptions{})
	for _, opts := range []store.PutOptions{{}, {IfMatch: old.ETag}} {
		if _, err := s.Put(ctx, "kept", &failingReader{n: 100 << 10}, opts); err == nil {
			t.Errorf("Put(%+v) from a failing reader succeeded", opts)
		}
	}
	got := wantContent(t, s, "kept", []byte("old content"))
	sameVersion(t, "Get after failed Put", got, old)
	if l, err := s.List(ctx, ""); err != nil || len(l) != 1 {
		t.Errorf("List after failed Puts = %+v, %v; want only %q", l, err, "kept")
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustPut(t, s, "a/b/c", []byte("c"), store.PutOptions{})
	mustPut(t, s, "a/b2", []byte("b2"), store.PutOptions{})
	if err := s.Delete(ctx, "a/b/c"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantNotFound(t, s, "a/b/c")
	for i := range 2 {
		if err := s.Delete(ctx, "a/b/c"); err != nil {
			t.Errorf("Delete of a deleted key (#%d): %v", i+1, err)
		}
	}
	if err := s.Delete(ctx, "never/existed"); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
	wantContent(t, s, "a/b2", []byte("b2"))
	if keys := listKeys(t, s, "a/"); !equal(keys, []string{"a/b2"}) {
		t.Errorf("List(a/) after Delete = %q, want [a/b2]", keys)
	}
	// A deleted key can be created again, also if-absent.
	mustPut(t, s, "a/b/c", []byte("again"), store.PutOptions{IfAbsent: true})
	wantContent(t, s, "a/b/c", []byte("again"))
}

func testURI(t *testing.T, s store.Store) {
	keys := []string{"a", "dir/sub/file.json", "with space/and+plus%.txt", "data/x/1/outputs/model.bin"}
	seen := map[string]string{}
	for _, k := range keys {
		u := s.URI(k)
		if u == "" {
			t.Errorf("URI(%q) is empty", k)
		}
		if other, dup := seen[u]; dup {
			t.Errorf("URI(%q) = URI(%q) = %q", k, other, u)
		}
		seen[u] = k
		if got, ok := s.KeyOf(u); !ok || got != k {
			t.Errorf("KeyOf(URI(%q) = %q) = %q, %v; want the key back", k, u, got, ok)
		}
	}
	for _, u := range []string{"", "https://example.invalid/a", "not a uri", "file:///definitely/not/this/store/a"} {
		if k, ok := s.KeyOf(u); ok {
			t.Errorf("KeyOf(%q) = %q, true; want false", u, k)
		}
	}
}

func testSyncer(t *testing.T, s store.Store) {
	sy, ok := s.(store.Syncer)
	if !ok {
		t.Skip("store does not implement store.Syncer")
	}
	ctx := context.Background()
	for i := range 5 {
		mustPut(t, s, fmt.Sprintf("sync/%d", i), []byte{byte(i)}, store.PutOptions{})
	}
	if err := s.Delete(ctx, "sync/3"); err != nil {
		t.Fatal(err)
	}
	if err := sy.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if err := sy.Sync(ctx); err != nil {
		t.Fatalf("second Sync: %v", err)
	}
	wantContent(t, s, "sync/4", []byte{4})
}

func testNotifier(t *testing.T, s store.Store) {
	n, ok := s.(store.Notifier)
	if !ok {
		t.Skip("store does not implement store.Notifier")
	}
	var (
		mu  sync.Mutex
		got []store.Event
	)
	cancel := n.Subscribe(func(ev store.Event) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
	})
	obj := mustPut(t, s, "notify/a", []byte("a"), store.PutOptions{})
	want := store.Event{Key: obj.Key, Size: obj.Size, ETag: obj.ETag, Digest: obj.Digest}
	// The port lets the callback run after Put returns; wait a little.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
	}
	cancel()
	cancel() // twice is fine
	mustPut(t, s, "notify/b", []byte("b"), store.PutOptions{})
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("events = %+v, want [%+v] (and none after cancel)", got, want)
	}
	ev := got[0]
	if ev.Body != nil && string(ev.Body) != "a" {
		t.Errorf("event body %q, want the object's content %q or none", ev.Body, "a")
	}
	if ev.Key != want.Key || ev.Size != want.Size || ev.ETag != want.ETag || ev.Digest != want.Digest {
		t.Errorf("events = %+v, want [%+v] (and none after cancel)", got, want)
	}
}
