package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/internal/runnerbin"
)

// fakeDocker stands in for the docker CLI with an engine behind it: `info`
// answers, `run` records the runner it was asked to mount and runs that
// runner as a process with the container's arguments, as the entrypoint.
const fakeDocker = `#!/bin/sh
case "$1" in
info) echo 27.0.0 ;;
run)
	shift
	runner=
	while [ $# -gt 0 ]; do
		case "$1" in
		--rm|--init) shift ;;
		-v) case "$2" in *:/aloft-runner:ro) runner=${2%:/aloft-runner:ro} ;; esac; shift 2 ;;
		--entrypoint) shift 3; break ;;
		*) shift 2 ;;
		esac
	done
	echo "$runner" > "$ALOFT_TEST_DOCKER_RECORD"
	exec "$runner" "$@" ;;
esac
`

const imageSpec = `apiVersion: aloft/v1
kind: Workflow
name: boxed
outputs:
  y: "{{a.y}}"
tasks:
  hi:
    image: alpine:3
    outputs: {y: int}
    command: [sh, -c, 'echo 41 > "$1"', hi, "{{outputs.y}}"]
nodes:
  a: {task: hi}
`

// TestRunExecutorDockerFindsTheRunner: with no --runner and none beside
// the binary, --executor docker mounts the runner that aloft carries (in a
// test binary built from source; in `make build` the embedded copy, which
// internal/runnerbin's TestEmbedded checks Get returns).
func TestRunExecutorDockerFindsTheRunner(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runner")
	}
	bin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bin, "docker"), []byte(fakeDocker), 0o755))
	record := filepath.Join(t.TempDir(), "runner")
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("ALOFT_TEST_DOCKER_RECORD", record)
	// The runner is written under the user's cache directory: a fresh one,
	// keeping the go command's build cache where it is (a cold one means
	// rebuilding the standard library for the runner).
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	require.NoError(t, err)
	t.Setenv("GOCACHE", strings.TrimSpace(string(gocache)))
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv(runnerbin.FromSourceEnv, "1")

	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", imageSpec)
	r := s.run(t, "run", wf, "--executor", "docker").check(t, exitOK)
	assert.Contains(t, r.out, "1 node: 1 succeeded")
	assert.Regexp(t, `y\s+int\s+41`, r.out)

	b, err := os.ReadFile(record)
	require.NoError(t, err, "docker run was not called")
	mounted := strings.TrimSpace(string(b))
	runner, err := os.ReadFile(mounted)
	require.NoError(t, err, "the mounted runner %q", mounted)
	assert.NoError(t, runnerbin.Check(runner, runtime.GOARCH))
}
