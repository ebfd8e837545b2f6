//go:build unix

package batchtest

import (
	"os"
	"os/exec"
	"syscall"
)

// setGroup runs cmd in its own process group, as a container is its own
// world: stopping the job signals the whole group.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, sig)
	}
}

// exitCode is the code a container runtime reports: the exit status, or
// 128 plus the signal that killed the process.
func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
