package local_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// fakeProc makes a proc tree with boot id "boot-a" and the processes
// given (pid -> start ticks).
func fakeProc(t *testing.T, procs map[int]uint64) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{"sys/kernel/random/boot_id": "boot-a\n"}
	for pid, start := range procs {
		files[strconv.Itoa(pid)+"/stat"] = strconv.Itoa(pid) + " (aloft) S" + " 0" + " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 " + strconv.FormatUint(start, 10) + " 0\n"
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return root
}

// TestLocalLiveness: a job the executor holds is alive; an attempt whose
// claim names a process that is gone (pid missing or reused, another boot)
// ended as a reclaim, as did one never claimed that no executor holds; a
// claim without a process (a Docker job's) and other targets are unknown.
func TestLocalLiveness(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	e, err := local.New(st, local.Options{GPUs: []int{}, WorkDir: t.TempDir(), ProcRoot: fakeProc(t, map[int]uint64{100: 5000})})
	require.NoError(t, err)
	_, held := submit(t, e, st, "x1", "sleep", &orchestrator.TaskTemplate{Command: []string{"sleep", "30"}})
	defer func() { _ = e.Cancel(ctx, held); e.Wait() }()

	claimed := func(node string, p *batchrunner.ProcessID) engine.LiveAttempt {
		prefix := batchrunner.AttemptPrefix("x1", node, -1, 1)
		_, err := store.PutJSON(ctx, st, prefix+batchrunner.ClaimFile, batchrunner.ClaimRecord{JobID: "local-" + node, ClaimedAt: time.Unix(0, 0), Process: p}, store.PutOptions{})
		require.NoError(t, err)
		return engine.LiveAttempt{Node: node, Item: -1, Attempt: 1, Prefix: prefix, JobID: "local-" + node, Target: batchrunner.TargetLocal}
	}
	cases := []struct {
		name    string
		a       engine.LiveAttempt
		state   engine.VerdictState
		reclaim bool
	}{
		{"held", engine.LiveAttempt{JobID: held, Prefix: batchrunner.AttemptPrefix("x1", "sleep", -1, 1), Target: batchrunner.TargetLocal}, engine.Alive, false},
		{"process alive", claimed("a", &batchrunner.ProcessID{PID: 100, Start: 5000, BootID: "boot-a"}), engine.Alive, false},
		{"pid missing", claimed("b", &batchrunner.ProcessID{PID: 101, Start: 5000, BootID: "boot-a"}), engine.Ended, true},
		{"pid reused", claimed("c", &batchrunner.ProcessID{PID: 100, Start: 4000, BootID: "boot-a"}), engine.Ended, true},
		{"rebooted", claimed("d", &batchrunner.ProcessID{PID: 100, Start: 5000, BootID: "boot-b"}), engine.Ended, true},
		{"no process recorded", claimed("e", nil), engine.Unknown, false},
		{"never claimed", engine.LiveAttempt{JobID: "local-gone", Prefix: batchrunner.AttemptPrefix("x1", "f", -1, 1), Target: batchrunner.TargetLocal}, engine.Ended, true},
		{"no target recorded", engine.LiveAttempt{JobID: "local-old", Prefix: batchrunner.AttemptPrefix("x1", "h", -1, 1)}, engine.Ended, true},
		{"another target", engine.LiveAttempt{JobID: "aws-1", Prefix: batchrunner.AttemptPrefix("x1", "g", -1, 1), Target: batchrunner.TargetAWSBatch}, engine.Unknown, false},
	}
	var asked []engine.LiveAttempt
	for _, c := range cases {
		asked = append(asked, c.a)
	}
	vs, err := e.Liveness(ctx, asked)
	require.NoError(t, err)
	require.Len(t, vs, len(cases))
	for i, c := range cases {
		assert.Equal(t, c.state, vs[i].State, c.name)
		assert.Equal(t, c.reclaim, vs[i].Reclaim, c.name)
		if c.state == engine.Ended {
			assert.NotEmpty(t, vs[i].Reason, c.name)
		}
	}
	assert.Equal(t, batchrunner.TargetLocal, e.Target())
}
