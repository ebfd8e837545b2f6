package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fileSpec takes a file input and copies it to its output.
const fileSpec = `apiVersion: aloft/v1
kind: Workflow
name: copyfile
inputs:
  f: file
outputs:
  g: "{{c.g}}"
tasks:
  cp:
    inputs: {f: file}
    outputs: {g: file}
    command: [cp, "{{inputs.f}}", "{{outputs.g}}"]
nodes:
  c: {task: cp, inputs: {f: "{{inputs.f}}"}}
`

// A URL input that cannot be downloaded is a failure (1), not a usage
// error: the command line was right.
func TestRunFailedDownloadExitsOne(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", fileSpec)
	r := s.run(t, "run", wf, "--input", "f="+srv.URL+"/data.csv").check(t, exitFailed)
	assert.Contains(t, r.err, "download "+srv.URL+"/data.csv")
	assert.Contains(t, r.err, "404")

	// A local path that does not exist stays a usage error.
	s.run(t, "run", wf, "--input", "f="+filepath.Join(s.dir, "nope.csv")).check(t, exitUsage)
}

// A --store that names no store aloft can use is a usage error (2).
func TestStoreMisuseIsUsage(t *testing.T) {
	t.Parallel()
	env := Env{Dir: t.TempDir()}
	wf := filepath.Join(env.Dir, "wf.yaml")
	require.NoError(t, os.WriteFile(wf, []byte(fileSpec), 0o644))
	for _, args := range [][]string{
		{"run", wf, "--input", "f=" + wf, "--store", "s3://bucket"},
		{"run", "--resume", "r1", "--store", "s3://bucket/prefix"},
		{"executions", "list", "--store", "s3://"},
		{"executions", "list", "--store", "gs://bucket"},
		{"cache", "list", "--store", "ftp://host/x"},
		{"cache", "evict", "--task", "t", "--store", "file://host/x"},
	} {
		r := aloft(t, env, args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.err)
		assert.Contains(t, r.err, "open store", "%v", args)
	}
}

func TestRunMaxParallelZero(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	r := s.run(t, "run", wf, "--input", "marker=m", "--max-parallel", "0").check(t, exitUsage)
	assert.Contains(t, r.err, "--max-parallel 0")
	s.run(t, "run", wf, "--input", "marker=m", "--max-parallel", "-3").check(t, exitUsage)
}

func TestValidateEmptyFile(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, body := range []string{"", "# only a comment\n", "---\n"} {
		p := s.write(t, "empty.yaml", body)
		r := aloft(t, s.env, "validate", p).check(t, exitUsage)
		assert.Contains(t, r.err, "no specs", "body %q", body)
		assert.NotContains(t, r.out, "ok")
	}
}

// stampWriter records, for each write, whether a file existed then.
type stampWriter struct {
	mu     sync.Mutex
	marker string
	writes []stamped
}

type stamped struct {
	text          string
	markerExisted bool
}

func (w *stampWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := os.Stat(w.marker)
	w.writes = append(w.writes, stamped{string(p), err == nil})
	return len(p), nil
}

// With --quiet the execution id (what --resume needs after a kill) is
// printed when the run starts, before any task runs.
func TestRunQuietNamesTheExecutionFirst(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	marker := filepath.Join(s.dir, "ran.txt")
	var out bytes.Buffer
	errw := &stampWriter{marker: marker}
	code := run(context.Background(), []string{"run", wf, "--input", "marker=" + marker, "--quiet", "--store", s.store},
		Stdio{Out: &out, Err: errw, Env: s.env})
	require.Equal(t, exitOK, code, "%+v", errw.writes)
	require.FileExists(t, marker, "the tasks ran")
	var lines []stamped
	for _, w := range errw.writes {
		if strings.Contains(w.text, "(resume with: aloft run --resume r") {
			lines = append(lines, w)
		}
	}
	require.Len(t, lines, 1, "%+v", errw.writes)
	assert.False(t, lines[0].markerExisted, "the execution id was printed after the tasks ran")
}
