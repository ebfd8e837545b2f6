package batchrunner_test

import (
	"strings"
	"testing"

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

func TestRunMemoryLimit(t *testing.T) {
	t.Parallel()
	for _, mode := range []batchrunner.MemoryLimit{batchrunner.MemoryCgroup, batchrunner.MemoryPoll} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			opt := batchrunner.RunOptions{Memory: mode}

			r := run(t, st, attempt(t, st, allocTask(t, "50"), nil), opt)
			if r.f != nil && r.f.Kind == orchestrator.ErrSystem && strings.Contains(r.f.Message, "memory limit") {
				t.Skipf("no memory cgroup here: %s", r.f.Message)
			}
			r.ok(t)

			f := run(t, st, attempt(t, st, allocTask(t, "400"), nil), opt).failed(t)
			f = wantKind(t, f, orchestrator.ErrOOM)
			if !strings.HasPrefix(f.Message, "out of memory: exceeded 200Mi limit (peak ") {
				t.Errorf("message %q", f.Message)
			}
			if f.Signal != "SIGKILL" || f.PeakRSS < 150<<20 {
				t.Errorf("signal %q peak %d", f.Signal, f.PeakRSS)
			}
			t.Logf("%s: %s", mode, f.Message)
		})
	}
}
