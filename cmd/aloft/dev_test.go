package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDevUsage(t *testing.T) {
	s := newSandbox(t)
	for _, args := range [][]string{
		{"dev", "extra"},
		{"dev", "--sweep", "1ms"},
		{"dev", "--aws-endpoint", "http://127.0.0.1:4566"},
		{"dev", "--queue-url", "http://q"},
	} {
		r := aloft(t, s.env, args...)
		if r.code != exitUsage || !strings.Contains(r.err, "aloft dev:") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.err)
		}
	}
}

// syncBuffer is a bytes.Buffer safe to read while the command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// devSession is aloft dev running in-process for a test.
type devSession struct {
	t        *testing.T
	errb     *syncBuffer
	done     chan int
	cancel   context.CancelFunc
	deadline time.Time
}

// startDev runs aloft dev with args until the test ends or stop is
// called, and waits until it serves.
func startDev(t *testing.T, env Env, limit time.Duration, args ...string) *devSession {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &devSession{t: t, errb: &syncBuffer{}, done: make(chan int, 1), cancel: cancel, deadline: time.Now().Add(limit)}
	go func() {
		d.done <- run(ctx, append([]string{"dev"}, args...), Stdio{Out: &bytes.Buffer{}, Err: d.errb, Env: env})
	}()
	t.Cleanup(cancel)
	d.waitFor("serving", "aloft dev did not start")
	return d
}

// waitFor waits until aloft dev has printed text.
func (d *devSession) waitFor(text, what string) {
	d.t.Helper()
	for !strings.Contains(d.errb.String(), text) {
		if time.Now().After(d.deadline) {
			d.t.Fatalf("%s: %s", what, d.errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends aloft dev and checks it exits 0.
func (d *devSession) stop() {
	d.t.Helper()
	d.cancel()
	if code := <-d.done; code != exitOK {
		d.t.Fatalf("exit %d: %s", code, d.errb.String())
	}
}

// runEnded is what aloft dev prints when an execution ends.
const runEnded = `msg="execution ended" execution=`

// TestDevServesDrops registers a launch plan with a trigger, serves the
// bucket with aloft dev, copies a file in and sees the run succeed.
func TestDevServesDrops(t *testing.T) {
	s := newSandbox(t)
	spec, _ := filepath.Abs("../../functions/localplane/testdata/dev.yaml")
	s.run(t, "register", spec, "--version", "v1", "--activate").check(t, exitOK)
	dev := startDev(t, s.env, 30*time.Second, "--store", s.store, "--sweep", "200ms")
	dir := filepath.Join(s.store, "incoming", "lines")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x.txt"), []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dev.waitFor(runEnded, "no run ended")
	dev.stop()
	r := s.run(t, "executions", "list").check(t, exitOK)
	if !strings.Contains(r.out, "lines") || !strings.Contains(r.out, "succeeded") {
		t.Errorf("executions list:\n%s", r.out)
	}
}
