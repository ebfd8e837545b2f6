//go:build unix && !linux

package batchrunner

import "syscall"

// taskProcAttr puts the task in its own process group. Outside Linux there
// is no parent-death signal: a task outlives a runner killed with -9.
func taskProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
