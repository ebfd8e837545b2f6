package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
)

// Liveness is the port a sweep asks whether the jobs of attempts that have
// written no result still run (Decision 22). It has one adapter per
// target: the local executor's (the process recorded in the claim), AWS
// Batch's (DescribeJobs, 100 ids per call), GCP Batch's (GetJob). It
// returns one verdict per attempt, in order; an attempt it cannot judge
// (another target, an API that did not answer) is Unknown.
type Liveness interface {
	Liveness(ctx context.Context, attempts []LiveAttempt) ([]Verdict, error)
}

// LiveAttempt is an attempt a Liveness adapter is asked about.
type LiveAttempt struct {
	Ref     Ref
	Node    string
	Item    int // -1 unless a map item
	Attempt int
	Prefix  string // the attempt's keys (claim.json is there once it started)
	JobID   string // the dispatcher's job, as Dispatched recorded it
	Target  string // local, aws-batch, gcp-batch
	Since   time.Time
}

// Liveness verdicts.
const (
	Unknown VerdictState = iota
	Alive
	Ended
)

// VerdictState is what a Liveness adapter knows of one job.
type VerdictState uint8

// Verdict is a Liveness adapter's answer about one attempt. An Ended job
// that wrote no result fails its attempt: a Reclaim (a spot or preemption
// loss, a host gone, a dead local process) as a system error, a new
// attempt that does not spend the task's retries; otherwise with Kind
// (default user).
type Verdict struct {
	State   VerdictState
	Reason  string
	Reclaim bool
	Kind    orchestrator.ErrorKind
}

// ByTarget routes each attempt to the adapter of its target; attempts of
// targets it has none for are Unknown.
type ByTarget map[string]Liveness

// Liveness implements Liveness.
func (b ByTarget) Liveness(ctx context.Context, attempts []LiveAttempt) ([]Verdict, error) {
	out := make([]Verdict, len(attempts))
	groups := map[string][]int{}
	for i, a := range attempts {
		groups[a.Target] = append(groups[a.Target], i)
	}
	for target, idx := range groups {
		l := b[target]
		if l == nil {
			continue
		}
		asked := make([]LiveAttempt, len(idx))
		for k, i := range idx {
			asked[k] = attempts[i]
		}
		vs, err := l.Liveness(ctx, asked)
		if err != nil {
			return nil, fmt.Errorf("liveness of %s jobs: %w", target, err)
		}
		for k, i := range idx {
			if k < len(vs) {
				out[i] = vs[k]
			}
		}
	}
	return out, nil
}

// DefaultLivenessGrace is how old an attempt must be before a sweep asks
// about its job (Decision 21): younger ones report through their events.
const DefaultLivenessGrace = 90 * time.Second

// liveness asks Config.Liveness about the dispatched attempts older than
// the grace period and fails those whose job ended without a result.
func (r *runner) liveness(ctx context.Context) ([]orchestrator.Event, error) {
	l := r.e.cfg.Liveness
	if l == nil {
		return nil, nil
	}
	grace := r.e.cfg.LivenessGrace
	if grace <= 0 {
		grace = DefaultLivenessGrace
	}
	s := r.l.state
	wf := s.Compiled()
	cutoff := r.e.cfg.Now().Add(-grace)
	var asked []LiveAttempt
	for _, a := range orchestrator.ActiveAttempts(s) {
		since := time.UnixMilli(a.Since).UTC()
		if a.JobID == "" || a.Since == 0 || since.After(cutoff) {
			continue
		}
		name := wf.Nodes[a.Node].Name
		asked = append(asked, LiveAttempt{Ref: r.l.ref, Node: name, Item: a.Item, Attempt: a.Attempt,
			Prefix: batchrunner.AttemptPrefix(r.l.ref.Exec, name, a.Item, a.Attempt), JobID: a.JobID, Target: a.Target, Since: since})
	}
	if len(asked) == 0 {
		return nil, nil
	}
	verdicts, err := l.Liveness(ctx, asked)
	if err != nil {
		r.e.warnf("liveness of %s's jobs: %v (asking again at the next sweep)", r.l.ref.Exec, err)
		return nil, nil
	}
	var events []orchestrator.Event
	for i, v := range verdicts {
		if i >= len(asked) || v.State != Ended {
			continue
		}
		a := asked[i]
		u := JobUpdate{Node: a.Node, Item: a.Item, Attempt: a.Attempt, Failed: true, Kind: v.Kind, Message: v.Reason}
		switch {
		case v.Reclaim:
			u.Kind, u.Message = orchestrator.ErrSystem, "reclaimed: "+v.Reason
		case u.Kind == "":
			u.Kind = orchestrator.ErrUser
		}
		ev, err := r.jobEvent(ctx, u) // a result written meanwhile wins
		if err != nil {
			return nil, err
		}
		if ev != nil {
			events = append(events, ev)
		}
	}
	return events, nil
}
