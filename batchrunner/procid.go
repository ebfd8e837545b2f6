package batchrunner

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcessID names one process for as long as the machine runs: a pid alone
// is reused, so the claim of a local attempt also records the process's
// start time (clock ticks after boot, field 22 of /proc/<pid>/stat) and the
// boot id (/proc/sys/kernel/random/boot_id). The local Liveness adapter
// compares them with what /proc says now.
type ProcessID struct {
	PID    int    `json:"pid"`
	Start  uint64 `json:"start_ticks"`
	BootID string `json:"boot_id"`
}

// ProcFS reads process identities from a proc file system mounted at Root
// ("/proc" when empty); tests point it at a fake tree.
type ProcFS struct{ Root string }

func (p ProcFS) root() string {
	if p.Root == "" {
		return "/proc"
	}
	return p.Root
}

// BootID is the id of the running boot.
func (p ProcFS) BootID() (string, error) {
	b, err := os.ReadFile(filepath.Join(p.root(), "sys", "kernel", "random", "boot_id"))
	if err != nil {
		return "", fmt.Errorf("read boot id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// StartTicks is when process pid started, in clock ticks after boot; an
// error wrapping os.ErrNotExist when there is no such process.
func (p ProcFS) StartTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(p.root(), strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces or
	// parentheses itself: the fields after it follow the last ')'.
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0, fmt.Errorf("%s/%d/stat: no command name", p.root(), pid)
	}
	fields := strings.Fields(s[end+1:])
	const startField = 22 - 3 // fields 3.. follow the name
	if len(fields) <= startField {
		return 0, fmt.Errorf("%s/%d/stat: %d fields, want at least 22", p.root(), pid, len(fields)+2)
	}
	return strconv.ParseUint(fields[startField], 10, 64)
}

// Identify returns the identity of process pid.
func (p ProcFS) Identify(pid int) (ProcessID, error) {
	boot, err := p.BootID()
	if err != nil {
		return ProcessID{}, err
	}
	start, err := p.StartTicks(pid)
	if err != nil {
		return ProcessID{}, fmt.Errorf("process %d: %w", pid, err)
	}
	return ProcessID{PID: pid, Start: start, BootID: boot}, nil
}

// Gone reports whether the process id names is no longer running (its pid
// is missing or now another process's, or the machine rebooted), with why.
// An error means /proc could not tell.
func (p ProcFS) Gone(id ProcessID) (gone bool, why string, err error) {
	boot, err := p.BootID()
	if err != nil {
		return false, "", err
	}
	if boot != id.BootID {
		return true, "the machine restarted since it started", nil
	}
	start, err := p.StartTicks(id.PID)
	switch {
	case os.IsNotExist(err):
		return true, fmt.Sprintf("process %d is gone", id.PID), nil
	case err != nil:
		return false, "", err
	case start != id.Start:
		return true, fmt.Sprintf("process %d is gone (its pid now names another process)", id.PID), nil
	}
	return false, "", nil
}
