package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/aloft-run/aloft/store"
)

// testHeadFollowsContent checks what verified reads rely on (Decision 23):
// Head reports the size of the current content and, where it reports a
// digest at all, the SHA-256 of the current content, never a stale one,
// also after a same-size replacement.
func testHeadFollowsContent(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustPut(t, s, "data/e/n/1/outputs/a", []byte("hello, aloft\n"), store.PutOptions{})
	edited := []byte("jello, aloft\n")
	mustPut(t, s, "data/e/n/1/outputs/a", edited, store.PutOptions{})
	head, err := s.Head(ctx, "data/e/n/1/outputs/a")
	if err != nil {
		t.Fatal(err)
	}
	if head.Size != int64(len(edited)) {
		t.Errorf("Head size %d, want %d", head.Size, len(edited))
	}
	if head.Digest != "" && head.Digest != sha(edited) {
		t.Errorf("Head digest %s, want %s (the current content's) or none", head.Digest, sha(edited))
	}
}

// testMove checks store.Move (the store's Mover, or the Get/Put/Delete
// fallback): the object lands at dst with its content and digest, src is
// gone, and a missing src gives ErrNotFound.
func testMove(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := randomBytes(1<<16, 7)
	mustPut(t, s, "data/e/n/1/outputs/m", data, store.PutOptions{})
	if err := store.Move(ctx, s, "data/e/n/1/outputs/m", "quarantine/data/e/n/1/outputs/m"); err != nil {
		t.Fatalf("Move: %v", err)
	}
	if _, err := s.Head(ctx, "data/e/n/1/outputs/m"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Head of the moved key: %v, want ErrNotFound", err)
	}
	got := wantContent(t, s, "quarantine/data/e/n/1/outputs/m", data)
	checkObject(t, "Get after Move", got, "quarantine/data/e/n/1/outputs/m", data)
	if err := store.Move(ctx, s, "data/e/n/1/outputs/gone", "quarantine/x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Move of a missing key: %v, want ErrNotFound", err)
	}
}
