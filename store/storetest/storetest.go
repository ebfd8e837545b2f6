package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/aloft-run/aloft/store"
)

// Run runs the conformance suite against the store implementation that
// newStore makes. Each subtest calls newStore once and expects an empty
// store (a fresh directory, or a fresh prefix of a shared bucket) that it
// may fill with a few megabytes; newStore cleans up with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"MissingKey", testMissingKey},
		{"RoundTrip", testRoundTrip},
		{"Overwrite", testOverwrite},
		{"IfAbsent", testIfAbsent},
		{"IfMatch", testIfMatch},
		{"FailedPutLeavesNothing", testFailedPut},
		{"List", testList},
		{"Delete", testDelete},
		{"URI", testURI},
		{"RaceIfAbsent", testRaceIfAbsent},
		{"RaceIfMatchCounter", testRaceIfMatchCounter},
		{"OptionalSyncer", testSyncer},
		{"OptionalNotifier", testNotifier},
		{"HeadFollowsContent", testHeadFollowsContent},
		{"Move", testMove},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// randomBytes returns n bytes that are the same on every run.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func mustPut(t *testing.T, s store.Store, key string, b []byte, opts store.PutOptions) store.Object {
	t.Helper()
	obj, err := store.PutBytes(context.Background(), s, key, b, opts)
	if err != nil {
		t.Fatalf("Put(%q, %+v): %v", key, opts, err)
	}
	return obj
}

func mustGet(t *testing.T, s store.Store, key string) ([]byte, store.Object) {
	t.Helper()
	b, obj, err := store.ReadAll(context.Background(), s, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return b, obj
}

// checkObject checks what every Object describing content b must say.
func checkObject(t *testing.T, what string, obj store.Object, key string, b []byte) {
	t.Helper()
	if obj.Key != key {
		t.Errorf("%s: Key = %q, want %q", what, obj.Key, key)
	}
	if obj.Size != int64(len(b)) {
		t.Errorf("%s: Size = %d, want %d", what, obj.Size, len(b))
	}
	if want := sha(b); obj.Digest != want {
		t.Errorf("%s: Digest = %q, want %q", what, obj.Digest, want)
	}
	if obj.ETag == "" {
		t.Errorf("%s: empty ETag", what)
	}
	if obj.Modified.IsZero() {
		t.Errorf("%s: zero Modified", what)
	}
}

// sameVersion checks that two Objects describe the same stored version.
func sameVersion(t *testing.T, what string, got, want store.Object) {
	t.Helper()
	if got.Key != want.Key || got.Size != want.Size || got.ETag != want.ETag || got.Digest != want.Digest {
		t.Errorf("%s = %+v, want the version %+v", what, got, want)
	}
}

func wantContent(t *testing.T, s store.Store, key string, want []byte) store.Object {
	t.Helper()
	got, obj := mustGet(t, s, key)
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes %.40q, want %d bytes %.40q", key, len(got), got, len(want), want)
	}
	return obj
}

func wantNotFound(t *testing.T, s store.Store, key string) {
	t.Helper()
	ctx := context.Background()
	if obj, err := s.Head(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Head(%q) = %+v, %v; want ErrNotFound", key, obj, err)
	}
	rc, _, err := s.Get(ctx, key)
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(%q) error = %v; want ErrNotFound", key, err)
	}
}

// failingReader yields n bytes and then an error, like a broken upload.
type failingReader struct{ n int }

var errBroken = errors.New("storetest: reader broke")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errBroken
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}

var _ io.Reader = (*failingReader)(nil)
