package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

const ownedSpec = `apiVersion: aloft/v1
kind: Workflow
name: owned
outputs:
  x: "{{one.x}}"
tasks:
  one:
    outputs: {x: int}
    command: [sh, -c, 'echo 7 > "$0"', "{{outputs.x}}"]
nodes:
  one: {task: one}
`

// deadProcess is the identity of a child process killed with -9.
func deadProcess(t *testing.T) batchrunner.ProcessID {
	t.Helper()
	c := exec.Command("sleep", "60")
	require.NoError(t, c.Start())
	id, err := batchrunner.ProcFS{}.Identify(c.Process.Pid)
	require.NoError(t, err)
	require.NoError(t, c.Process.Signal(syscall.SIGKILL))
	_ = c.Wait()
	return id
}

// startUnowned starts an execution of ownedSpec in the sandbox's bucket
// with no owner marker yet.
func startUnowned(t *testing.T, s *sandbox) (*dirstore.Store, *engine.Engine, engine.Ref) {
	t.Helper()
	spec, err := orchestrator.ParseFiles(s.write(t, "wf.yaml", ownedSpec))
	require.NoError(t, err)
	wf, err := orchestrator.Compile(spec, "owned")
	require.NoError(t, err)
	st, err := dirstore.Open(s.store)
	require.NoError(t, err)
	eng, err := engine.New(engine.Config{Store: st})
	require.NoError(t, err)
	ref, err := eng.Start(context.Background(), wf, nil, engine.StartOptions{})
	require.NoError(t, err)
	return st, eng, ref
}

// TestInterruptedRunIsShownAndResumed: an unfinished execution whose aloft
// run process is gone is listed and shown as interrupted with the
// --resume hint; --resume takes ownership again and finishes it.
func TestInterruptedRunIsShownAndResumed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newSandbox(t)
	st, _, ref := startUnowned(t, s)
	// An aloft run that started the execution and was killed with -9.
	_, err := store.PutJSON(ctx, st, ref.OwnerKey(), engine.Owner{Process: deadProcess(t), Heartbeat: time.Now().UTC()}, store.PutOptions{})
	require.NoError(t, err)

	r := s.run(t, "executions", "list").check(t, exitOK)
	assert.Contains(t, r.out, "interrupted")
	assert.Contains(t, r.err, "aloft run --resume "+ref.Exec)
	r = s.run(t, "executions", "get", ref.Exec).check(t, exitOK)
	assert.Contains(t, r.out, "interrupted (its aloft run process")
	assert.Contains(t, r.out, "resume with: aloft run --resume "+ref.Exec)
	r = s.run(t, "executions", "get", ref.Exec, "--json").check(t, exitOK)
	var v struct{ Phase string }
	require.NoError(t, json.Unmarshal([]byte(r.out), &v))
	assert.Equal(t, "interrupted", v.Phase)

	s.run(t, "run", "--resume", ref.Exec).check(t, exitOK)
	var o engine.Owner
	_, err = store.GetJSON(ctx, st, ref.OwnerKey(), &o)
	require.NoError(t, err)
	assert.Equal(t, os.Getpid(), o.Process.PID, "--resume took ownership")
	r = s.run(t, "executions", "list").check(t, exitOK)
	assert.Contains(t, r.out, "succeeded")
	assert.NotContains(t, r.out, "interrupted")
}

// TestLiveRunIsNotInterrupted: the execution of a live aloft run (this
// process) is shown with its phase.
func TestLiveRunIsNotInterrupted(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	_, eng, ref := startUnowned(t, s)
	release, err := eng.Own(context.Background(), ref, selfProcess(), time.Hour)
	require.NoError(t, err)
	defer release()
	r := s.run(t, "executions", "list").check(t, exitOK)
	assert.Contains(t, r.out, "running")
	assert.NotContains(t, r.out+r.err, "interrupted")
}

// TestResumeRemovesStaleScratch: aloft run --resume removes the scratch
// directories (with copies of inputs) that a runner killed with -9 left in
// the temporary directory, and keeps those of live processes.
func TestResumeRemovesStaleScratch(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s := newSandbox(t)
	_, _, ref := startUnowned(t, s)
	stale := filepath.Join(tmp, "aloft-pid"+strconv.Itoa(deadProcess(t).PID)+"-one-123")
	live := filepath.Join(tmp, "aloft-pid"+strconv.Itoa(os.Getpid())+"-one-456")
	for _, d := range []string{stale, live} {
		require.NoError(t, os.MkdirAll(filepath.Join(d, "inputs"), 0o777))
	}
	s.run(t, "run", "--resume", ref.Exec).check(t, exitOK)
	assert.NoDirExists(t, stale)
	assert.DirExists(t, live)
}
