package runnerbin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGetFromSource builds the real runner for both architectures from the
// source tree (the test's working directory is inside it) and checks each
// is a static ELF for its machine.
func TestGetFromSource(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runner twice")
	}
	for _, arch := range []string{"amd64", "arm64"} {
		b, err := Get(context.Background(), arch, "")
		if err != nil {
			t.Fatalf("Get(%s): %v", arch, err)
		}
		if err := Check(b, arch); err != nil {
			t.Errorf("runner for %s: %v", arch, err)
		}
		other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[arch]
		if err := Check(b, other); err == nil || !strings.Contains(err.Error(), "ELF machine") {
			t.Errorf("Check(%s runner, %s) = %v, want a machine mismatch", arch, other, err)
		}
	}
}

func TestGetOverride(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "runner")
	if err := os.WriteFile(bad, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Get(context.Background(), "amd64", bad)
	if err == nil || !strings.Contains(err.Error(), "not an ELF executable") || !strings.Contains(err.Error(), bad) {
		t.Errorf("Get(script) = %v, want a not-ELF error naming the file", err)
	}
	_, err = Get(context.Background(), "amd64", filepath.Join(dir, "missing"))
	if err == nil || !strings.Contains(err.Error(), "--runner") {
		t.Errorf("Get(missing) = %v, want an error about --runner", err)
	}
	_, err = Get(context.Background(), "riscv64", "")
	if err == nil || !strings.Contains(err.Error(), "linux/amd64 and linux/arm64") {
		t.Errorf("Get(riscv64) = %v", err)
	}
}

// TestCheckDynamic: the test binary itself is usually dynamically linked
// or at least a real ELF; a host binary with an interpreter must be refused.
func TestCheckDynamic(t *testing.T) {
	for _, p := range []string{"/bin/sh", "/usr/bin/env"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if err := Check(b, "amd64"); err == nil {
			t.Errorf("Check(%s) accepted a host binary", p)
		}
		return
	}
	t.Skip("no host binary to read")
}

func TestModulePath(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "go.mod")
	if err := os.WriteFile(p, []byte("// c\nmodule \"example.com/x\"\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err := modulePath(p); err != nil || m != "example.com/x" {
		t.Errorf("modulePath = %q, %v", m, err)
	}
}
