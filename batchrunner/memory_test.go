package batchrunner_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
)

// allocTask holds mib MiB of touched memory for a moment, under a 200Mi limit.
func allocTask(t *testing.T, mib string) orchestrator.TaskTemplate {
	return orchestrator.TaskTemplate{
		Command:   []string{self(t), mib},
		Env:       map[string]string{helperEnv: "alloc"},
		Resources: orchestrator.Resources{MemoryBytes: 200 << 20},
	}
}

// skipWithoutCgroup skips a cgroup case where no memory cgroup can be made
// (the attempt then fails with a system error naming the memory limit).
func skipWithoutCgroup(t *testing.T, mode batchrunner.MemoryLimit, r result) {
	t.Helper()
	if mode == batchrunner.MemoryCgroup && r.f != nil && r.f.Kind == orchestrator.ErrSystem && strings.Contains(r.f.Message, "memory limit") {
		t.Skipf("no memory cgroup here: %s", r.f.Message)
	}
}

// eachMemoryMode runs test, in parallel, for a memory cgroup and for RSS
// polling.
func eachMemoryMode(t *testing.T, test func(t *testing.T, mode batchrunner.MemoryLimit)) {
	t.Parallel()
	for _, mode := range []batchrunner.MemoryLimit{batchrunner.MemoryCgroup, batchrunner.MemoryPoll} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			test(t, mode)
		})
	}
}

func TestRunMemoryLimit(t *testing.T) {
	eachMemoryMode(t, func(t *testing.T, mode batchrunner.MemoryLimit) {
		st := newStore(t)
		opt := batchrunner.RunOptions{Memory: mode}

		r := run(t, st, attempt(t, st, allocTask(t, "50"), nil), opt)
		skipWithoutCgroup(t, mode, r)
		r.ok(t)

		f := run(t, st, attempt(t, st, allocTask(t, "400"), nil), opt).failed(t)
		f = wantKind(t, f, orchestrator.ErrOOM)
		assert.True(t, strings.HasPrefix(f.Message, "out of memory: exceeded 200Mi limit (peak "), "message %q", f.Message)
		assert.Equal(t, "SIGKILL", f.Signal)
		assert.GreaterOrEqual(t, f.PeakRSS, int64(150<<20))
		t.Logf("%s: %s", mode, f.Message)
	})
}

// TestRunMemoryKillInPipeline: the kernel (or the poller) kills a stage of
// a pipeline for memory while the pipeline's last stage, and so the task,
// exits 0. The attempt is out of memory all the same, not a success that
// would be cached.
func TestRunMemoryKillInPipeline(t *testing.T) {
	eachMemoryMode(t, func(t *testing.T, mode batchrunner.MemoryLimit) {
		st := newStore(t)
		task := orchestrator.TaskTemplate{
			// tail keeps a line-less input whole: 500 MB it cannot hold.
			Command:   []string{"sh", "-c", "head -c 500M /dev/zero | tail | wc -c"},
			Resources: orchestrator.Resources{MemoryBytes: 50 << 20},
		}
		r := run(t, st, attempt(t, st, task, nil), batchrunner.RunOptions{Memory: mode})
		skipWithoutCgroup(t, mode, r)
		f := wantKind(t, r.failed(t), orchestrator.ErrOOM)
		require.True(t, strings.HasPrefix(f.Message, "out of memory: exceeded 50Mi limit (peak "), "message %q", f.Message)
		t.Logf("%s: %s (exit code %d, signal %q)", mode, f.Message, f.ExitCode, f.Signal)
	})
}
