// Command spawnfloor runs the processes of scripts/bench-vs-make.sh's
// shapes and nothing else: the floor a Go program pays for process
// start-up, next to which aloft's own work per task can be judged.
//
//	spawnfloor fan N     true 0; then true 1..N, two at a time; then true -1
//	spawnfloor chain N   true 1, true 2, ... true N, one after another
//
// Each worker forks and reaps its own processes (syscall.ForkExec, wait4)
// on a locked thread, with no hand-offs between goroutines.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: spawnfloor fan|chain N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "spawnfloor: N must be a positive integer")
		os.Exit(2)
	}
	path, err := exec.LookPath("true")
	if err != nil {
		fmt.Fprintln(os.Stderr, "spawnfloor:", err)
		os.Exit(1)
	}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintln(os.Stderr, "spawnfloor:", err)
		os.Exit(1)
	}
	attr := &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{devNull.Fd(), devNull.Fd(), devNull.Fd()},
		Sys: &syscall.SysProcAttr{Setpgid: true}}
	run := func(i int64) {
		pid, err := syscall.ForkExec(path, []string{"true", strconv.FormatInt(i, 10)}, attr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "spawnfloor:", err)
			os.Exit(1)
		}
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
	}
	runtime.LockOSThread()
	switch os.Args[1] {
	case "chain":
		for i := int64(1); i <= int64(n); i++ {
			run(i)
		}
	case "fan":
		run(0)
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				runtime.LockOSThread()
				for i := next.Add(1); i <= int64(n); i = next.Add(1) {
					run(i)
				}
			})
		}
		wg.Wait()
		run(-1)
	default:
		fmt.Fprintln(os.Stderr, "spawnfloor: shape must be fan or chain")
		os.Exit(2)
	}
}
