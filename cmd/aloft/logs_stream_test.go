package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
)

// countWriter counts what is written and keeps nothing.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestLogsStreams: aloft logs copies log.txt to stdout as it reads it; a
// large log is never held in memory whole (it was read whole, then written:
// 267 MB of heap for a 100 MB log). Not parallel: it reads the process's
// allocation counter, which other tests would move.
func TestLogsStreams(t *testing.T) {
	s := newSandbox(t)
	r := s.run(t, "run", s.write(t, "fail.yaml", failSpec)).check(t, exitFailed)
	id := execID(t, r.err)

	const size = 48 << 20
	logPath := filepath.Join(s.store, filepath.FromSlash(batchrunner.AttemptPrefix(id, "b", -1, 1)+batchrunner.LogFile))
	require.FileExists(t, logPath)
	line := bytes.Repeat([]byte("x"), 1023)
	line = append(line, '\n')
	f, err := os.Create(logPath)
	require.NoError(t, err)
	for written := 0; written < size; written += len(line) {
		_, err := f.Write(line)
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())

	var out countWriter
	var errb bytes.Buffer
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code := run(context.Background(), []string{"logs", id, "b", "--store", s.store}, Stdio{Out: &out, Err: &errb, Env: s.env})
	runtime.ReadMemStats(&after)
	require.Equal(t, exitOK, code, errb.String())
	assert.Equal(t, int64(size), out.n)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(size/4), "aloft logs allocated %d MiB for a %d MiB log", allocated>>20, size>>20)
}
