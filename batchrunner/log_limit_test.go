package batchrunner_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// TestRunLogLimit: past RunOptions.LogLimit, log.txt keeps the first and
// the last half of the limit with a line between saying what was dropped,
// whether the log is held in memory or in a local file (KeepWorkDir).
func TestRunLogLimit(t *testing.T) {
	t.Parallel()
	var all strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&all, "line %d\n", i)
	}
	full := all.String()
	const limit = 1001
	head, tail := full[:limit-limit/2], full[len(full)-limit/2:]
	cut := fmt.Sprintf("[aloft: %d bytes of output dropped here; log.txt keeps the first %d and the last %d]\n",
		len(full)-limit, len(head), len(tail))
	if !strings.HasSuffix(head, "\n") {
		cut = "\n" + cut
	}
	cases := []struct {
		name  string
		limit int64
		keep  bool
		want  string
	}{
		{name: "in memory", limit: limit, want: head + cut + tail},
		{name: "in a file", limit: limit, keep: true, want: head + cut + tail},
		{name: "under the limit", limit: int64(len(full)), want: full},
		{name: "default limit", want: full},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			prefix := attempt(t, st, orchestrator.TaskTemplate{
				Command: []string{"sh", "-c", `i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done`},
			}, nil)
			run(t, st, prefix, batchrunner.RunOptions{LogLimit: c.limit, KeepWorkDir: c.keep, WorkDir: t.TempDir()}).ok(t)
			got, _, err := store.ReadAll(context.Background(), st, prefix+batchrunner.LogFile)
			require.NoError(t, err)
			assert.Equal(t, c.want, string(got))
		})
	}
}
