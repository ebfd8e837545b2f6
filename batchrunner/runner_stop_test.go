package batchrunner_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
)

// The tests of stopping a task wait for events (a pid file, a line of
// output) rather than for fixed times, and their deadlines are generous:
// they must hold on a loaded machine.

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && len(b) > i+2 && b[i+2] != 'Z'
}

// waitDead waits up to 20s for pid to end, and kills it if it does not.
func waitDead(t *testing.T, pid int) bool {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		return false
	}
	return true
}

func TestRunTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	pidFile := filepath.Join(t.TempDir(), "bg.pid")
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `sleep 30 & echo $! > "$1"; sleep 30`, "sh", pidFile},
		Timeout: 3 * time.Second, // time for the shell to write the pid file
	}, nil)
	start := time.Now()
	f := run(t, st, prefix, batchrunner.RunOptions{KillGrace: 200 * time.Millisecond}).failed(t)
	assert.Less(t, time.Since(start), 25*time.Second, "the task ran to its end")
	assert.Contains(t, f.Message, "timed out after 3s")
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	assert.True(t, waitDead(t, pid), "background sleep %d survived the timeout", pid)
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{Command: []string{"sh", "-c", "echo started; sleep 30"}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := logWriter(func(line string) {
		if line == "started\n" {
			cancel()
		}
	})
	require.NoError(t, batchrunner.Run(ctx, st, prefix, batchrunner.RunOptions{JobID: "j", Log: started}))
	o, f, err := batchrunner.ReadResult(context.Background(), st, prefix)
	require.NoError(t, err)
	f = wantKind(t, result{o, f}.failed(t), orchestrator.ErrSystem)
	assert.Equal(t, "cancelled", f.Message)
	assert.Equal(t, "SIGTERM", f.Signal)
}

// logWriter is a RunOptions.Log that hands each line to a function.
type logWriter func(line string)

func (w logWriter) Write(b []byte) (int, error) {
	w(string(b))
	return len(b), nil
}

// TestRunParentKilled kills -9 a runner process and checks that its task
// goes down with it (Pdeathsig).
func TestRunParentKilled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := newStoreAt(dir)
	require.NoError(t, err)
	pidFile := filepath.Join(t.TempDir(), "task.pid")
	prefix := attempt(t, st, orchestrator.TaskTemplate{Command: []string{self(t), pidFile}, Env: map[string]string{helperEnv: "sleep"}}, nil)
	parent := exec.Command(self(t))
	tmp := t.TempDir() // a runner killed with -9 leaves its scratch directory behind
	parent.Env = append(os.Environ(), helperEnv+"=runner", "ALOFT_TEST_STORE="+dir, "ALOFT_TEST_PREFIX="+prefix, "TMPDIR="+tmp)
	require.NoError(t, parent.Start())
	var pid int
	deadline := time.Now().Add(20 * time.Second)
	for pid == 0 && time.Now().Before(deadline) {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(string(b))
		time.Sleep(10 * time.Millisecond)
	}
	if pid == 0 {
		_ = parent.Process.Kill()
		require.FailNow(t, "the task never started")
	}
	_ = parent.Process.Kill()
	_ = parent.Wait()
	assert.True(t, waitDead(t, pid), "the task outlived its killed runner")

	// What it left behind is removed by a later run, and only that.
	left := scratchDirs(t, tmp)
	require.Len(t, left, 1)
	mine := filepath.Join(tmp, "aloft-pid"+strconv.Itoa(os.Getpid())+"-x-n-1")
	old := filepath.Join(tmp, "aloft-x-n-2") // named before names carried the pid
	for _, d := range []string{mine, old} {
		require.NoError(t, os.Mkdir(d, 0o777))
	}
	removed, err := batchrunner.RemoveStaleScratch(tmp)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(tmp, left[0])}, removed)
	assert.ElementsMatch(t, []string{filepath.Base(mine), filepath.Base(old)}, scratchDirs(t, tmp))
}
