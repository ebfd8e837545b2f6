//go:build linux

package batchrunner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProcessRunners runs the same tasks through runProcessPolled (the
// default on Linux) and runProcessThreads (older kernels, other systems):
// both must end, report and log a task the same way.
func TestProcessRunners(t *testing.T) {
	cases := []struct {
		name     string
		script   string
		timeout  time.Duration
		grace    time.Duration
		cancel   time.Duration // cancel ctx after this long
		memLimit int64         // bytes, bounded by RSS polling
		signals  bool          // send this process SIGCHLD every millisecond: interrupted polls (EINTR) must not confuse the runner
		check    func(t *testing.T, res procResult, log string, took time.Duration)
	}{
		{name: "exit code and output in order", script: `echo one; echo two >&2; printf three; exit 3`,
			check: func(t *testing.T, res procResult, log string, _ time.Duration) {
				if res.exitCode != 3 || res.signal != "" || res.timedOut || res.cancelled {
					t.Errorf("result %+v, want exit code 3", res)
				}
				if log != "one\ntwo\nthree" {
					t.Errorf("log %q", log)
				}
			}},
		{name: "a line longer than the buffer", script: `head -c 70000 /dev/zero | tr '\0' x; echo; echo end`,
			check: func(t *testing.T, res procResult, log string, _ time.Duration) {
				if res.exitCode != 0 || len(log) != 70000+1+4 || !strings.HasSuffix(log, "x\nend\n") {
					t.Errorf("exit %d, log of %d bytes ending %q", res.exitCode, len(log), log[max(0, len(log)-8):])
				}
			}},
		{name: "timeout takes down the group", script: `sleep 30 & sleep 30`, timeout: 200 * time.Millisecond, grace: time.Second,
			check: func(t *testing.T, res procResult, _ string, took time.Duration) {
				if !res.timedOut || res.signal != "SIGTERM" {
					t.Errorf("result %+v, want timed out by SIGTERM", res)
				}
				if took > 5*time.Second { // the background sleep held the pipe until killed
					t.Errorf("took %v", took)
				}
			}},
		{name: "timeout of a task that printed, under a storm of signals", script: `echo hi; sleep 30`, timeout: 300 * time.Millisecond, grace: time.Second, signals: true,
			check: func(t *testing.T, res procResult, log string, took time.Duration) {
				if !res.timedOut || log != "hi\n" || took > 5*time.Second {
					t.Errorf("result %+v, log %q after %v, want timed out at once", res, log, took)
				}
			}},
		{name: "SIGKILL after the grace", script: `trap '' TERM; sleep 30`, timeout: 100 * time.Millisecond, grace: 200 * time.Millisecond,
			check: func(t *testing.T, res procResult, _ string, took time.Duration) {
				if !res.timedOut || res.signal != "SIGKILL" || took > 5*time.Second {
					t.Errorf("result %+v after %v, want timed out by SIGKILL", res, took)
				}
			}},
		{name: "cancel", script: `sleep 30`, cancel: 100 * time.Millisecond, grace: time.Second,
			check: func(t *testing.T, res procResult, _ string, took time.Duration) {
				if !res.cancelled || res.signal != "SIGTERM" || took > 5*time.Second {
					t.Errorf("result %+v after %v, want cancelled", res, took)
				}
			}},
		{name: "RSS over the limit", script: `x=$(head -c 60000000 /dev/zero | tr '\0' x); sleep 30`, memLimit: 20 << 20, grace: time.Second,
			check: func(t *testing.T, res procResult, _ string, took time.Duration) {
				if !res.oom || res.signal != "SIGKILL" || res.limiter != "RSS polling" || res.peak <= 20<<20 || took > 10*time.Second {
					t.Errorf("result %+v after %v, want killed for memory by RSS polling", res, took)
				}
			}},
		{name: "not found", script: "",
			check: func(t *testing.T, res procResult, _ string, _ time.Duration) {
				if res.startErr == nil || !startFailureIsPermanent(res.startErr) {
					t.Errorf("start error %v, want a permanent one", res.startErr)
				}
			}},
	}
	for _, polled := range []bool{true, false} {
		name := map[bool]string{true: "polled", false: "threads"}[polled]
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				if polled && !pidfdWorks() {
					t.Skip("no pidfd on this kernel")
				}
				ctx := context.Background()
				if c.cancel > 0 {
					var cancel func()
					ctx, cancel = context.WithCancel(ctx)
					time.AfterFunc(c.cancel, cancel)
				}
				spec := procSpec{path: "/bin/sh", argv: []string{"sh", "-c", c.script}, dir: t.TempDir(),
					env: []string{"PATH=/usr/bin:/bin", "X=1", "X=2"}, timeout: c.timeout, grace: c.grace, name: "t",
					memLimit: c.memLimit, memMode: MemoryPoll, threads: !polled}
				if c.script == "" {
					spec.path, spec.argv = filepath.Join(t.TempDir(), "missing"), []string{"missing"}
				}
				var out bytes.Buffer
				sink := newLogSink(filepath.Join(t.TempDir(), "log.txt"), &out, false)
				if c.signals {
					stop := make(chan struct{})
					defer close(stop)
					go func() {
						for {
							select {
							case <-stop:
								return
							case <-time.After(time.Millisecond):
								_ = syscall.Kill(os.Getpid(), syscall.SIGCHLD)
							}
						}
					}()
				}
				start := time.Now()
				res := runProcess(ctx, spec, sink)
				took := time.Since(start)
				sink.mu.Lock()
				log := string(sink.buf)
				sink.mu.Unlock()
				c.check(t, res, log, took)
			})
		}
	}
}

func TestDedupEnv(t *testing.T) {
	got := dedupEnv([]string{"A=1", "B=2", "A=3", "C=4", "B=5"})
	if want := "A=3 C=4 B=5"; strings.Join(got, " ") != want {
		t.Errorf("dedupEnv = %v, want %s", got, want)
	}
}
