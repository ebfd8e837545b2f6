//go:build linux

package batchrunner

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProcessRunners runs the same tasks through runProcessPolled (the
// default on Linux) and runProcessThreads (older kernels, other systems):
// both must end, report and log a task the same way.
func TestProcessRunners(t *testing.T) {
	// Deadlines are generous and bounds loose: on a loaded machine a shell
	// may take a second to start, and a task that was not stopped would
	// run for 30s.
	const slow = 20 * time.Second
	cases := []struct {
		name     string
		script   string
		timeout  time.Duration
		grace    time.Duration
		cancel   string // cancel ctx once the task has printed this line
		memLimit int64  // bytes, bounded by RSS polling
		signals  bool   // send this process SIGCHLD every millisecond: interrupted polls (EINTR) must not confuse the runner
		check    func(t *testing.T, res procResult, log string, took time.Duration)
	}{
		{name: "exit code and output in order", script: `echo one; echo two >&2; printf three; exit 3`,
			check: func(t *testing.T, res procResult, log string, _ time.Duration) {
				assert.Equal(t, 3, res.exitCode)
				assert.Empty(t, res.signal)
				assert.False(t, res.timedOut || res.cancelled, "timed out or cancelled: %+v", res)
				assert.Equal(t, "one\ntwo\nthree", log)
			}},
		{name: "a line longer than the buffer", script: `head -c 70000 /dev/zero | tr '\0' x; echo; echo end`,
			check: func(t *testing.T, res procResult, log string, _ time.Duration) {
				assert.Equal(t, 0, res.exitCode)
				assert.Len(t, log, 70000+1+4)
				assert.True(t, strings.HasSuffix(log, "x\nend\n"), "log ends %q", log[max(0, len(log)-8):])
			}},
		{name: "timeout takes down the group", script: `sleep 30 & sleep 30`, timeout: 200 * time.Millisecond, grace: time.Second,
			check: func(t *testing.T, res procResult, _ string, took time.Duration) {
				assert.True(t, res.timedOut, "%+v", res)
				assert.Equal(t, "SIGTERM", res.signal)
				assert.Less(t, took, slow, "the background sleep held the pipe until killed")
			}},
		{name: "timeout of a task that printed, under a storm of signals", script: `echo hi; sleep 30`, timeout: 3 * time.Second, grace: time.Second, signals: true,
			check: func(t *testing.T, res procResult, log string, took time.Duration) {
				assert.True(t, res.timedOut, "%+v", res)
				assert.Equal(t, "hi\n", log)
				assert.Less(t, took, slow)
			}},
		{name: "SIGKILL after the grace", script: `trap '' TERM; echo ready; sleep 30`, timeout: 3 * time.Second, grace: 200 * time.Millisecond,
			check: func(t *testing.T, res procResult, log string, took time.Duration) {
				require.Equal(t, "ready\n", log, "the trap was not set before the timeout")
				assert.True(t, res.timedOut, "%+v", res)
				assert.Equal(t, "SIGKILL", res.signal)
				assert.Less(t, took, slow)
			}},
		{name: "cancel", script: `echo started; sleep 30`, cancel: "started\n", grace: time.Second,
			check: func(t *testing.T, res procResult, _ string, took time.Duration) {
				assert.True(t, res.cancelled, "%+v", res)
				assert.Equal(t, "SIGTERM", res.signal)
				assert.Less(t, took, slow)
			}},
		{name: "RSS over the limit", script: `x=$(head -c 60000000 /dev/zero | tr '\0' x); sleep 30`, memLimit: 20 << 20, grace: time.Second,
			check: func(t *testing.T, res procResult, _ string, took time.Duration) {
				assert.True(t, res.oom, "%+v", res)
				assert.Equal(t, "SIGKILL", res.signal)
				assert.Equal(t, "RSS polling", res.limiter)
				assert.Greater(t, res.peak, int64(20<<20))
				assert.Less(t, took, slow)
			}},
		{name: "not found", script: "",
			check: func(t *testing.T, res procResult, _ string, _ time.Duration) {
				require.Error(t, res.startErr)
				assert.True(t, startFailureIsPermanent(res.startErr), "start error %v, want a permanent one", res.startErr)
			}},
	}
	for _, polled := range []bool{true, false} {
		name := map[bool]string{true: "polled", false: "threads"}[polled]
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				if polled && !pidfdWorks() {
					t.Skip("no pidfd on this kernel")
				}
				t.Parallel()
				ctx := context.Background()
				var out io.Writer = io.Discard
				if c.cancel != "" {
					var cancel func()
					ctx, cancel = context.WithCancel(ctx)
					defer cancel()
					out = cancelOn{line: c.cancel, cancel: cancel}
				}
				spec := procSpec{path: "/bin/sh", argv: []string{"sh", "-c", c.script}, dir: t.TempDir(),
					env: []string{"PATH=/usr/bin:/bin", "X=1", "X=2"}, timeout: c.timeout, grace: c.grace, name: "t",
					memLimit: c.memLimit, memMode: MemoryPoll, threads: !polled}
				if c.script == "" {
					spec.path, spec.argv = filepath.Join(t.TempDir(), "missing"), []string{"missing"}
				}
				sink := newLogSink(filepath.Join(t.TempDir(), "log.txt"), out, false)
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

// cancelOn is a task's log writer that cancels when the task prints line.
type cancelOn struct {
	line   string
	cancel func()
}

func (c cancelOn) Write(b []byte) (int, error) {
	if string(b) == c.line {
		c.cancel()
	}
	return len(b), nil
}

func TestDedupEnv(t *testing.T) {
	got := dedupEnv([]string{"A=1", "B=2", "A=3", "C=4", "B=5"})
	assert.Equal(t, []string{"A=3", "C=4", "B=5"}, got)
}
