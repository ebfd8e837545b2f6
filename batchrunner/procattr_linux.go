package batchrunner

import "syscall"

// taskProcAttr puts the task in its own process group (so the whole tree
// can be signalled) and has the kernel kill it if the thread that started
// it dies (a kill -9 of the runner takes the task down).
func taskProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
