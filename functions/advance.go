package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
)

// JobEvent is what a dispatcher's job event says about one attempt.
type JobEvent struct {
	Ref    engine.Ref
	Update engine.JobUpdate
}

// JobEvents parses a dispatcher's job state event (AWS Batch "Job State
// Change", as EventBridge delivers it); ok is false for events about jobs
// that are not aloft's.
type JobEvents func(ctx context.Context, event []byte) (ev JobEvent, ok bool, err error)

// JobDescriber reports what the dispatcher knows of running jobs (the
// sweep asks it about attempts that have run for a while).
type JobDescriber func(ctx context.Context, ref engine.Ref, attempts []orchestrator.AttemptRef, wf *orchestrator.Compiled) ([]engine.Signal, error)

// Advance is the advance function: it steps executions on the events of
// an SQS batch and sweeps every active execution on the rate(1 minute) rule.
type Advance struct {
	Base
	Engine *engine.Engine

	// JobEvents parses dispatcher job events; nil ignores them.
	JobEvents JobEvents
	// Describe, if set, lets the sweep ask the dispatcher about jobs.
	Describe JobDescriber
	// Parallel bounds how many executions one advance batch works on at
	// once (default 4).
	Parallel int

	refs sync.Map // execution id -> engine.Ref: an execution's Ref never changes
}

// work is what one advance batch does for one execution.
type work struct {
	ref      engine.Ref
	signals  []engine.Signal
	launch   *registry.LaunchRequest // start the execution first
	again    *registry.AgainRequest  // or recover or relaunch one into it first
	messages []string                // the SQS messages that asked for it
}

// Handle is the advance function's Lambda handler: it receives an SQS
// batch, or the sweep rule's {"sweep": true}.
func (c *Advance) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Sweep   bool            `json:"sweep"`
		Records json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("advance: the input is not JSON: %w", err)
	}
	if probe.Sweep {
		return c.SweepAll(ctx)
	}
	var ev SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil || probe.Records == nil {
		return nil, fmt.Errorf("advance: want an SQS event or {\"sweep\": true}")
	}
	return c.AdvanceBatch(ctx, ev.Records), nil
}

// AdvanceBatch handles one SQS batch: messages are grouped by execution,
// each execution is advanced once with all its signals, and the messages
// of executions that could not be advanced are reported failed so SQS
// redelivers them. Messages that mean nothing to aloft are dropped (and
// logged); they would fail the same way forever.
func (c *Advance) AdvanceBatch(ctx context.Context, msgs []SQSMessage) BatchResponse {
	byExec := map[string]*work{}
	var order []string
	var failed []string
	for _, m := range msgs {
		w, err := c.route(ctx, []byte(m.Body))
		if err != nil {
			var perm *permanentError
			if errors.As(err, &perm) {
				c.log().Warn("dropping message", "message", m.MessageID, "error", err)
				continue
			}
			c.log().Error("message not routed; SQS will redeliver it", "message", m.MessageID, "error", err)
			failed = append(failed, m.MessageID)
			continue
		}
		if w == nil {
			continue
		}
		id := w.ref.Project + "/" + w.ref.Domain + "/" + w.ref.Exec
		have := byExec[id]
		if have == nil {
			have = &work{ref: w.ref}
			byExec[id] = have
			order = append(order, id)
		}
		have.signals = append(have.signals, w.signals...)
		if w.launch != nil {
			have.launch = w.launch
		}
		if w.again != nil {
			have.again = w.again
		}
		have.messages = append(have.messages, m.MessageID)
	}
	var mu sync.Mutex
	par := c.Parallel
	if par <= 0 {
		par = 4
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for _, id := range order {
		w := byExec[id]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.advanceOne(ctx, w); err != nil {
				c.log().Error("advance failed; SQS will redeliver its messages", "execution", w.ref.Exec, "error", err)
				mu.Lock()
				failed = append(failed, w.messages...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Strings(failed)
	resp := BatchResponse{BatchItemFailures: []ItemFailure{}}
	for _, id := range failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, ItemFailure{ItemIdentifier: id})
	}
	return resp
}

func (c *Advance) advanceOne(ctx context.Context, w *work) error {
	if w.launch != nil || w.again != nil {
		ref, cause, err := c.startRequested(ctx, w)
		var perm *permanentError
		if errors.As(err, &perm) {
			// No redelivery can help: say why where the CLI looks.
			c.log().Error("request rejected", "execution", w.ref.Exec, "error", err)
			return registry.Reject(ctx, c.Store, w.ref.Project, w.ref.Domain, w.ref.Exec, err.Error(), c.now())
		}
		if err != nil {
			return err
		}
		c.log().Info("execution started", "execution", ref.Exec, "cause", cause)
		signals := w.signals
		// A cancel that came before the run existed was dropped then;
		// its request is still there.
		if cr, err := registry.GetCancelRequest(ctx, c.Store, ref.Exec); err == nil {
			signals = append(signals, engine.CancelRequest{Reason: cancelReason(cr)})
		}
		_, err = c.Engine.Sweep(ctx, ref, signals)
		return err
	}
	_, err := c.Engine.Advance(ctx, w.ref, w.signals)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.log().Warn("no such execution; dropping its events", "execution", w.ref.Exec)
		return nil
	case errors.Is(err, engine.ErrOwned): // an aloft run drives it
		c.log().Debug("execution owned by aloft run; dropping its events", "execution", w.ref.Exec)
		return nil
	}
	return err
}

// LogFinished is an engine.Config.Finished hook that logs the end of each
// execution (once: the end is acted on after the save that records it).
func LogFinished(log *slog.Logger) func(*orchestrator.State) {
	return func(s *orchestrator.State) {
		log.Info("execution ended", "execution", s.Exec, "phase", s.Phase.String(),
			"took", (time.Duration(s.Ended-s.Created) * time.Millisecond).String())
	}
}

// startRequested starts the execution a launch, recover or relaunch
// request asks for, and says what caused it.
func (c *Advance) startRequested(ctx context.Context, w *work) (engine.Ref, string, error) {
	if w.launch != nil {
		ref, err := c.start(ctx, w.launch)
		return ref, w.launch.Cause, err
	}
	r := w.again
	cause := r.Kind + " of " + r.From
	from := engine.Ref{Project: r.Project, Domain: r.Domain, Exec: r.From}
	ref, err := c.Engine.Again(ctx, r.Kind, from, engine.StartOptions{Exec: r.ID, Swept: true})
	var ie *engine.InputError
	switch {
	case errors.Is(err, engine.ErrStarted):
		return w.ref, cause, nil
	case errors.Is(err, engine.ErrNotRecoverable), errors.Is(err, store.ErrNotFound), errors.As(err, &ie):
		return ref, cause, &permanentError{fmt.Errorf("%s request %s: %w", r.Kind, r.ID, err)}
	}
	return ref, cause, err
}

// start starts the execution a launch request asks for; a request whose
// execution exists already starts nothing (duplicate delivery).
func (c *Advance) start(ctx context.Context, r *registry.LaunchRequest) (engine.Ref, error) {
	ref := engine.Ref{Project: r.Project, Domain: r.Domain, Exec: r.ID}
	wf, inputs, lp, err := registry.Resolve(ctx, c.Store, r)
	if err != nil {
		return ref, &permanentError{fmt.Errorf("launch request %s: %w", r.ID, err)}
	}
	lpName := ""
	var notifications []orchestrator.Notification
	if lp != nil {
		lpName, notifications = lp.Name, lp.Notifications
	}
	notifications = append(slices.Clone(notifications), r.Notifications...)
	ref, err = c.Engine.Start(ctx, wf, inputs, engine.StartOptions{Project: r.Project, Domain: r.Domain, LaunchPlan: lpName,
		Notifications: notifications, Exec: r.ID, Swept: true, Cause: r.Cause})
	if errors.Is(err, engine.ErrStarted) {
		return ref, nil
	}
	var ie *engine.InputError
	if errors.As(err, &ie) {
		return ref, &permanentError{fmt.Errorf("launch request %s: %w", r.ID, err)}
	}
	return ref, err
}

// cancelReason is the reason a cancel request gives the execution.
func cancelReason(r *registry.CancelRequest) string {
	if r.Reason == "" {
		return "cancelled by request"
	}
	return r.Reason
}

// permanentError marks a message that no redelivery can help.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// route decides which execution a message concerns and what it says.
func (c *Advance) route(ctx context.Context, body []byte) (*work, error) {
	var wake WakeMessage
	if json.Unmarshal(body, &wake) == nil && wake.Wake.Exec != "" {
		ref := engine.Ref{Project: wake.Wake.Project, Domain: wake.Wake.Domain, Exec: wake.Wake.Exec}
		return &work{ref: ref, signals: []engine.Signal{engine.Tick{}}}, nil
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		return nil, &permanentError{err}
	}
	switch {
	case env.Source == SourceS3 && env.DetailType == TypeObjectCreated:
		d, err := env.S3()
		if err != nil {
			return nil, &permanentError{err}
		}
		key, ok := c.keyOf(d.Bucket.Name, d.Object.Key)
		if !ok {
			return nil, &permanentError{fmt.Errorf("object s3://%s/%s is not in aloft's bucket", d.Bucket.Name, d.Object.Key)}
		}
		return c.routeKey(ctx, key)
	case env.Source == SourceBatch && env.DetailType == TypeJobState:
		if c.JobEvents == nil {
			return nil, &permanentError{errors.New("job state event, but no dispatcher is configured")}
		}
		je, ok, err := c.JobEvents(ctx, body)
		if err != nil || !ok {
			return nil, err
		}
		return &work{ref: je.Ref, signals: []engine.Signal{je.Update}}, nil
	}
	return nil, &permanentError{fmt.Errorf("event %s: %s from %s is not for advance", env.ID, env.DetailType, env.Source)}
}

// routeKey maps an object-created key to its execution and signal.
func (c *Advance) routeKey(ctx context.Context, key string) (*work, error) {
	if kind, id, ok := registry.RequestID(key); ok {
		switch kind {
		case "launch":
			r, err := registry.GetLaunchRequest(ctx, c.Store, id)
			if errors.Is(err, registry.ErrNotFound) {
				return nil, &permanentError{err}
			}
			if err != nil {
				return nil, err
			}
			if r.ID != id {
				return nil, &permanentError{fmt.Errorf("launch request %s names execution %q", key, r.ID)}
			}
			return &work{ref: engine.Ref{Project: r.Project, Domain: r.Domain, Exec: r.ID}, launch: r}, nil
		case "cancel":
			r, err := registry.GetCancelRequest(ctx, c.Store, id)
			if errors.Is(err, registry.ErrNotFound) {
				return nil, &permanentError{err}
			}
			if err != nil {
				return nil, err
			}
			return &work{ref: engine.Ref{Project: r.Project, Domain: r.Domain, Exec: r.Exec},
				signals: []engine.Signal{engine.CancelRequest{Reason: cancelReason(r)}}}, nil
		case layout.RequestRecover, layout.RequestRelaunch:
			r, err := registry.GetAgainRequest(ctx, c.Store, kind, id)
			if errors.Is(err, registry.ErrNotFound) || errors.Is(err, registry.ErrInvalidRequest) {
				return nil, &permanentError{err}
			}
			if err != nil {
				return nil, err
			}
			return &work{ref: engine.Ref{Project: r.Project, Domain: r.Domain, Exec: r.ID}, again: r}, nil
		}
	}
	exec, ok := layout.ParseExecDataKey(key)
	if !ok || !layout.IsAttemptSignal(key) {
		return nil, &permanentError{fmt.Errorf("object %s is neither a request nor an attempt's result", key)}
	}
	ref, err := c.findRef(ctx, exec)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &permanentError{err}
	}
	if err != nil {
		return nil, err
	}
	return &work{ref: ref, signals: []engine.Signal{engine.ObjectCreated{Key: key}}}, nil
}

// findRef is the Ref of an execution, read once per warm function (a batch
// of results of one execution reads it once, not once per message).
func (c *Advance) findRef(ctx context.Context, exec string) (engine.Ref, error) {
	if ref, ok := c.refs.Load(exec); ok {
		return ref.(engine.Ref), nil
	}
	ref, err := c.Engine.FindRef(ctx, exec)
	if err == nil {
		c.refs.Store(exec, ref)
	}
	return ref, err
}

// describeAfter is how long an attempt's node has been going before the
// sweep asks the dispatcher about its job: younger jobs report through
// their events.
const describeAfter = 2 * time.Minute

// longRunning lists the active attempts of a running execution whose node
// started over describeAfter ago.
func (c *Advance) longRunning(s orchestrator.State) []orchestrator.AttemptRef {
	if s.Phase.Terminal() || s.Compiled() == nil {
		return nil
	}
	cutoff := c.now().Add(-describeAfter).UnixMilli()
	var out []orchestrator.AttemptRef
	for _, a := range orchestrator.ActiveAttempts(s) {
		if a.Start != 0 && a.Start <= cutoff {
			out = append(out, a)
		}
	}
	return out
}

// SweepSummary is what a sweep did.
type SweepSummary struct {
	Executions int      `json:"executions"`
	Ended      int      `json:"ended"`
	Errors     []string `json:"errors,omitempty"`
}

// SweepAll sweeps every active execution: intentions saved but not acted
// on are re-issued, lost results picked up, due retries dispatched, jobs
// that died silently or ran past their timeout failed.
func (c *Advance) SweepAll(ctx context.Context) (SweepSummary, error) {
	refs, err := c.Engine.ActiveExecutions(ctx)
	if err != nil {
		return SweepSummary{}, fmt.Errorf("sweep: list active executions: %w", err)
	}
	var sum SweepSummary
	for _, ref := range refs {
		sum.Executions++
		var extra []engine.Signal
		if c.Describe != nil {
			st, err := c.Engine.Load(ctx, ref)
			if old := c.longRunning(st); err == nil && len(old) > 0 {
				extra, err = c.Describe(ctx, ref, old, st.Compiled())
			}
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				sum.Errors = append(sum.Errors, fmt.Sprintf("%s: %v", ref.Exec, err))
			}
		}
		st, err := c.Engine.Sweep(ctx, ref, extra)
		switch {
		case errors.Is(err, store.ErrNotFound), errors.Is(err, engine.ErrOwned):
		case err != nil:
			sum.Errors = append(sum.Errors, fmt.Sprintf("%s: %v", ref.Exec, err))
		case st.Phase.Terminal():
			sum.Ended++
		}
	}
	if sum.Executions > 0 || len(sum.Errors) > 0 {
		c.log().Debug("sweep", "executions", sum.Executions, "ended", sum.Ended, "errors", len(sum.Errors))
	}
	for _, e := range sum.Errors {
		c.log().Warn("sweep", "error", e)
	}
	return sum, nil
}
