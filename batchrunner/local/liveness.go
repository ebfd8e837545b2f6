package local

import (
	"context"
	"errors"
	"os"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/store"
)

var (
	_ engine.Liveness      = (*Executor)(nil)
	_ batchrunner.Targeted = (*Executor)(nil)
)

// Target is where the executor's jobs run: batchrunner.TargetLocal.
func (e *Executor) Target() string { return batchrunner.TargetLocal }

// Liveness is the local adapter of the engine's Liveness port (Decision
// 22). A job this executor holds is alive. Otherwise the attempt's claim
// names the process that ran it: when that process is gone (its pid is
// missing or names a process that started at another time, or the machine
// restarted), the job ended with it and the attempt is reclaimed. An
// attempt never claimed, whose job no live executor holds (an aloft dev
// killed before it started the job), ended too. Claims without a process
// (a Docker job's) are Unknown, as are attempts of other targets; an
// attempt with no target recorded (saved by an older aloft) is taken for
// local, as this adapter is asked only by shells that dispatch locally.
func (e *Executor) Liveness(ctx context.Context, attempts []engine.LiveAttempt) ([]engine.Verdict, error) {
	out := make([]engine.Verdict, len(attempts))
	for i, a := range attempts {
		if a.Target != batchrunner.TargetLocal && a.Target != "" { // "": saved before attempts recorded targets
			continue
		}
		e.mu.Lock()
		_, held := e.jobs[a.JobID]
		e.mu.Unlock()
		if held {
			out[i] = engine.Verdict{State: engine.Alive}
			continue
		}
		c, err := batchrunner.ReadClaim(ctx, e.st, a.Prefix)
		switch {
		case errors.Is(err, store.ErrNotFound):
			out[i] = engine.Verdict{State: engine.Ended, Reclaim: true,
				Reason: "local job " + a.JobID + " never started and no executor holds it (its aloft process is gone)"}
			continue
		case err != nil:
			return nil, err
		case c.Process == nil:
			continue
		}
		gone, why, err := e.proc.Gone(*c.Process)
		if err != nil {
			continue // /proc could not tell
		}
		if gone {
			out[i] = engine.Verdict{State: engine.Ended, Reclaim: true, Reason: "local job " + c.JobID + " ended without a result: " + why}
			continue
		}
		out[i] = engine.Verdict{State: engine.Alive}
	}
	return out, nil
}

// selfProcess is this process's identity, recorded in the claims of the
// attempts it runs; nil where /proc cannot tell.
func selfProcess(p batchrunner.ProcFS) *batchrunner.ProcessID {
	id, err := p.Identify(os.Getpid())
	if err != nil {
		return nil
	}
	return &id
}
