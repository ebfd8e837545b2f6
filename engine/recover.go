package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/aloft-run/aloft/orchestrator"
)

// Ways to start an execution again (Decision 25).
const (
	// Recover reuses the outputs of every node (and map item) that ended
	// with outputs in the original, cached or not, and runs the rest.
	Recover = "recover"
	// Relaunch runs the original's workflow again with the same inputs.
	Relaunch = "relaunch"
)

// ErrNotRecoverable is returned by Again for an execution that cannot be
// recovered or relaunched as asked: it is still running, or (recover) it
// succeeded. The message says what to do instead.
var ErrNotRecoverable = errors.New("cannot start again")

// Again starts a new execution from an ended one: how is Recover or
// Relaunch. The new execution runs the original's compiled workflow (the
// same workflow version and launch plan) on its inputs, in its project and
// domain, and records where it came from. opt gives its id (Exec), Swept
// and the cache options (the original's are kept when opt sets none).
func (e *Engine) Again(ctx context.Context, how string, from Ref, opt StartOptions) (Ref, error) {
	if how != Recover && how != Relaunch {
		return Ref{}, fmt.Errorf("start %s again: %q is neither %s nor %s", from.Exec, how, Recover, Relaunch)
	}
	prev, err := e.Load(ctx, from)
	if err != nil {
		return Ref{}, err
	}
	switch {
	case !prev.Phase.Terminal():
		return Ref{}, fmt.Errorf("%w: execution %s is %s; wait for it to end, or stop it with aloft executions terminate %s", ErrNotRecoverable, from.Exec, prev.Phase, from.Exec)
	case how == Recover && prev.Phase == orchestrator.ExecSucceeded:
		return Ref{}, fmt.Errorf("%w: execution %s succeeded, there is nothing to recover (aloft executions relaunch %s runs it again)", ErrNotRecoverable, from.Exec, from.Exec)
	}
	opt.Project, opt.Domain, opt.LaunchPlan = from.Project, from.Domain, prev.LaunchPlan
	if !opt.NoCache && !opt.OverwriteCache {
		opt.NoCache, opt.OverwriteCache = prev.NoCache, prev.OverwriteCache
	}
	if how == Recover {
		opt.Reuse, opt.RecoveredFrom = prev.Nodes, from.Exec
	} else {
		opt.RelaunchedFrom = from.Exec
	}
	return e.Start(ctx, prev.Compiled(), prev.Inputs, opt)
}
