package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// glob1 is the one file matching pattern under the sandbox's store.
func (s *sandbox) glob1(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(s.store, filepath.FromSlash(pattern)))
	require.NoError(t, err)
	require.Len(t, m, 1, pattern)
	return m[0]
}

// warnings are the lines of stderr that start with "warning:".
func warnings(stderr string) []string {
	var out []string
	for l := range strings.SplitSeq(stderr, "\n") {
		if strings.HasPrefix(l, "warning:") {
			out = append(out, l)
		}
	}
	return out
}

// An empty cache entry (issue 14 item 5) is skipped by cache list with one
// warning naming it, is a miss for the next run, which rewrites it.
func TestCacheListSkipsAndRepairsAnEmptyEntry(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	marker := filepath.Join(s.dir, "m")
	s.run(t, "run", wf, "--input", "marker="+marker, "--quiet").check(t, exitOK)
	entry := s.glob1(t, "catalog/default/development/make/1/*.json")
	require.NoError(t, os.WriteFile(entry, nil, 0o644))
	rel, err := filepath.Rel(s.store, entry)
	require.NoError(t, err)

	r := s.run(t, "cache", "list").check(t, exitOK)
	w := warnings(r.err)
	require.Len(t, w, 1, r.err)
	assert.Contains(t, w[0], filepath.ToSlash(rel))
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	require.Len(t, lines, 2, r.out)
	assert.True(t, rowIs(lines[1], "double", "1"), r.out)

	r = s.run(t, "run", wf, "--input", "marker="+marker, "--quiet").check(t, exitOK)
	assert.Equal(t, []string{"make", "double", "make"}, markerLines(t, marker), "the empty entry is a miss")
	assert.Contains(t, r.out, "2 nodes: 1 succeeded, 1 cached")
	r = s.run(t, "cache", "list").check(t, exitOK)
	assert.Empty(t, warnings(r.err), "the entry was rewritten")
	assert.Len(t, strings.Split(strings.TrimSpace(r.out), "\n"), 3, r.out)
}

// A cached output edited in place is quarantined by the next run's lookup;
// cache list shows it with its reason and evict --quarantined deletes it.
func TestCacheQuarantinedBlobListedAndEvicted(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	marker := filepath.Join(s.dir, "m")
	s.run(t, "run", wf, "--input", "marker="+marker, "--quiet").check(t, exitOK)
	blob := s.glob1(t, "data/*/make/*/outputs/out")
	require.NoError(t, os.Chmod(blob, 0o644))
	require.NoError(t, os.WriteFile(blob, []byte("value 4\n"), 0o644))

	r := s.run(t, "run", wf, "--input", "marker="+marker, "--quiet").check(t, exitOK)
	assert.Equal(t, []string{"make", "double", "make"}, markerLines(t, marker), "the edited output is not a hit")
	assert.Contains(t, r.out, "2 nodes: 1 succeeded, 1 cached", "double's input has its old bytes again")

	r = s.run(t, "cache", "list").check(t, exitOK)
	assert.Contains(t, r.out, "1 quarantined")
	assert.True(t, hasRow(r.out, "BLOB", "SIZE", "MOVED", "REASON"), r.out)
	assert.Contains(t, r.out, "the store holds sha256:")
	var blobs []quarantinedView
	r = s.run(t, "cache", "list", "--quarantined", "--json").check(t, exitOK)
	require.NoError(t, json.Unmarshal([]byte(r.out), &blobs), r.out)
	require.Len(t, blobs, 1)
	assert.True(t, strings.HasPrefix(blobs[0].Blob, "quarantine/data/"), blobs[0].Blob)
	assert.Equal(t, int64(8), blobs[0].Size)
	assert.NotEmpty(t, blobs[0].Moved)
	b, err := os.ReadFile(filepath.Join(s.store, filepath.FromSlash(blobs[0].Blob)))
	require.NoError(t, err)
	assert.Equal(t, "value 4\n", string(b))

	s.run(t, "cache", "list", "--quarantined", "--task", "make").check(t, exitUsage)
	r = s.run(t, "cache", "evict", "--quarantined").check(t, exitOK)
	assert.Equal(t, "deleted 1 quarantined blob\n", r.out)
	r = s.run(t, "cache", "list", "--quarantined").check(t, exitOK)
	assert.Contains(t, r.err, "no quarantined blobs")
	assert.NoDirExists(t, filepath.Join(s.store, "quarantine", "data"))
	r = s.run(t, "cache", "list").check(t, exitOK)
	assert.NotContains(t, r.out, "quarantined")
}

// A truncated state.json (issue 14 item 5) is skipped by executions list
// with one warning naming it; the other executions are listed.
func TestExecutionsListSkipsATruncatedState(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	marker := filepath.Join(s.dir, "m")
	first := execID(t, s.run(t, "run", wf, "--input", "marker="+marker).check(t, exitOK).err)
	second := execID(t, s.run(t, "run", wf, "--input", "marker="+marker).check(t, exitOK).err)
	state := s.glob1(t, "executions/default/development/"+first+"/state.json")
	b, err := os.ReadFile(state)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(state, b[:len(b)/2], 0o644))
	// The listing reads index summaries (Decision 34), the state only for an
	// entry without one: make the entry one such too.
	require.NoError(t, os.WriteFile(s.glob1(t, "index/default/development/*-"+first), []byte(first), 0o644))

	r := s.run(t, "executions", "list").check(t, exitOK)
	w := warnings(r.err)
	require.Len(t, w, 1, r.err)
	assert.Contains(t, w[0], "executions/default/development/"+first+"/state.json")
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	require.Len(t, lines, 2, r.out)
	assert.True(t, rowIs(lines[1], second, "pipe", "succeeded"), r.out)
}
