//go:build !linux

package testpeers

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
