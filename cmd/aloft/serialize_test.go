package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// asCLIEnv makes the test binary run as the aloft command (see TestMain).
const asCLIEnv = "ALOFT_TEST_AS_CLI"

// cliProcess runs aloft as a separate process: the test binary, which
// TestMain turns into the command.
func cliProcess(ctx context.Context, t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), asCLIEnv+"=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errb.String()
}

const serializeSpec = `apiVersion: aloft/v1
kind: Workflow
name: serial
inputs: {marker: string}
defaults:
  cache: {version: "1", serialize: true}
tasks:
  work:
    inputs: {marker: string, x: int}
    command: [sh, -c, "echo {{inputs.x}} >> {{inputs.marker}}; sleep 1"]
nodes:
  a: {task: work, inputs: {marker: "{{inputs.marker}}", x: 1}}
  b: {task: work, inputs: {marker: "{{inputs.marker}}", x: 2}, after: [a]}
`

// Two identical `aloft run`s started together on one store, each its own
// process: with cache serialize each task runs once; the other run waits
// for the reservation, then hits the cache.
func TestRunSerializedTogether(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", serializeSpec)
	marker := filepath.Join(s.dir, "ran")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	type res struct {
		code     int
		out, err string
	}
	results := make([]res, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			code, out, errs := cliProcess(ctx, t, s.dir, "run", wf, "--input", "marker="+marker, "--store", s.store)
			results[i] = res{code, out, errs}
		})
	}
	wg.Wait()
	for i, r := range results {
		require.Equal(t, exitOK, r.code, "run %d:\nstdout:\n%s\nstderr:\n%s", i, r.out, r.err)
	}
	assert.ElementsMatch(t, []string{"1", "2"}, markerLines(t, marker), "each task ran once")
	cached := 0
	for _, r := range results {
		cached += bytes.Count([]byte(r.out), []byte(" cached"))
	}
	assert.GreaterOrEqual(t, cached, 2, "the other run's nodes are cached:\n%s\n%s", results[0].out, results[1].out)
}
