//go:build linux

package batchrunner

import (
	"context"
	"errors"
	"fmt"
	"io"
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
// task is long enough that the extra goroutines do not matter). See the
// package documentation for what each costs.
func runProcess(ctx context.Context, spec procSpec, sink *logSink) procResult {
	if !spec.threads && pidfdWorks() && !wantsCgroup(spec) {
		return runProcessPolled(ctx, spec, sink)
	}
	return runProcessThreads(ctx, spec, sink)
}

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
// Pdeathsig thread), forks, and then waits in poll(2) for whatever comes
// first: output on the pipe, the process's exit (its pidfd), ctx's
// cancellation (an eventfd), the timeout, the kill deadline or the next
// look at the memory poller. A short task thus costs no goroutine
// switches, which on a virtual machine are tens of microseconds each.
func runProcessPolled(ctx context.Context, spec procSpec, sink *logSink) procResult {
	res := procResult{exitCode: -1}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		res.startErr = fmt.Errorf("make output pipe: %w", err)
		return res
	}
	rfd := p[0]
	defer unix.Close(rfd)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	l := startTask(spec, uintptr(p[1]), false)
	_ = unix.Close(p[1])
	if l.err != nil {
		res.startErr = l.err
		return res
	}
	pidfd, err := unix.PidfdOpen(l.pid, 0)
	if err != nil {
		return res.abandon(l.pid, spec, err)
	}
	defer unix.Close(pidfd)
	cancelled, stopCancel, err := cancelFD(ctx)
	if err != nil {
		return res.abandon(l.pid, spec, err)
	}
	defer stopCancel()

	poll := res.startLimiter(l.pid, spec, nil)
	lines := newLineSplitter(sink)
	defer lines.release()
	fds := []unix.PollFd{
		{Fd: int32(rfd), Events: unix.POLLIN},
		{Fd: int32(pidfd), Events: unix.POLLIN},
		{Fd: int32(cancelled), Events: unix.POLLIN},
	}
	waitPolled(newStopper(&res, l.pid, spec), fds, lines, poll)
	res.ended(l.pid, wait(l.pid), poll, nil)
	drainPolled(fds[0], lines)
	return res
}

// abandon stops a task that cannot be watched (out of descriptors).
func (res *procResult) abandon(pid int, spec procSpec, err error) procResult {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	wait(pid)
	res.startErr = fmt.Errorf("watch %s: %w", spec.argv[0], err)
	return *res
}

// waitPolled waits until the task's main process has exited (fds: its
// output, its pidfd, ctx's eventfd), passing its output on to lines and
// stopping it on the way as ctx, the timeout and the memory poller (if
// any) say. It does not reap the process.
func waitPolled(s *stopper, fds []unix.PollFd, lines *lineSplitter, poll *rssPoller) {
	for {
		timeout := -1
		if d := s.next(time.Now()); d >= 0 {
			timeout = minTimeout(timeout, d)
		}
		if poll != nil && !s.res.oom {
			timeout = minTimeout(timeout, rssPollEvery)
		}
		for i := range fds {
			fds[i].Revents = 0
		}
		if _, err := unix.Poll(fds, timeout); errors.Is(err, unix.EINTR) {
			continue // revents are not to be trusted; the deadlines are rechecked
		} else if err != nil {
			// Cannot wait any more: end the task and report it.
			_ = syscall.Kill(-s.pid, syscall.SIGKILL)
			return
		}
		if fds[0].Revents != 0 && !lines.feed(fdReader(fds[0].Fd)) {
			fds[0].Fd = -1 // end of output: the task may still run
		}
		now := time.Now()
		if fds[2].Revents != 0 {
			fds[2].Fd = -1
			s.cancel(now)
		}
		s.tick(now)
		if poll != nil && !s.res.oom {
			select {
			case <-poll.exceeded:
				s.overMemory()
			default:
			}
		}
		if fds[1].Revents != 0 {
			return
		}
	}
}

// drainPolled passes on what is left in the output pipe; a process
// outside the group may hold it open, so it gives up after a while.
func drainPolled(fd unix.PollFd, lines *lineSplitter) {
	fds := []unix.PollFd{fd}
	drainUntil := time.Now().Add(2 * time.Second)
	for fds[0].Fd >= 0 {
		left := time.Until(drainUntil)
		if left <= 0 {
			break
		}
		n, err := unix.Poll(fds, minTimeout(-1, left))
		if err != nil && !errors.Is(err, unix.EINTR) {
			break
		}
		if n > 0 && !lines.feed(fdReader(fds[0].Fd)) {
			break
		}
	}
	lines.flush()
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
