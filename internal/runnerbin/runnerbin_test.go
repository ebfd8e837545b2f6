package runnerbin

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGetFromSource builds the real runner for both architectures from the
// source tree (the test's working directory is inside it) and checks each
// is a static ELF for its machine.
func TestGetFromSource(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runner twice")
	}
	t.Setenv(FromSourceEnv, "1")
	for _, arch := range []string{"amd64", "arm64"} {
		b, err := Get(context.Background(), arch, "")
		require.NoError(t, err, "Get(%s)", arch)
		assert.NoError(t, Check(b, arch), "runner for %s", arch)
		other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[arch]
		assert.ErrorContains(t, Check(b, other), "ELF machine", "Check(%s runner, %s)", arch, other)
	}
}

// TestNoBuildUnlessAsked: inside the source tree, with nothing embedded or
// beside the test binary, Get refuses rather than running the go command.
func TestNoBuildUnlessAsked(t *testing.T) {
	if _, ok := embedded("amd64"); ok {
		t.Skip("this build embeds the runners (TestEmbedded covers it)")
	}
	t.Setenv(FromSourceEnv, "")
	_, err := Get(context.Background(), "amd64", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "make build")
	assert.Contains(t, err.Error(), "--runner PATH")
}

func TestFromSourceOutsideTheTree(t *testing.T) {
	if _, ok := embedded("amd64"); ok {
		t.Skip("this build embeds the runners")
	}
	t.Setenv(FromSourceEnv, "1")
	t.Chdir(t.TempDir())
	_, err := Get(context.Background(), "amd64", "")
	assert.ErrorContains(t, err, "not inside aloft's source tree")
}

func TestGetOverride(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "runner")
	require.NoError(t, os.WriteFile(bad, []byte("#!/bin/sh\necho hi\n"), 0o755))
	_, err := Get(context.Background(), "amd64", bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not an ELF executable")
	assert.Contains(t, err.Error(), bad)

	_, err = Get(context.Background(), "amd64", filepath.Join(dir, "missing"))
	assert.ErrorContains(t, err, "--runner")

	_, err = Get(context.Background(), "riscv64", "")
	assert.ErrorContains(t, err, "linux/amd64 and linux/arm64")
}

// TestCheckDynamic: a host binary with an interpreter must be refused.
func TestCheckDynamic(t *testing.T) {
	b, err := os.ReadFile("/bin/sh")
	require.NoError(t, err)
	assert.Error(t, Check(b, "amd64"))
	assert.Error(t, Check(b, "arm64"))
}

func TestModulePath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "go.mod")
	require.NoError(t, os.WriteFile(p, []byte("// c\nmodule \"example.com/x\"\n\ngo 1.26\n"), 0o644))
	m, err := modulePath(p)
	require.NoError(t, err)
	assert.Equal(t, "example.com/x", m)
}

// TestPath: --executor docker mounts a file; the binary Get finds (here
// built from source, in `make build` the embedded copy) is written once
// under the cache directory, executable, and found again by its digest.
func TestPath(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runner")
	}
	t.Setenv(FromSourceEnv, "1")
	cache := t.TempDir()
	p, err := Path(context.Background(), "amd64", "", cache)
	require.NoError(t, err)
	assert.Equal(t, cache, filepath.Dir(p))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, Check(b, "amd64"))

	again, err := Path(context.Background(), "amd64", "", cache)
	require.NoError(t, err)
	assert.Equal(t, p, again)
	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary files left behind")

	given := filepath.Join(cache, "mine")
	require.NoError(t, os.WriteFile(given, b, 0o755))
	got, err := Path(context.Background(), "amd64", given, cache)
	require.NoError(t, err)
	assert.Equal(t, given, got)
	_, err = Path(context.Background(), "amd64", filepath.Join(cache, "missing"), cache)
	assert.ErrorContains(t, err, "--runner")
}
