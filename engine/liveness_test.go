package engine_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// localQueue is a queueDispatcher whose jobs run on the local target.
type localQueue struct{ queueDispatcher }

func (*localQueue) Target() string { return batchrunner.TargetLocal }

// scriptedLiveness answers every attempt with one verdict and records what
// it was asked.
type scriptedLiveness struct {
	mu      sync.Mutex
	verdict engine.Verdict
	asked   [][]engine.LiveAttempt
}

func (l *scriptedLiveness) Liveness(_ context.Context, as []engine.LiveAttempt) ([]engine.Verdict, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, as)
	out := make([]engine.Verdict, len(as))
	for i := range out {
		out[i] = l.verdict
	}
	return out, nil
}

// livenessFixture is an engine over a local-target queue with a settable
// clock and a scripted Liveness.
type livenessFixture struct {
	st  store.Store
	d   *localQueue
	l   *scriptedLiveness
	eng *engine.Engine
	now time.Time
}

func newLivenessFixture(t *testing.T) *livenessFixture {
	t.Helper()
	st, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	require.NoError(t, err)
	f := &livenessFixture{st: st, d: &localQueue{}, l: &scriptedLiveness{}, now: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	f.eng, err = engine.New(engine.Config{Store: st, Dispatcher: f.d, Liveness: f.l,
		NewID: func() string { return "live1" }, Now: func() time.Time { return f.now }})
	require.NoError(t, err)
	return f
}

func (f *livenessFixture) sweep(t *testing.T, ref engine.Ref) orchestrator.State {
	t.Helper()
	s, err := f.eng.Sweep(context.Background(), ref, nil)
	require.NoError(t, err)
	return s
}

// TestSweepAsksLivenessOnlyPastTheGrace: attempts record their target; a
// sweep asks about attempts older than the grace period (90 s) only, and
// an alive job changes nothing.
func TestSweepAsksLivenessOnlyPastTheGrace(t *testing.T) {
	f := newLivenessFixture(t)
	ref, err := f.eng.Start(context.Background(), compile(t, "testdata/one.yaml", "one"), nil, engine.StartOptions{Swept: true})
	require.NoError(t, err)
	s := f.sweep(t, ref)
	require.Equal(t, batchrunner.TargetLocal, s.Nodes[0].Target, "the attempt records its target")
	f.l.verdict = engine.Verdict{State: engine.Alive}
	f.now = f.now.Add(60 * time.Second)
	f.sweep(t, ref)
	assert.Empty(t, f.l.asked, "asked within the grace")
	f.now = f.now.Add(31 * time.Second)
	s = f.sweep(t, ref)
	require.Len(t, f.l.asked, 1)
	a := f.l.asked[0][0]
	assert.Equal(t, engine.LiveAttempt{Ref: ref, Node: "say", Item: -1, Attempt: 1, Prefix: batchrunner.AttemptPrefix(ref.Exec, "say", -1, 1),
		JobID: "job-1", Target: batchrunner.TargetLocal, Since: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}, a)
	assert.Equal(t, orchestrator.Queued, s.Nodes[0].Phase, "an alive job changes nothing")
}

// TestSweepReclaimsUpToTheSystemRetryLimit: a job that ended without a
// result as a reclaim becomes a new attempt that spends no retries, until
// MaxSystemRetries reclaims fail the node.
func TestSweepReclaimsUpToTheSystemRetryLimit(t *testing.T) {
	f := newLivenessFixture(t)
	ref, err := f.eng.Start(context.Background(), compile(t, "testdata/one.yaml", "one"), nil, engine.StartOptions{Swept: true})
	require.NoError(t, err)
	f.sweep(t, ref)
	f.l.verdict = engine.Verdict{State: engine.Ended, Reclaim: true, Reason: "process 42 is gone"}
	var s orchestrator.State
	for i := 1; i <= orchestrator.MaxSystemRetries+1; i++ {
		f.now = f.now.Add(10 * time.Minute) // past the grace and any backoff
		s = f.sweep(t, ref)
		require.Equal(t, i, s.Nodes[0].SysErrs, "reclaim %d", i)
		assert.Zero(t, s.Nodes[0].UserErrs, "reclaims spend no retries")
		assert.Contains(t, s.Nodes[0].Err, "reclaimed: process 42 is gone")
		if i <= orchestrator.MaxSystemRetries {
			f.now = f.now.Add(10 * time.Minute)
			s = f.sweep(t, ref) // the backoff elapsed: the next attempt
			require.Equal(t, orchestrator.Queued, s.Nodes[0].Phase, "attempt %d", i+1)
		}
	}
	assert.Equal(t, orchestrator.ExecFailed, s.Phase)
	assert.Equal(t, orchestrator.MaxSystemRetries+1, s.Nodes[0].Attempt)
	assert.Equal(t, orchestrator.MaxSystemRetries+1, f.d.n, "one job per attempt")
}

// TestSweepFailsAJobThatEndedWithoutAResult: an ended job that is no
// reclaim fails its attempt as a user error (spending a retry); a result
// the attempt wrote meanwhile wins over the verdict.
func TestSweepFailsAJobThatEndedWithoutAResult(t *testing.T) {
	f := newLivenessFixture(t)
	ref, err := f.eng.Start(context.Background(), compile(t, "testdata/one.yaml", "one"), nil, engine.StartOptions{Swept: true})
	require.NoError(t, err)
	f.sweep(t, ref)
	f.l.verdict = engine.Verdict{State: engine.Ended, Reason: "container exited 1"}
	f.now = f.now.Add(2 * time.Minute)
	s := f.sweep(t, ref)
	assert.Equal(t, 1, s.Nodes[0].UserErrs)
	assert.Contains(t, s.Nodes[0].Err, "user: container exited 1")

	f.now = f.now.Add(2 * time.Minute)
	s = f.sweep(t, ref) // attempt 2 dispatched after its backoff
	require.Equal(t, 2, s.Nodes[0].Attempt)
	jobs, ids := f.d.take()
	require.NotEmpty(t, jobs)
	j := jobs[len(jobs)-1]
	require.NoError(t, batchrunner.Run(context.Background(), f.st, j.Prefix, batchrunner.RunOptions{JobID: ids[len(ids)-1], WorkDir: t.TempDir(), Memory: batchrunner.MemoryOff}))
	f.now = f.now.Add(2 * time.Minute)
	s = f.sweep(t, ref)
	assert.Equal(t, orchestrator.ExecSucceeded, s.Phase, "the result wins over the ended verdict")
}

// TestDevSweepReclaimsTheAttemptOfAKilledProcess reproduces an execution
// left running by an `aloft dev` killed with -9 while its runner ran an
// attempt: without liveness a new sweep leaves it running forever; with
// the local adapter the attempt is reclaimed and the run finishes.
func TestDevSweepReclaimsTheAttemptOfAKilledProcess(t *testing.T) {
	ctx := context.Background()
	st, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	require.NoError(t, err)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	// The first dev dispatched the attempt and its runner claimed it...
	first, err := engine.New(engine.Config{Store: st, Dispatcher: &localQueue{}, NewID: func() string { return "dead1" }, Now: clock})
	require.NoError(t, err)
	ref, err := first.Start(ctx, compile(t, "testdata/one.yaml", "one"), nil, engine.StartOptions{Swept: true})
	require.NoError(t, err)
	_, err = first.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	// ...from a process that was then killed with -9.
	dead := exec.Command("sleep", "60")
	require.NoError(t, dead.Start())
	id, err := batchrunner.ProcFS{}.Identify(dead.Process.Pid)
	require.NoError(t, err)
	require.NoError(t, dead.Process.Signal(syscall.SIGKILL))
	_ = dead.Wait()
	prefix := batchrunner.AttemptPrefix(ref.Exec, "say", -1, 1)
	_, err = store.PutJSON(ctx, st, prefix+batchrunner.ClaimFile, batchrunner.ClaimRecord{JobID: "job-1", ClaimedAt: now, Process: &id}, store.PutOptions{IfAbsent: true})
	require.NoError(t, err)
	now = now.Add(2 * time.Minute)

	// Today's bug: a sweep without liveness leaves it running.
	s, err := first.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecRunning, s.Phase, "without liveness it hangs")

	ex, err := local.New(st, local.Options{GPUs: []int{}, WorkDir: t.TempDir(), Memory: batchrunner.MemoryOff})
	require.NoError(t, err)
	next, err := engine.New(engine.Config{Store: st, Dispatcher: ex, Liveness: ex, Now: clock})
	require.NoError(t, err)
	s, err = next.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	require.Equal(t, orchestrator.Retrying, s.Nodes[0].Phase)
	assert.Equal(t, 1, s.Nodes[0].SysErrs, "a dead local process is a reclaim")
	assert.Contains(t, s.Nodes[0].Err, "is gone")

	now = now.Add(time.Minute) // past the backoff: attempt 2 runs here
	_, err = next.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	ex.Wait()
	s, err = next.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	assert.Equal(t, orchestrator.ExecSucceeded, s.Phase)
	c, err := batchrunner.ReadClaim(ctx, st, batchrunner.AttemptPrefix(ref.Exec, "say", -1, 2))
	require.NoError(t, err)
	self, err := batchrunner.ProcFS{}.Identify(os.Getpid())
	require.NoError(t, err)
	assert.Equal(t, &self, c.Process, "the local claim records this process")
}

// TestByTargetRoutesEachAttemptToItsAdapter: each target's adapter hears
// about its own attempts only, in order; a target without one is Unknown.
func TestByTargetRoutesEachAttemptToItsAdapter(t *testing.T) {
	loc := &scriptedLiveness{verdict: engine.Verdict{State: engine.Alive}}
	aws := &scriptedLiveness{verdict: engine.Verdict{State: engine.Ended, Reclaim: true}}
	as := []engine.LiveAttempt{{JobID: "l1", Target: "local"}, {JobID: "a1", Target: "aws-batch"}, {JobID: "g1", Target: "gcp-batch"}, {JobID: "l2", Target: "local"}}
	vs, err := engine.ByTarget{"local": loc, "aws-batch": aws}.Liveness(context.Background(), as)
	require.NoError(t, err)
	assert.Equal(t, []engine.Verdict{{State: engine.Alive}, {State: engine.Ended, Reclaim: true}, {}, {State: engine.Alive}}, vs)
	require.Len(t, loc.asked, 1)
	assert.Equal(t, []engine.LiveAttempt{as[0], as[3]}, loc.asked[0])
	assert.Equal(t, [][]engine.LiveAttempt{{as[1]}}, aws.asked)
}
