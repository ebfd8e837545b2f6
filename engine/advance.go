package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// Signal is something that happened outside the engine and may move an
// execution on: an object created in the bucket (ObjectCreated), a job's
// state reported by the dispatcher (JobUpdate), a wake-up (Tick), or a
// cancel request (CancelRequest). Event-driven shells (the advance
// function, `aloft dev`) turn what they receive into signals. The set is
// closed: only this package's types implement it.
type Signal interface{ isSignal() }

// ObjectCreated names an object created under data/<exec>/: an attempt's
// outputs.json or error.json (its result) or claim.json (it started).
type ObjectCreated struct{ Key string }

// Tick lets time pass: retries whose backoff elapsed are dispatched.
type Tick struct{}

// CancelRequest asks to abort the execution for Reason.
type CancelRequest struct{ Reason string }

func (ObjectCreated) isSignal() {}
func (JobUpdate) isSignal()     {}
func (Tick) isSignal()          {}
func (CancelRequest) isSignal() {}

// JobUpdate is a dispatcher's news about the job of one attempt.
type JobUpdate struct {
	Node     string // the node's name
	Item     int    // -1 unless a map item
	Attempt  int
	Started  bool // the job is running
	Reclaims int  // hosts lost (spot reclaims) the batch service retried
	// Failed: the job ended without success. Unless the attempt wrote a
	// result (which wins), it fails with Kind and Message.
	Failed  bool
	Kind    orchestrator.ErrorKind
	Message string
}

// Advance applies signals to a saved execution once, the way an event-driven
// shell does: load, apply the events, save (if-match; on a lost race reload
// and apply them again), act on the commands the saved state asked for, and
// repeat with what acting produced (dispatch acknowledgements, cache
// answers) until nothing is left to do. Duplicate and stale signals change
// nothing. Wake-ups (retry backoff) go to Config.Wake; without it the next
// sweep's tick dispatches the retry. An execution that an `aloft run`
// process owns is left alone (ErrOwned), as by Sweep.
func (e *Engine) Advance(ctx context.Context, ref Ref, signals []Signal) (orchestrator.State, error) {
	return e.advance(ctx, ref, signals, false)
}

// Sweep advances an execution from what the bucket says: the intentions its
// saved state implies but that may not have been acted on (a crash between
// save and act), results whose notifications were lost, a tick for retries
// whose backoff elapsed, and the timeouts of attempts that ran too long
// (their job is cancelled and the attempt fails as timed out). The
// dispatcher's view of long-running jobs comes in as extra signals.
func (e *Engine) Sweep(ctx context.Context, ref Ref, extra []Signal) (orchestrator.State, error) {
	return e.advance(ctx, ref, append([]Signal{Tick{}}, extra...), true)
}

func (e *Engine) advance(ctx context.Context, ref Ref, signals []Signal, sweep bool) (_ orchestrator.State, err error) {
	if owned, err := e.owned(ctx, ref); owned || err != nil {
		if err == nil {
			err = fmt.Errorf("%s: %w", ref.Exec, ErrOwned)
		}
		return orchestrator.State{}, err
	}
	l, err := e.load(ctx, ref)
	if err != nil {
		if sweep && errors.Is(err, store.ErrNotFound) {
			e.dropStaleMarker(ctx, ref)
		}
		return orchestrator.State{}, err
	}
	r := e.newRunner(ctx, l)
	r.wake = func(at time.Time) {
		if e.cfg.Wake != nil {
			if err := e.cfg.Wake(ctx, ref, at); err != nil {
				e.warnf("schedule the wake-up of %s at %s: %v (the sweep will tick it)", ref.Exec, at.Format(time.RFC3339), err)
			}
		}
	}
	defer r.close(&err)
	var events []orchestrator.Event
	if sweep {
		if l.state.Phase.Terminal() {
			// Its end was saved but maybe not acted on: cancels of the
			// jobs an abort stopped, and the finish (which drops the
			// marker).
			r.act(ctx, pendingCommands(l.state))
			return l.state, nil
		}
		events = r.act(ctx, pendingCommands(l.state))
		polled, err := r.poll(ctx)
		if err != nil {
			return l.state, err
		}
		events = append(events, polled...)
		events = append(events, r.timeouts(ctx)...)
		ended, err := r.liveness(ctx)
		if err != nil {
			return l.state, err
		}
		events = append(events, ended...)
	}
	for _, s := range signals {
		ev, err := r.signalEvent(ctx, s)
		if err != nil {
			return l.state, err
		}
		if ev != nil {
			events = append(events, ev)
		}
	}
	err = r.settle(ctx, events, r.unsettled)
	return r.l.state, err
}

// signalEvent turns a signal into the event Step understands; nil for one
// that means nothing to this execution.
func (r *runner) signalEvent(ctx context.Context, s Signal) (orchestrator.Event, error) {
	switch s := s.(type) {
	case CancelRequest:
		return orchestrator.CancelRequested{Reason: s.Reason}, nil
	case Tick:
		return orchestrator.Tick{}, nil
	case ObjectCreated:
		return r.keyEvent(ctx, s.Key)
	case JobUpdate:
		return r.jobEvent(ctx, s)
	}
	return nil, nil
}

// jobEvent maps a job update; a failed job's own result (error.json or
// outputs.json, written before the container died) wins over the
// dispatcher's reason.
func (r *runner) jobEvent(ctx context.Context, u JobUpdate) (orchestrator.Event, error) {
	node, ok := r.l.state.Compiled().NodeIndex(u.Node)
	if !ok {
		return nil, nil
	}
	switch {
	case u.Failed:
		ev, err := r.resultEvent(ctx, node, u.Item, u.Attempt)
		if ev != nil || err != nil {
			return ev, err
		}
		kind := u.Kind
		if kind == "" {
			kind = orchestrator.ErrSystem
		}
		return orchestrator.AttemptFailed{Node: node, Item: u.Item, Attempt: u.Attempt, Kind: kind, Message: u.Message}, nil
	case u.Started:
		return orchestrator.AttemptStarted{Node: node, Item: u.Item, Attempt: u.Attempt, Reclaims: u.Reclaims}, nil
	}
	return nil, nil
}

// timeoutGrace is how long past its timeout an attempt may run before the
// sweep gives up on it: the runner kills the task at the timeout and writes
// error.json itself; the sweep is for jobs that died without a word.
const timeoutGrace = 5 * time.Minute

// timeouts fails the attempts that ran past their task's timeout (plus the
// grace) without a result, and cancels their jobs.
func (r *runner) timeouts(ctx context.Context) []orchestrator.Event {
	s := r.l.state
	wf := s.Compiled()
	now := r.e.cfg.Now()
	var events []orchestrator.Event
	for _, a := range orchestrator.ActiveAttempts(s) {
		t := wf.Tasks[wf.Nodes[a.Node].Task]
		if t == nil || t.Timeout <= 0 || a.Phase != orchestrator.Running {
			continue
		}
		if a.Start == 0 || now.Sub(time.UnixMilli(a.Start)) < t.Timeout+timeoutGrace {
			continue
		}
		if r.e.cfg.Dispatcher != nil && a.JobID != "" {
			_ = r.e.cfg.Dispatcher.Cancel(ctx, a.JobID)
		}
		events = append(events, orchestrator.AttemptFailed{Node: a.Node, Item: a.Item, Attempt: a.Attempt,
			Kind: orchestrator.ErrTimeout, Message: fmt.Sprintf("timed out: ran over %s without a result", t.Timeout)})
	}
	return events
}

// ExecOfKey returns the execution an object under data/<exec>/ belongs to.
func ExecOfKey(key string) (exec string, ok bool) {
	return layout.ParseExecDataKey(key)
}

// ParseAttemptSeg splits "<node>" or "<node>.<item>" when the node name is
// not known (a node name may itself contain dots: the longest known name
// wins in the engine; this is for shells that only route by execution).
func ParseAttemptSeg(seg string) (node string, item int) {
	return layout.ParseAttemptSeg(seg)
}

// LiveMarkerKey marks an execution that has not ended, for sweeps: it is
// written when the execution starts and deleted when it ends.
func LiveMarkerKey(ref Ref) string {
	return layout.LiveMarkerKey(ref.Project, ref.Domain, ref.Exec)
}

// ParseLiveMarkerKey is the inverse of LiveMarkerKey.
func ParseLiveMarkerKey(key string) (Ref, bool) {
	project, domain, exec, ok := layout.ParseLiveMarkerKey(key)
	return Ref{Project: project, Domain: domain, Exec: exec}, ok
}

// ActiveExecutions lists the executions that have not ended (according to
// their markers; a marker left by a crash is removed by the next sweep of
// its ended execution).
func (e *Engine) ActiveExecutions(ctx context.Context) ([]Ref, error) {
	objs, err := store.ListKeys(ctx, e.cfg.Store, layout.ActiveRoot)
	if err != nil {
		return nil, err
	}
	var out []Ref
	for _, o := range objs {
		if ref, ok := ParseLiveMarkerKey(o.Key); ok {
			out = append(out, ref)
		}
	}
	return out, nil
}

// dropStaleMarker removes the marker of an execution that has no state,
// once it is old enough that its Start cannot still be writing it.
func (e *Engine) dropStaleMarker(ctx context.Context, ref Ref) {
	obj, err := e.cfg.Store.Head(ctx, LiveMarkerKey(ref))
	if err == nil && e.cfg.Now().Sub(obj.Modified) > timeoutGrace {
		e.unmarkActive(ctx, ref)
	}
}

// unmarkActive removes an ended execution's marker.
func (e *Engine) unmarkActive(ctx context.Context, ref Ref) {
	if err := e.cfg.Store.Delete(ctx, LiveMarkerKey(ref)); err != nil && !errors.Is(err, store.ErrNotFound) {
		e.warnf("remove the active marker of %s: %v", ref.Exec, err)
	}
}
