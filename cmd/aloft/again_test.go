package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store/dirstore"
)

// recoverSpec: an uncached task, then one that fails while DIR/fail
// exists. Each run appends its name to DIR/ran.
const recoverSpec = `apiVersion: aloft/v1
kind: Workflow
name: rec
inputs: {dir: string}
outputs: {out: "{{second.out}}"}
tasks:
  first:
    inputs: {dir: string}
    outputs: {v: int}
    command: [sh, -c, 'echo first >> "$1/ran"; echo 20 > "$2"', first, "{{inputs.dir}}", "{{outputs.v}}"]
  second:
    inputs: {dir: string, v: int}
    outputs: {out: int}
    command: [sh, -c, 'echo second >> "$1/ran"; test ! -e "$1/fail" && echo $(( $2 + 1 )) > "$3"', second, "{{inputs.dir}}", "{{inputs.v}}", "{{outputs.out}}"]
nodes:
  first: {task: first, inputs: {dir: "{{inputs.dir}}"}}
  second: {task: second, inputs: {dir: "{{inputs.dir}}", v: "{{first.v}}"}}
`

// failedRun runs recoverSpec with second failing and returns its id.
func failedRun(t *testing.T, s *sandbox) string {
	t.Helper()
	wf := s.write(t, "wf.yaml", recoverSpec)
	s.write(t, "fail", "")
	r := s.run(t, "run", wf, "--input", "dir="+s.dir).check(t, exitFailed)
	require.NoError(t, os.Remove(filepath.Join(s.dir, "fail")))
	return execID(t, r.err)
}

func getJSON(t *testing.T, s *sandbox, id string) execView {
	t.Helper()
	var v execView
	require.NoError(t, json.Unmarshal([]byte(s.run(t, "executions", "get", id, "--json").check(t, exitOK).out), &v))
	return v
}

// Recovering a failed aloft run reruns the failed node only: the first
// node succeeded but is not cached, and is reused all the same (issue 14,
// item 10). Relaunching reruns both.
func TestExecutionsRecoverAndRelaunchHere(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	id := failedRun(t, s)

	r := s.run(t, "executions", "recover", id).check(t, exitOK)
	assert.Contains(t, r.err, "recover of "+id+", running here")
	assert.Equal(t, []string{"first", "second", "second"}, markerLines(t, filepath.Join(s.dir, "ran")), "first succeeded and must not run again")
	rec := execID(t, r.err)
	v := getJSON(t, s, rec)
	assert.Equal(t, "succeeded", v.Phase)
	assert.Equal(t, id, v.RecoveredFrom)
	require.Len(t, v.Nodes, 2)
	assert.True(t, v.Nodes[0].Recovered)
	assert.False(t, v.Nodes[1].Recovered)
	assert.Equal(t, float64(21), v.Outputs["out"])
	assert.Contains(t, s.run(t, "executions", "get", rec).check(t, exitOK).out, "recovered from  "+id)

	r = s.run(t, "executions", "relaunch", rec, "--quiet").check(t, exitOK)
	assert.Equal(t, []string{"first", "second", "second", "first", "second"}, markerLines(t, filepath.Join(s.dir, "ran")))
	v = getJSON(t, s, execID(t, r.err))
	assert.Equal(t, rec, v.RelaunchedFrom)
	assert.Empty(t, v.RecoveredFrom)
}

func TestExecutionsRecoverExitCodes(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	id := failedRun(t, s)
	r := s.run(t, "executions", "recover", "nosuch").check(t, exitFailed)
	assert.Contains(t, r.err, "no such execution")
	s.run(t, "executions", "recover").check(t, exitUsage)
	r = s.run(t, "executions", "recover", id, "--request", "--local").check(t, exitUsage)
	assert.Contains(t, r.err, "contradict")

	// A running execution (started, not driven).
	st, err := dirstore.Open(s.store)
	require.NoError(t, err)
	eng, err := engine.New(engine.Config{Store: st})
	require.NoError(t, err)
	c, err := orchestrator.Compile(mustParse(t, filepath.Join(s.dir, "wf.yaml")), "rec")
	require.NoError(t, err)
	ref, err := eng.Start(context.Background(), c, map[string]orchestrator.Literal{"dir": orchestrator.String(s.dir)}, engine.StartOptions{})
	require.NoError(t, err)
	for _, how := range []string{"recover", "relaunch"} {
		r = s.run(t, "executions", how, ref.Exec).check(t, exitUsage)
		assert.Contains(t, r.err, "is running: wait for it to end, or stop it with aloft executions terminate "+ref.Exec)
	}

	// A succeeded one: nothing to recover; relaunch is fine.
	r = s.run(t, "executions", "recover", id).check(t, exitOK)
	r = s.run(t, "executions", "recover", execID(t, r.err)).check(t, exitUsage)
	assert.Contains(t, r.err, "nothing to recover")
}

// An execution the control plane started (a launch request names it), or
// --request, gets a request; nothing runs here.
func TestExecutionsRecoverWritesRequests(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.env.NewID = ids()
	s.env.Now = fixedClock()
	id := failedRun(t, s)
	ran := markerLines(t, filepath.Join(s.dir, "ran"))
	st, err := dirstore.Open(s.store)
	require.NoError(t, err)
	ctx := context.Background()

	r := s.run(t, "executions", "relaunch", id, "--request").check(t, exitOK)
	newID := strings.TrimSpace(r.out)
	req, err := registry.GetAgainRequest(ctx, st, layout.RequestRelaunch, newID)
	require.NoError(t, err)
	assert.Equal(t, id, req.From)
	assert.Contains(t, r.err, "the control plane starts it")

	// The original was launched through the control plane: a request.
	_, err = registry.PutLaunchRequest(ctx, st, &registry.LaunchRequest{ID: id, Project: "default", Domain: "development"})
	require.NoError(t, err)
	r = s.run(t, "executions", "recover", id).check(t, exitOK)
	req, err = registry.GetAgainRequest(ctx, st, layout.RequestRecover, strings.TrimSpace(r.out))
	require.NoError(t, err)
	assert.Equal(t, id, req.From)
	assert.Equal(t, ran, markerLines(t, filepath.Join(s.dir, "ran")), "nothing ran here")

	// --local overrides: it runs here.
	r = s.run(t, "executions", "recover", id, "--local").check(t, exitOK)
	assert.Contains(t, r.err, "running here")
}

func mustParse(t *testing.T, path string) *orchestrator.Spec {
	t.Helper()
	spec, err := orchestrator.ParseFiles(path)
	require.NoError(t, err)
	return spec
}

// Under aloft dev, a launched execution is recovered through a request:
// aloft writes it, aloft dev starts the new execution, --wait follows it.
func TestExecutionsRecoverThroughAloftDev(t *testing.T) {
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", recoverSpec)
	s.write(t, "fail", "")
	s.run(t, "register", wf, "--version", "v1").check(t, exitOK)
	dev := startDev(t, s.env, 60*time.Second, "--store", s.store, "--sweep", "200ms")
	r := s.run(t, "launch", "--workflow", "rec", "--workflow-version", "v1", "--input", "dir="+s.dir, "--wait", "--quiet").check(t, exitFailed)
	_, after, ok := strings.Cut(r.err, "launched execution ")
	require.True(t, ok, r.err)
	id, _, _ := strings.Cut(after, ":")
	require.NoError(t, os.Remove(filepath.Join(s.dir, "fail")))

	r = s.run(t, "executions", "recover", id, "--wait", "--quiet").check(t, exitOK)
	assert.Contains(t, r.err, "the control plane starts it")
	assert.Contains(t, r.out, "recovered from  "+id)
	assert.Equal(t, []string{"first", "second", "second"}, markerLines(t, filepath.Join(s.dir, "ran")))
	dev.stop()
}
