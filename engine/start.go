package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// StartOptions are the settings of a new execution.
type StartOptions struct {
	Project, Domain string
	LaunchPlan      string
	// Notifications are sent when the execution ends (the launch plan's
	// and those its caller added).
	Notifications  []orchestrator.Notification
	NoCache        bool
	OverwriteCache bool
	// BaseDir resolves relative local paths of file and directory inputs.
	BaseDir string
	// Exec, if set, is the execution's id (a launch request's); else a new
	// one is made. Starting an id that exists returns ErrStarted.
	Exec string
	// Swept marks the execution as one event-driven shells drive (advance,
	// aloft dev): its active/ marker lets their sweeps find it until it
	// ends. `aloft run` drives its own executions and leaves it unset.
	Swept bool
	// Reuse, RecoveredFrom and RelaunchedFrom are set by Recover.
	Reuse                         []orchestrator.NodeState
	RecoveredFrom, RelaunchedFrom string
	// Cause says what started the execution ("cli", "schedule <time>",
	// "trigger <uri>"); Labels are the user's. Both go to the index entry.
	Cause  string
	Labels map[string]string
}

// ErrStarted is returned by Start for an execution id that already exists:
// a duplicated launch request starts nothing new.
var ErrStarted = errors.New("execution already started")

// Start creates an execution of wf with the given inputs (defaults are
// applied, types checked, external files ingested into the store) and saves
// its first state. Run drives it from there.
func (e *Engine) Start(ctx context.Context, wf *orchestrator.Compiled, given map[string]orchestrator.Literal, opt StartOptions) (Ref, error) {
	if opt.Project == "" {
		opt.Project = "default"
	}
	if opt.Domain == "" {
		opt.Domain = "development"
	}
	inputs, err := orchestrator.ResolveInputs(wf, given)
	if err != nil {
		return Ref{}, &InputError{Err: err}
	}
	now := e.cfg.Now()
	ref := Ref{Project: opt.Project, Domain: opt.Domain, Exec: opt.Exec}
	if ref.Exec == "" {
		ref.Exec = e.cfg.NewID()
	} else if _, err := e.cfg.Store.Head(ctx, ref.StateKey()); err == nil {
		return ref, ErrStarted
	}
	inputs, err = e.ingestAll(ctx, ref.Exec, wf, inputs, opt.BaseDir)
	if err != nil {
		return Ref{}, err
	}
	wfb, err := wf.Encode()
	if err != nil {
		return Ref{}, fmt.Errorf("encode workflow: %w", err)
	}
	digest, _ := wf.Digest()
	if _, err := store.PutBytes(ctx, e.cfg.Store, ref.WorkflowKey(), wfb, store.PutOptions{IfAbsent: true}); err != nil && !(opt.Exec != "" && errors.Is(err, store.ErrConflict)) {
		return Ref{}, fmt.Errorf("start %s: write workflow: %w", ref.Exec, err)
	}
	s := orchestrator.NewState(wf, digest, orchestrator.Options{
		Exec: ref.Exec, Project: ref.Project, Domain: ref.Domain, LaunchPlan: opt.LaunchPlan,
		NoCache: opt.NoCache, OverwriteCache: opt.OverwriteCache, Notifications: opt.Notifications,
		RecoveredFrom: opt.RecoveredFrom, RelaunchedFrom: opt.RelaunchedFrom,
	}, now)
	s, _ = orchestrator.Step(s, orchestrator.ExecutionRequested{Inputs: inputs, Reuse: opt.Reuse}, now)
	b, err := s.Encode()
	if err != nil {
		return Ref{}, fmt.Errorf("encode state: %w", err)
	}
	if _, err := store.PutJSON(ctx, e.cfg.Store, RefKey(ref.Exec), ref, store.PutOptions{}); err != nil {
		return Ref{}, fmt.Errorf("start %s: write %s: %w", ref.Exec, RefKey(ref.Exec), err)
	}
	// The marker first: a crash after it leaves a marker the sweep removes;
	// a crash before the state leaves no execution.
	if opt.Swept {
		if _, err := store.PutBytes(ctx, e.cfg.Store, LiveMarkerKey(ref), []byte(ref.Exec), store.PutOptions{}); err != nil {
			return Ref{}, fmt.Errorf("start %s: write active marker: %w", ref.Exec, err)
		}
	}
	if _, err := store.PutBytes(ctx, e.cfg.Store, ref.StateKey(), b, store.PutOptions{IfAbsent: true}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return ref, ErrStarted
		}
		return Ref{}, fmt.Errorf("start %s: write state: %w", ref.Exec, err)
	}
	if err := e.putIndex(ctx, indexEntryOf(&s, opt.Cause, opt.Labels)); err != nil {
		return Ref{}, fmt.Errorf("start %s: %w", ref.Exec, err)
	}
	return ref, nil
}

// InputError is a problem with the inputs a user gave (a usage error).
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }
