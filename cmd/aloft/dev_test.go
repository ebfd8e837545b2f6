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

// TestDevServesDrops registers a launch plan with a trigger, serves the
// bucket with aloft dev, copies a file in and sees the run succeed.
func TestDevServesDrops(t *testing.T) {
	s := newSandbox(t)
	spec, _ := filepath.Abs("../../functions/testdata/dev.yaml")
	s.run(t, "register", spec, "--version", "v1", "--activate").check(t, exitOK)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"dev", "--store", s.store, "--sweep", "200ms"}, Stdio{Out: &bytes.Buffer{}, Err: &errb, Env: s.env})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(errb.String(), "serving") {
		if time.Now().After(deadline) {
			t.Fatalf("aloft dev did not start: %s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	dir := filepath.Join(s.store, "incoming", "lines")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x.txt"), []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(errb.String(), `msg="execution ended" execution=`) {
		if time.Now().After(deadline) {
			t.Fatalf("no run ended: %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	r := s.run(t, "executions", "list").check(t, exitOK)
	if !strings.Contains(r.out, "lines") || !strings.Contains(r.out, "succeeded") {
		t.Errorf("executions list:\n%s", r.out)
	}
}
