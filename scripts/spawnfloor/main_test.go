package main

import (
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
)

// TestRecordsAreTheAttemptLayout: -records writes, per task, the two
// directories and four files that the bucket layout keeps for one attempt,
// so that the bench's records column measures what it says.
func TestRecordsAreTheAttemptLayout(t *testing.T) {
	root := t.TempDir()
	r := recorder{root: root}
	r.init()
	for i := int64(1); i <= 2; i++ {
		r.before(i)
		r.after(i)
	}
	r.sync()
	var got []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			rel += "/"
		}
		got = append(got, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"./", "catalog/", "catalog/k1.json", "catalog/k2.json", "data/", "data/spawnfloor/",
		"data/spawnfloor/t1/", "data/spawnfloor/t1/1/", "data/spawnfloor/t1/1/claim.json",
		"data/spawnfloor/t1/1/inputs.json", "data/spawnfloor/t1/1/outputs.json",
		"data/spawnfloor/t2/", "data/spawnfloor/t2/1/", "data/spawnfloor/t2/1/claim.json",
		"data/spawnfloor/t2/1/inputs.json", "data/spawnfloor/t2/1/outputs.json"}
	if !slices.Equal(got, want) {
		t.Errorf("records:\n got %q\nwant %q", got, want)
	}
}
