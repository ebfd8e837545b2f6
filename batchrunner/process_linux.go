//go:build linux

package batchrunner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// runProcess runs the task with runProcessPolled where the kernel has
// pidfds (Linux 5.3), else with runProcessThreads. A task bounded by a
// memory cgroup also takes runProcessThreads: the thread that forks it
// enters the cgroup, and should it fail to leave again, that thread must
// end with the task rather than go on forking other tasks (a memory-bound
// task is long enough that the extra goroutines do not matter).
func runProcess(ctx context.Context, spec procSpec, sink *logSink) procResult {
	if usePolled && pidfdWorks() && !wantsCgroup(spec) {
		return runProcessPolled(ctx, spec, sink)
	}
	return runProcessThreads(ctx, spec, sink)
}

// usePolled is false only in tests of runProcessThreads.
var usePolled = true

var pidfdWorks = sync.OnceValue(func() bool {
	fd, err := unix.PidfdOpen(unix.Getpid(), 0)
	if err != nil {
		return false
	}
	_ = unix.Close(fd)
	return true
})

// runProcessPolled is runProcessThreads, for a task without a memory
// cgroup, on the calling goroutine alone: it locks the OS thread (the
// Pdeathsig thread), forks, and then
// waits in poll(2) for whatever comes first: output on the pipe, the
// process's exit (its pidfd), ctx's cancellation (an eventfd), the timeout
// or the kill deadline. A short task thus costs no goroutine switches,
// which on a virtual machine are tens of microseconds each.
func runProcessPolled(ctx context.Context, spec procSpec, sink *logSink) procResult {
	res := procResult{exitCode: -1}
	stdin, err := devNull()
	if err != nil {
		res.startErr = fmt.Errorf("open %s: %w", os.DevNull, err)
		return res
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		res.startErr = fmt.Errorf("make output pipe: %w", err)
		return res
	}
	rfd := p[0]
	defer unix.Close(rfd)
	attr := taskAttr(spec, stdin, uintptr(p[1]))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, ferr := syscall.ForkExec(spec.path, spec.argv, attr)
	runtime.KeepAlive(stdin)
	_ = unix.Close(p[1])
	if ferr != nil {
		res.startErr = fmt.Errorf("start %s: %w", spec.argv[0], ferr)
		return res
	}
	// Out of descriptors: stop the task, it cannot be watched.
	abandon := func(err error) procResult {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		wait(pid)
		res.startErr = fmt.Errorf("watch %s: %w", spec.argv[0], err)
		return res
	}
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return abandon(err)
	}
	defer unix.Close(pidfd)
	cancelled, stopCancel, err := cancelFD(ctx)
	if err != nil {
		return abandon(err)
	}
	defer stopCancel()

	var poll *rssPoller
	if spec.memLimit > 0 && spec.memMode != MemoryOff {
		poll = startRSSPoller(pid, spec.memLimit, 100*time.Millisecond)
		res.limiter = "RSS polling"
	}
	lines := newLineSplitter(sink)
	defer lines.release()
	var deadline, killAt time.Time
	if spec.timeout > 0 {
		deadline = time.Now().Add(spec.timeout)
	}
	killed := false
	terminate := func(now time.Time) {
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		if killAt.IsZero() && !killed {
			killAt = now.Add(spec.grace)
		}
	}
	fds := []unix.PollFd{
		{Fd: int32(rfd), Events: unix.POLLIN},
		{Fd: int32(pidfd), Events: unix.POLLIN},
		{Fd: int32(cancelled), Events: unix.POLLIN},
	}
	for exited := false; !exited; {
		timeout := -1
		now := time.Now()
		for _, t := range []time.Time{deadline, killAt} {
			if !t.IsZero() {
				timeout = minTimeout(timeout, t.Sub(now))
			}
		}
		if poll != nil {
			timeout = minTimeout(timeout, 100*time.Millisecond)
		}
		for i := range fds {
			fds[i].Revents = 0
		}
		if _, err := unix.Poll(fds, timeout); errors.Is(err, unix.EINTR) {
			continue // revents are not to be trusted; the deadlines are rechecked
		} else if err != nil {
			// Cannot wait any more: end the task and report it.
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			exited = true
			continue
		}
		if fds[0].Revents != 0 && !lines.feed(fdReader(rfd)) {
			fds[0].Fd = -1 // end of output: the task may still run
		}
		if fds[1].Revents != 0 {
			exited = true
		}
		now = time.Now()
		if fds[2].Revents != 0 {
			fds[2].Fd = -1
			res.cancelled = true
			terminate(now)
		}
		if !deadline.IsZero() && !now.Before(deadline) {
			deadline = time.Time{}
			res.timedOut = true
			terminate(now)
		}
		if !killAt.IsZero() && !now.Before(killAt) {
			killAt, killed = time.Time{}, true // the grace is over
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		if poll != nil && !res.oom {
			select {
			case <-poll.exceeded:
				res.oom = true // the poller killed the group
			default:
			}
		}
	}
	res.ended(pid, wait(pid), poll)
	if poll != nil {
		select {
		case <-poll.exceeded:
			res.oom = true
		default:
		}
	}
	// What is left in the pipe; a process outside the group may hold it
	// open, so give up after a while.
	drainUntil := time.Now().Add(2 * time.Second)
	for fds[0].Fd >= 0 {
		left := time.Until(drainUntil)
		if left <= 0 {
			break
		}
		n, err := unix.Poll(fds[:1], minTimeout(-1, left))
		if err != nil && !errors.Is(err, unix.EINTR) {
			break
		}
		if n > 0 && !lines.feed(fdReader(rfd)) {
			break
		}
	}
	lines.flush()
	return res
}

// minTimeout is the smaller of a poll(2) timeout in milliseconds (-1:
// none) and d, rounded up to whole milliseconds.
func minTimeout(ms int, d time.Duration) int {
	m := int((max(d, 0) + time.Millisecond - 1) / time.Millisecond)
	if ms < 0 || m < ms {
		return m
	}
	return ms
}

// cancelFD returns an eventfd that becomes readable when ctx is done, and
// a function that releases it (after which nothing writes to it).
func cancelFD(ctx context.Context) (int, func(), error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return -1, nil, fmt.Errorf("eventfd: %w", err)
	}
	var mu sync.Mutex
	closed := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !closed {
			one := [8]byte{1}
			_, _ = unix.Write(fd, one[:])
		}
	})
	return fd, func() {
		stop()
		mu.Lock()
		closed = true
		_ = unix.Close(fd)
		mu.Unlock()
	}, nil
}

// fdReader reads a blocking descriptor that poll(2) said is readable: an
// interrupted read reads nothing (the caller polls again), and a read of
// nothing is the end of the output.
type fdReader int

func (fd fdReader) Read(b []byte) (int, error) {
	n, err := unix.Read(int(fd), b)
	switch {
	case errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN):
		return 0, nil
	case err != nil:
		return 0, err
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
