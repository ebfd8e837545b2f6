package batchrunner_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
)

// TestProcFSReadsStartTimeAfterAnOddName: the start time is field 22 of
// /proc/<pid>/stat, counted after the command name, which may hold spaces
// and parentheses.
func TestProcFSReadsStartTimeAfterAnOddName(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "sys", "kernel", "random"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "sys", "kernel", "random", "boot_id"), []byte("boot-a\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "7"), 0o755))
	stat := "7 (a (b) c) S 1 7 7 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10\n"
	require.NoError(t, os.WriteFile(filepath.Join(root, "7", "stat"), []byte(stat), 0o644))
	p := batchrunner.ProcFS{Root: root}
	id, err := p.Identify(7)
	require.NoError(t, err)
	assert.Equal(t, batchrunner.ProcessID{PID: 7, Start: 123456, BootID: "boot-a"}, id)

	for _, c := range []struct {
		name string
		id   batchrunner.ProcessID
		gone bool
		why  string
	}{
		{"alive", id, false, ""},
		{"pid reused", batchrunner.ProcessID{PID: 7, Start: 99, BootID: "boot-a"}, true, "now names another process"},
		{"pid missing", batchrunner.ProcessID{PID: 8, Start: 123456, BootID: "boot-a"}, true, "process 8 is gone"},
		{"rebooted", batchrunner.ProcessID{PID: 7, Start: 123456, BootID: "boot-b"}, true, "restarted"},
	} {
		gone, why, err := p.Gone(c.id)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.gone, gone, c.name)
		assert.Contains(t, why, c.why, c.name)
	}
	_, _, err = batchrunner.ProcFS{Root: t.TempDir()}.Gone(id)
	assert.Error(t, err, "no boot id: /proc cannot tell")
}

// TestProcFSOnTheRealProc: a live child is not gone; killed with -9 and
// reaped, it is.
func TestProcFSOnTheRealProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	child := exec.Command("sleep", "60")
	require.NoError(t, child.Start())
	var p batchrunner.ProcFS
	id, err := p.Identify(child.Process.Pid)
	require.NoError(t, err)
	gone, _, err := p.Gone(id)
	require.NoError(t, err)
	assert.False(t, gone, "a live child")
	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	_ = child.Wait()
	gone, why, err := p.Gone(id)
	require.NoError(t, err)
	assert.True(t, gone, "a killed child")
	assert.Contains(t, why, "gone")
}
