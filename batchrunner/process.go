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
	// threads runs the task with runProcessThreads even where
	// runProcessPolled would do (tests of the fallback).
	threads bool
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

// launched is how a start went.
type launched struct {
	pid   int
	err   error
	cg    memCgroup
	stuck bool // the thread could not leave the cgroup: it must end with its goroutine
}

// cgroupStats is what a memory cgroup says of its task.
type cgroupStats struct {
	oomKills int64 // processes the kernel killed for memory
	counted  bool  // the kernel counts oomKills (Linux 4.13 on)
	failures int64 // times usage hit the limit (reclaim may have saved it)
	peak     int64 // peak usage, bytes
}

// devNull is the task's standard input, opened once per process: a task
// reads nothing unless it opens its inputs.
var devNull = sync.OnceValues(func() (*os.File, error) { return os.Open(os.DevNull) })

// The two runners, runProcessThreads and runProcessPolled, go through the
// same steps, and share all but the waiting:
//
//	start  startTask forks the task on a locked OS thread, in a new memory
//	       cgroup if it is to have one; startLimiter starts RSS polling
//	       where there is no cgroup
//	pump   the task's output goes line by line to the logSink while the
//	       runner waits for the task's exit, ctx, the timeout and memory
//	kill   a stopper turns those events into SIGTERM, then SIGKILL after
//	       the grace, to the whole process group
//	wait   procResult.ended reaps what is left of the group and reads the
//	       cgroup's or the poller's verdict on memory
//
// runProcessThreads waits with goroutines and channels; runProcessPolled
// (Linux) in one poll(2) call on the calling goroutine.

// runProcessThreads runs the task in its own process group, with no shell,
// its output going to sink, under its timeout and memory limit, and kills
// the whole group when the task ends or must be stopped. The process is
// started and waited for on one locked OS thread: Pdeathsig fires when the
// thread that started the child exits, so that thread must outlive the
// child. The same thread is the one briefly placed in the task's memory
// cgroup, so the child is born inside it (no window where it runs
// unbounded). Its output is read by another goroutine, and the calling one
// watches the clock, ctx and memory.
//
// It forks with syscall.ForkExec and reaps with wait4 rather than through
// os/exec: a task is a path, argv, env and three descriptors, and for short
// tasks the start-up is most of the cost (no PATH search, /dev/null opened
// once, no pidfd bookkeeping).
func runProcessThreads(ctx context.Context, spec procSpec, sink *logSink) procResult {
	res := procResult{exitCode: -1}
	pr, pw, err := os.Pipe()
	if err != nil {
		res.startErr = fmt.Errorf("make output pipe: %w", err)
		return res
	}
	defer pr.Close()
	startedc := make(chan launched, 1)
	exitedc := make(chan syscall.WaitStatus, 1)
	go func() {
		runtime.LockOSThread()
		l := startTask(spec, pw.Fd(), wantsCgroup(spec))
		startedc <- l
		if l.err == nil {
			exitedc <- wait(l.pid)
		}
		if !l.stuck {
			runtime.UnlockOSThread()
		}
	}()
	l := <-startedc
	pw.Close()
	if l.err != nil {
		res.startErr = l.err
		return res
	}
	logDone := make(chan struct{})
	go func() {
		sink.consume(pr)
		close(logDone)
	}()
	poll := res.startLimiter(l.pid, spec, l.cg)
	res.ended(l.pid, waitThreads(ctx, newStopper(&res, l.pid, spec), exitedc, poll), poll, l.cg)
	select {
	case <-logDone:
	case <-time.After(2 * time.Second): // a process outside the group holds the pipe
		_ = pr.SetReadDeadline(time.Now())
		<-logDone
	}
	return res
}

// waitThreads waits for the task's exit on exitedc, stopping it on the
// way as ctx, the timeout and the memory poller (if any) say.
func waitThreads(ctx context.Context, s *stopper, exitedc <-chan syscall.WaitStatus, poll *rssPoller) syscall.WaitStatus {
	var overc <-chan struct{}
	if poll != nil {
		overc = poll.exceeded
	}
	donec := ctx.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var timerc <-chan time.Time
		if d := s.next(time.Now()); d >= 0 {
			timer.Reset(d)
			timerc = timer.C
		}
		select {
		case ws := <-exitedc:
			return ws
		case <-donec:
			donec = nil
			s.cancel(time.Now())
		case <-overc:
			overc = nil
			s.overMemory()
		case <-timerc:
		}
		s.tick(time.Now())
	}
}

// startTask forks the task, its stdout and stderr going to out, on the
// calling goroutine's locked OS thread, which is the Pdeathsig thread and
// must outlive the task. With inCgroup the thread first enters a new
// memory cgroup and leaves it right after the fork, so that only the child
// is bounded; should it fail to leave, the task is killed and the thread
// is stuck: the caller must not unlock it, so that it ends with its
// goroutine rather than go on forking other tasks into the cgroup.
func startTask(spec procSpec, out uintptr, inCgroup bool) launched {
	var l launched
	stdin, err := devNull()
	if err != nil {
		l.err = fmt.Errorf("open %s: %w", os.DevNull, err)
		return l
	}
	if inCgroup {
		cg, err := enterNewCgroup(spec.name, spec.memLimit)
		if err != nil && spec.memMode == MemoryCgroup {
			l.err = fmt.Errorf("start %s: memory limit: %w", spec.argv[0], err)
			return l
		}
		l.cg = cg
	}
	l.pid, err = syscall.ForkExec(spec.path, spec.argv, taskAttr(spec, stdin, out))
	runtime.KeepAlive(stdin)
	if err != nil {
		l.err = fmt.Errorf("start %s: %w", spec.argv[0], err)
	}
	if l.cg == nil {
		return l
	}
	if lerr := l.cg.leave(); lerr != nil {
		l.stuck = true
		if l.err == nil {
			_ = syscall.Kill(-l.pid, syscall.SIGKILL)
		}
	}
	if l.err != nil {
		l.cg.remove()
		l.cg = nil
	}
	return l
}

// startLimiter records how the task's memory is bounded, and starts the
// RSS poller where it is to be polled.
func (res *procResult) startLimiter(pid int, spec procSpec, cg memCgroup) *rssPoller {
	switch {
	case cg != nil:
		res.limiter = "cgroup v1"
	case spec.memLimit > 0 && spec.memMode != MemoryOff:
		res.limiter = "RSS polling"
		return startRSSPoller(pid, spec.memLimit, rssPollEvery)
	}
	return nil
}

// rssPollEvery is how often the RSS poller samples the task's group.
const rssPollEvery = 100 * time.Millisecond

// stopper stops a task that must stop: SIGTERM to its process group at
// the timeout or when ctx is cancelled, SIGKILL once the grace is over,
// and SIGKILL at once when it is over its memory. The runner calls it on
// each event and asks it for the next deadline.
type stopper struct {
	res      *procResult
	pid      int
	grace    time.Duration
	deadline time.Time // the timeout; zero: none, or passed
	killAt   time.Time // the end of the grace; zero: none pending
	killed   bool      // SIGKILL was sent after a grace
}

func newStopper(res *procResult, pid int, spec procSpec) *stopper {
	s := &stopper{res: res, pid: pid, grace: spec.grace}
	if spec.timeout > 0 {
		s.deadline = time.Now().Add(spec.timeout)
	}
	return s
}

// next is how long until the next deadline, or -1 when there is none.
func (s *stopper) next(now time.Time) time.Duration {
	d := time.Duration(-1)
	for _, t := range []time.Time{s.deadline, s.killAt} {
		if !t.IsZero() && (d < 0 || t.Sub(now) < d) {
			d = max(t.Sub(now), 0)
		}
	}
	return d
}

// cancel stops the task because ctx is done.
func (s *stopper) cancel(now time.Time) {
	s.res.cancelled = true
	s.terminate(now)
}

// overMemory kills the task at once for its memory.
func (s *stopper) overMemory() {
	s.res.oom = true
	_ = syscall.Kill(-s.pid, syscall.SIGKILL)
}

// tick acts on the deadlines that have passed by now.
func (s *stopper) tick(now time.Time) {
	if !s.deadline.IsZero() && !now.Before(s.deadline) {
		s.deadline = time.Time{}
		s.res.timedOut = true
		s.terminate(now)
	}
	if !s.killAt.IsZero() && !now.Before(s.killAt) {
		s.killAt, s.killed = time.Time{}, true // the grace is over
		_ = syscall.Kill(-s.pid, syscall.SIGKILL)
	}
}

func (s *stopper) terminate(now time.Time) {
	_ = syscall.Kill(-s.pid, syscall.SIGTERM)
	if s.killAt.IsZero() && !s.killed {
		s.killAt = now.Add(s.grace)
	}
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

// ended records how the task's main process ended (ws), takes down what
// it left in its process group (the task is over when its main process
// is), stops the RSS poller, if any, and removes the memory cgroup, if
// any, keeping the peak memory either saw and their verdict on it. A
// process the kernel killed in the cgroup for memory makes the attempt
// out of memory even when the main process exited 0 (a pipeline's other
// stages hide a killed stage's failure).
func (res *procResult) ended(pid int, ws syscall.WaitStatus, poll *rssPoller, cg memCgroup) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	if ws.Signaled() {
		res.signal = signalName(ws.Signal())
	} else {
		res.exitCode = ws.ExitStatus()
	}
	if poll != nil {
		poll.stop()
		res.peak = poll.peak()
		select {
		case <-poll.exceeded:
			res.oom = true // the poller killed the group
		default:
		}
	}
	if cg != nil {
		cg.killAll()
		st := cg.stats()
		res.peak = st.peak
		// Without the kernel's count of OOM kills, hitting the limit
		// (which reclaiming page cache also does) counts only when the
		// task failed.
		if st.oomKills > 0 || !st.counted && st.failures > 0 && (res.signal != "" || res.exitCode != 0) {
			res.oom = true
		}
		cg.remove()
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
