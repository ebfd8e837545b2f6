package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/aloft-run/aloft/store"
)

func listKeys(t *testing.T, s store.Store, prefix string) []string {
	t.Helper()
	objs, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	keys := make([]string, 0, len(objs))
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

func equal(a, b []string) bool { return slices.Equal(a, b) }

func testList(t *testing.T, s store.Store) {
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Fatalf("List of an empty store = %q", keys)
	}
	content := map[string][]byte{}
	// Inserted out of order; "data-x" sorts before "data/..." ('-' < '/')
	// although a directory walk would visit "data/" first.
	for _, k := range []string{
		"other", "data/b/c/d", "data/abc/x", "data/ab/x", "data/a",
		"data-x", "data/a0", "data/ab/y/z/deep.json", "dat",
	} {
		content[k] = []byte("content of " + k)
		mustPut(t, s, k, content[k], store.PutOptions{})
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"dat", "data-x", "data/a", "data/a0", "data/ab/x", "data/ab/y/z/deep.json", "data/abc/x", "data/b/c/d", "other"}},
		{"data/", []string{"data/a", "data/a0", "data/ab/x", "data/ab/y/z/deep.json", "data/abc/x", "data/b/c/d"}},
		{"data", []string{"data-x", "data/a", "data/a0", "data/ab/x", "data/ab/y/z/deep.json", "data/abc/x", "data/b/c/d"}},
		{"data/ab", []string{"data/ab/x", "data/ab/y/z/deep.json", "data/abc/x"}},
		{"data/ab/", []string{"data/ab/x", "data/ab/y/z/deep.json"}},
		{"data/a", []string{"data/a", "data/a0", "data/ab/x", "data/ab/y/z/deep.json", "data/abc/x"}},
		{"data/b/c/d", []string{"data/b/c/d"}},
		{"data/b/c/d/", nil},
		{"nope/", nil},
		{"nope", nil},
		{"z", nil},
	}
	for _, c := range cases {
		if got := listKeys(t, s, c.prefix); !equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("List(%q) = %q, want %q", c.prefix, got, c.want)
		}
	}
	objs, err := s.List(context.Background(), "data/ab/")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		checkObject(t, "List entry", o, o.Key, content[o.Key])
	}
}
