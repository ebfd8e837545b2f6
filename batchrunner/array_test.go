package batchrunner_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

func TestArrayManifest(t *testing.T) {
	st, err := dirstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prefixes := []string{
		batchrunner.AttemptPrefix("e1", "fit", 0, 1),
		batchrunner.AttemptPrefix("e1", "fit", 1, 1),
		batchrunner.AttemptPrefix("e1", "fit", 2, 2),
	}
	key, err := batchrunner.WriteArrayManifest(ctx, st, "e1", "fit", prefixes)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^data/e1/fit/array-[0-9a-f]{12}\.json$`).MatchString(key) {
		t.Errorf("key %q", key)
	}
	// Again: the same key, no error (a Dispatch delivered twice).
	again, err := batchrunner.WriteArrayManifest(ctx, st, "e1", "fit", prefixes)
	if err != nil || again != key {
		t.Errorf("rewrite: %q, %v", again, err)
	}
	// Another list: another key.
	other, err := batchrunner.WriteArrayManifest(ctx, st, "e1", "fit", prefixes[:2])
	if err != nil || other == key {
		t.Errorf("other list: %q, %v", other, err)
	}
	got, err := batchrunner.ReadArrayManifest(ctx, st, key)
	if err != nil || !slices.Equal(got, prefixes) {
		t.Fatalf("read: %q, %v", got, err)
	}
	p, err := batchrunner.ArrayPrefix(ctx, st, key, 2)
	if err != nil || p != prefixes[2] {
		t.Errorf("index 2: %q, %v", p, err)
	}
	for _, i := range []int{-1, 3} {
		if _, err := batchrunner.ArrayPrefix(ctx, st, key, i); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("index %d: %v", i, err)
		}
	}
	if _, err := batchrunner.ReadArrayManifest(ctx, st, "data/e1/fit/array-000000000000.json"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing manifest: %v", err)
	}
}

func TestArrayManifestRejects(t *testing.T) {
	st, err := dirstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		prefixes []string
		want     string
	}{
		{nil, "no prefixes"},
		{[]string{"data/e1/fit.0/1"}, "want data/"},
		{[]string{"data/e2/fit.0/1/"}, "not in execution e1"},
	} {
		if _, err := batchrunner.WriteArrayManifest(ctx, st, "e1", "fit", c.prefixes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.prefixes, err, c.want)
		}
	}
	// A different manifest at the key (as after a hash collision) is a conflict.
	prefixes := []string{"data/e1/fit.0/1/"}
	key := batchrunner.ArrayManifestKey("e1", "fit", prefixes)
	if _, err := store.PutJSON(ctx, st, key, batchrunner.ArrayManifest{Exec: "e1", Node: "fit", Prefixes: []string{"data/e1/fit.9/1/"}}, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := batchrunner.WriteArrayManifest(ctx, st, "e1", "fit", prefixes); !errors.Is(err, store.ErrConflict) {
		t.Errorf("collision: %v", err)
	}
}
