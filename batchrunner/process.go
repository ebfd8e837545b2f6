package batchrunner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procSpec is one task process to run.
type procSpec struct {
	path     string // resolved argv[0]
	argv     []string
	dir      string
	env      []string
	timeout  time.Duration // 0: none
	memLimit int64         // bytes; 0: none
	memMode  MemoryLimit
	grace    time.Duration // SIGTERM to SIGKILL
	name     string        // for the cgroup's name
}

// procResult is how the task process ended.
type procResult struct {
	exitCode  int    // -1 unless it exited by itself
	signal    string // "SIGKILL" when a signal ended it
	timedOut  bool
	cancelled bool
	oom       bool
	peak      int64  // peak resident memory seen, bytes (0: not measured)
	limiter   string // how memory was bounded: "cgroup v1", "RSS polling"
	startErr  error  // the process never ran
}

// launched is what the starting goroutine reports.
type launched struct {
	pid int
	err error
	cg  memCgroup
}

// devNull is the task's standard input, opened once per process: a task
// reads nothing unless it opens its inputs.
var devNull = sync.OnceValues(func() (*os.File, error) { return os.Open(os.DevNull) })

// runProcessThreads runs the task in its own process group, with no shell,
// its output going to sink, under its timeout and memory limit, and kills
// the whole group when the task ends or must be stopped. The process is
// started and waited for on one locked OS thread: Pdeathsig fires when the
// thread that started the child exits, so that thread must outlive the
// child. The same thread is the one briefly placed in the task's memory
// cgroup, so the child is born inside it (no window where it runs
// unbounded). Its output is read by another goroutine, and a third watches
// the clock and ctx. On Linux runProcessPolled does the same on one thread.
//
// It forks with syscall.ForkExec and reaps with wait4 rather than through
// os/exec: a task is a path, argv, env and three descriptors, and for short
// tasks the start-up is most of the cost (no PATH search, /dev/null opened
// once, no pidfd bookkeeping).
func runProcessThreads(ctx context.Context, spec procSpec, sink *logSink) procResult {
	res := procResult{exitCode: -1}
	stdin, err := devNull()
	if err != nil {
		res.startErr = fmt.Errorf("open %s: %w", os.DevNull, err)
		return res
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		res.startErr = fmt.Errorf("make output pipe: %w", err)
		return res
	}
	defer pr.Close()
	attr := taskAttr(spec, stdin, pw.Fd())
	wantCgroup := wantsCgroup(spec)
	startedc := make(chan launched, 1)
	exitedc := make(chan syscall.WaitStatus, 1)
	go func() {
		runtime.LockOSThread()
		unlock := true
		var l launched
		if wantCgroup {
			cg, err := enterNewCgroup(spec.name, spec.memLimit)
			if err != nil && spec.memMode == MemoryCgroup {
				l.err = fmt.Errorf("memory limit: %w", err)
			}
			l.cg = cg
		}
		if l.err == nil {
			l.pid, l.err = syscall.ForkExec(spec.path, spec.argv, attr)
		}
		if l.cg != nil {
			// Leave the cgroup at once: only the child is to be bounded.
			if err := l.cg.leave(); err != nil {
				unlock = false // this thread dies with the goroutine
				if l.err == nil {
					_ = syscall.Kill(-l.pid, syscall.SIGKILL)
				}
			}
		}
		startedc <- l
		if l.err == nil {
			exitedc <- wait(l.pid)
		}
		if unlock {
			runtime.UnlockOSThread()
		}
	}()
	l := <-startedc
	runtime.KeepAlive(stdin)
	pw.Close()
	if l.err != nil {
		if l.cg != nil {
			l.cg.remove()
		}
		res.startErr = fmt.Errorf("start %s: %w", spec.argv[0], l.err)
		return res
	}
	pid := l.pid
	logDone := make(chan struct{})
	go func() {
		sink.consume(pr)
		close(logDone)
	}()

	var poll *rssPoller
	switch {
	case l.cg != nil:
		res.limiter = "cgroup v1"
	case spec.memLimit > 0 && spec.memMode != MemoryOff:
		poll = startRSSPoller(pid, spec.memLimit, 100*time.Millisecond)
		res.limiter = "RSS polling"
	}
	var overc <-chan struct{}
	if poll != nil {
		overc = poll.exceeded
	}
	var timeoutc <-chan time.Time
	if spec.timeout > 0 {
		t := time.NewTimer(spec.timeout)
		defer t.Stop()
		timeoutc = t.C
	}
	var killc <-chan time.Time
	donec := ctx.Done()
	terminate := func() {
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		if killc == nil {
			killc = time.After(spec.grace)
		}
	}
	var ws syscall.WaitStatus
	for exited := false; !exited; {
		select {
		case ws = <-exitedc:
			exited = true
		case <-timeoutc:
			timeoutc = nil
			res.timedOut = true
			terminate()
		case <-donec:
			donec = nil
			res.cancelled = true
			terminate()
		case <-overc:
			overc = nil
			res.oom = true
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		case <-killc:
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
	res.ended(pid, ws, poll)
	if l.cg != nil {
		l.cg.killAll()
		ooms, peak := l.cg.stats()
		res.peak = peak
		if ooms > 0 && (res.signal != "" || res.exitCode != 0) {
			res.oom = true
		}
		l.cg.remove()
	}
	select {
	case <-logDone:
	case <-time.After(2 * time.Second): // a process outside the group holds the pipe
		_ = pr.SetReadDeadline(time.Now())
		<-logDone
	}
	return res
}

// taskAttr is how a task starts: in the task's directory and environment
// (later entries win), reading stdin, its stdout and stderr both going to
// out, one descriptor, so that the combined output keeps its order.
func taskAttr(spec procSpec, stdin *os.File, out uintptr) *syscall.ProcAttr {
	return &syscall.ProcAttr{
		Dir: spec.dir, Env: dedupEnv(spec.env),
		Files: []uintptr{stdin.Fd(), out, out},
		Sys:   taskProcAttr(),
	}
}

// ended records how the task's main process ended, takes down what it
// left in its process group (the task is over when its main process is),
// and stops the RSS poller, if any, keeping the peak it saw.
func (res *procResult) ended(pid int, ws syscall.WaitStatus, poll *rssPoller) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	if ws.Signaled() {
		res.signal = signalName(ws.Signal())
	} else {
		res.exitCode = ws.ExitStatus()
	}
	if poll != nil {
		poll.stop()
		res.peak = poll.peak()
	}
}

// wantsCgroup reports whether the task is to be born in a memory cgroup.
func wantsCgroup(spec procSpec) bool {
	return spec.memLimit > 0 && (spec.memMode == MemoryAuto || spec.memMode == MemoryCgroup)
}

// wait reaps the process pid and returns how it ended.
func wait(pid int) syscall.WaitStatus {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			return ws
		}
	}
}

// dedupEnv keeps the last of several entries for one name, as os/exec
// does: the task's env and aloft's variables override the base.
func dedupEnv(env []string) []string {
	seen := make(map[string]bool, len(env))
	out := make([]string, len(env))
	n := len(out)
	for i := len(env) - 1; i >= 0; i-- {
		kv := env[i]
		name, _, ok := strings.Cut(kv, "=")
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		n--
		out[n] = kv
	}
	return out[n:]
}

// startFailureIsPermanent reports whether a start error will recur on retry
// (no such file, not executable, bad format).
func startFailureIsPermanent(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EACCES) ||
		errors.Is(err, syscall.ENOEXEC) || errors.Is(err, syscall.ENOTDIR)
}

var signalNames = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT", syscall.SIGILL: "SIGILL",
	syscall.SIGTRAP: "SIGTRAP", syscall.SIGABRT: "SIGABRT", syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE",
	syscall.SIGKILL: "SIGKILL", syscall.SIGUSR1: "SIGUSR1", syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR2: "SIGUSR2",
	syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM", syscall.SIGXCPU: "SIGXCPU",
	syscall.SIGXFSZ: "SIGXFSZ", syscall.SIGSYS: "SIGSYS",
}

func signalName(s syscall.Signal) string {
	if n, ok := signalNames[s]; ok {
		return n
	}
	return "signal " + strconv.Itoa(int(s))
}
