package local_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner/local"
)

// TestNewRemovesStaleScratch: a new executor removes the scratch
// directories of runners that are gone (killed with -9), not those of
// live ones.
func TestNewRemovesStaleScratch(t *testing.T) {
	t.Parallel()
	gone := exec.Command("true")
	require.NoError(t, gone.Run())
	work := t.TempDir()
	stale := filepath.Join(work, "aloft-pid"+strconv.Itoa(gone.Process.Pid)+"-x1-fit-123")
	live := filepath.Join(work, "aloft-pid"+strconv.Itoa(os.Getpid())+"-x2-fit-456")
	for _, d := range []string{stale, live} {
		require.NoError(t, os.MkdirAll(filepath.Join(d, "inputs"), 0o777))
	}
	_, err := local.New(newStore(t), local.Options{WorkDir: work, GPUs: []int{}})
	require.NoError(t, err)
	assert.NoDirExists(t, stale)
	assert.DirExists(t, live)
}
