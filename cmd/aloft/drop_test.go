package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDropFolderExists is issue 14's sixth finding: the README's drop step
// (cp into .aloft/bucket/incoming/NAME/, no mkdir) works after aloft dev
// starts and after register --activate of a plan with a trigger.
func TestDropFolderExists(t *testing.T) {
	s := newSandbox(t)
	dev := startDev(t, s.env, 30*time.Second, "--store", s.store, "--sweep", "200ms", "--quiet-period", "300ms")
	assert.DirExists(t, filepath.Join(s.store, "incoming"), "aloft dev makes the drop folder")

	spec, err := filepath.Abs("../../functions/localplane/testdata/dev.yaml")
	require.NoError(t, err)
	s.run(t, "register", spec, "--version", "v1", "--activate").check(t, exitOK)
	dir := filepath.Join(s.store, "incoming", "lines")
	require.DirExists(t, dir, "registering a plan with a trigger makes its drop folder")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.txt"), []byte("a\nb\n"), 0o644))
	dev.waitFor(runEnded, "no run ended")
	dev.stop()
	assert.Equal(t, 1, strings.Count(dev.errb.String(), runEnded), "one run for one file")
}

// TestRegisterMakesDropFolder: a plain register makes it too.
func TestRegisterMakesDropFolder(t *testing.T) {
	s := newSandbox(t)
	s.run(t, "register", diabetesSpec, "--version", "v1").check(t, exitOK)
	assert.DirExists(t, filepath.Join(s.store, "incoming", "diabetes"))
}

func TestDevQuietPeriodUsage(t *testing.T) {
	s := newSandbox(t)
	r := aloft(t, s.env, "dev", "--quiet-period", "10ms")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, "--quiet-period 10ms: want at least 100ms")
}
