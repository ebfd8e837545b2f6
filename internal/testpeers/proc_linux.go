package testpeers

import "syscall"

// sysProcAttr makes the peer die with the test process (even on a kill -9
// of the test binary), so no server outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
