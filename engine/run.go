package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// maxConflicts bounds how often a batch is re-applied after losing a race
// to another writer of the same state.
const maxConflicts = 8

// pollEvery is how often the loop asks the store about active attempts when
// no notification came (stores without notifications, missed ones).
const pollEvery = time.Second

// persistDelay is how long the loop may hold applied events unsaved while
// they ask for nothing that must wait for a save (a Dispatch, a Cancel, the
// end of the run): acknowledgements, starts and results of attempts whose
// successors are not ready yet, cache writes. Decision 5 lets the local
// engine group events per short window; a wide fan-out then saves its
// state (whose size grows with the workflow) a few dozen times a second
// instead of once per event.
const persistDelay = 20 * time.Millisecond

// wallClock times the batching window (persistDelay). It is deliberately
// not the injected Config.Now: the window is about real elapsed time on
// this machine (how long a save may wait for company), not workflow time,
// which Config.Now gives and which tests freeze or shift; a frozen Now
// would hold a batch unsaved for ever.
func wallClock() time.Time { return time.Now() }

// Run drives an execution from its saved state until it ends, and returns
// the final state. Cancelling ctx cancels the execution (it ends aborted);
// store operations are not cut short by that. With resume, attempts that a
// previous engine left running without a result are failed as interrupted
// (a system error, retried with the next attempt number).
//
// The loop applies events as they come and saves the state (if-match)
// before it carries out any command with an effect: persist, then act.
// Cache lookups, which only read, are answered at once and their answers
// applied in the same batch, so a node that becomes ready is looked up and
// dispatched with one save. Events that ask for nothing urgent wait up to
// persistDelay for company.
func (e *Engine) Run(ctx context.Context, ref Ref, resume bool) (_ orchestrator.State, err error) {
	sctx := context.WithoutCancel(ctx)
	l, err := e.load(sctx, ref)
	if err != nil {
		return orchestrator.State{}, err
	}
	r := e.newRunner(sctx, l)
	defer r.close(&err)
	defer r.subscribe()()
	if e.cfg.Observe != nil {
		e.cfg.Observe(&l.state)
	}
	events, err := r.resume(sctx, resume)
	if err != nil {
		return l.state, err
	}
	defer r.renewTicker()()
	w := newWaiter(ctx.Done())
	defer w.stop()
	for {
		if err := r.settle(sctx, events, r.mustSave); err != nil {
			return r.l.state, err
		}
		if r.l.state.Phase.Terminal() && !r.dirty() {
			return r.l.state, nil
		}
		if events, err = r.next(sctx, w); err != nil {
			return r.l.state, err
		}
	}
}

// subscribe has the store announce new objects to the runner, if it can;
// the result stops the announcements.
func (r *runner) subscribe() (cancel func()) {
	if n, ok := r.e.cfg.Store.(store.Notifier); ok {
		return n.Subscribe(r.notified)
	}
	return func() {}
}

// attemptKey names one attempt.
type attemptKey struct {
	node          int32
	item, attempt int
}

// resume returns Run's first batch of events. With resume, they settle the
// attempts a previous engine left running: by their results, or failed as
// interrupted. Then the saved state's intentions are acted on: lookups are
// answered in this batch, the rest (dispatches not acknowledged, the
// finish of an ended run) were saved already. The dispatch of an attempt
// just failed as interrupted is skipped: its retry is dispatched instead.
func (r *runner) resume(ctx context.Context, resume bool) ([]orchestrator.Event, error) {
	var events []orchestrator.Event
	ended := map[attemptKey]bool{}
	if resume {
		for _, a := range orchestrator.ActiveAttempts(r.l.state) {
			ev, err := r.resultEvent(ctx, a.Node, a.Item, a.Attempt)
			if err != nil {
				return nil, err
			}
			if ev == nil {
				ev = orchestrator.AttemptFailed{Node: a.Node, Item: a.Item, Attempt: a.Attempt, Kind: orchestrator.ErrSystem,
					Message: "interrupted: the engine stopped while the attempt ran"}
			}
			ended[attemptKey{a.Node, a.Item, a.Attempt}] = true
			events = append(events, ev)
		}
	}
	var pending []orchestrator.Command
	for _, c := range pendingCommands(r.l.state) {
		if d, ok := c.(orchestrator.Dispatch); !ok || !ended[attemptKey{d.Node, d.Item, d.Attempt}] {
			pending = append(pending, c)
		}
	}
	return append(events, r.act(ctx, pending)...), nil
}

// waiter is what Run's loop sleeps on between batches: the queue's signal,
// the end of the batching window, the poll fallback, and the caller's
// cancel.
type waiter struct {
	done <-chan struct{} // the caller's cancel; nil once it became an event
	// Reused timers: since Go 1.23 a Reset timer delivers no stale tick.
	save, poll *time.Timer
}

func newWaiter(done <-chan struct{}) *waiter {
	return &waiter{done: done, save: time.NewTimer(time.Hour), poll: time.NewTimer(time.Hour)}
}

func (w *waiter) stop() {
	w.save.Stop()
	w.poll.Stop()
}

// next waits until something happens and returns the events it brought:
// results polled from the store when nothing was heard for pollEvery, the
// cancel of the caller, and what the queue collected. An empty batch is
// possible (the batching window ended).
func (r *runner) next(ctx context.Context, w *waiter) ([]orchestrator.Event, error) {
	var due <-chan time.Time
	if r.dirty() {
		w.save.Reset(max(0, persistDelay-wallClock().Sub(r.dirtyAt)))
		due = w.save.C
	}
	w.poll.Reset(pollEvery)
	r.renewDue(ctx)
	var events []orchestrator.Event
	select {
	case <-r.q.signal:
	case <-due:
	case <-w.poll.C:
		polled, err := r.poll(ctx)
		if err != nil {
			return nil, err
		}
		events = polled
	case <-w.done:
	}
	select {
	case <-w.done:
		w.done = nil
		events = append(events, orchestrator.CancelRequested{Reason: "cancelled by the user"})
	default:
	}
	more, err := r.drainQueue(ctx)
	if err != nil {
		return nil, err
	}
	return append(events, more...), nil
}

// settle applies events, then, as long as saveDue says so, persists the
// state and acts on the commands it holds, applying what acting produced
// (dispatch acknowledgements, cache answers). Run saves when mustSave
// says; Advance saves whatever changed (unsettled).
func (r *runner) settle(ctx context.Context, events []orchestrator.Event, saveDue func() bool) error {
	r.step(ctx, events)
	for saveDue() {
		cmds, err := r.save(ctx)
		if err != nil {
			return err
		}
		r.step(ctx, r.act(ctx, cmds))
	}
	return nil
}

// step applies events to the state in memory. Cache lookups it asks for
// are answered and applied at once (they only read); wake-ups are set;
// every other command is held until the state that asked for it is saved.
func (r *runner) step(ctx context.Context, events []orchestrator.Event) {
	if len(events) == 0 {
		return
	}
	now := r.e.cfg.Now()
	for len(events) > 0 {
		ev := events[0]
		events = events[1:]
		seq := r.l.state.Seq
		var cmds []orchestrator.Command
		r.l.state, cmds = orchestrator.Step(r.l.state, ev, now)
		if r.l.state.Seq == seq && len(cmds) == 0 {
			continue // stale or duplicate: nothing to replay
		}
		r.unsaved = append(r.unsaved, ev)
		if r.l.state.Seq != seq && r.dirtyAt.IsZero() {
			r.dirtyAt = wallClock()
		}
		for _, c := range cmds {
			switch c := c.(type) {
			case orchestrator.LookupCache:
				events = append(events, r.lookup(ctx, c))
			case orchestrator.Wake:
				r.wakeAt(c.At)
			default:
				r.held = append(r.held, c)
			}
		}
	}
}

// dirty reports whether the state in memory is ahead of the saved one.
func (r *runner) dirty() bool { return !r.dirtyAt.IsZero() }

// unsettled reports whether the state changed or holds commands since the
// last save.
func (r *runner) unsettled() bool { return r.dirty() || len(r.held) > 0 }

// mustSave reports whether the loop must save now: a held command has an
// effect that must not wait (a dispatch, a cancel, the end), the run
// ended, or the oldest unsaved change waited persistDelay. Held commands
// of a state that did not change (none expected) are acted on at once.
func (r *runner) mustSave() bool {
	if !r.dirty() {
		return len(r.held) > 0
	}
	if r.l.state.Phase.Terminal() || wallClock().Sub(r.dirtyAt) >= persistDelay {
		return true
	}
	for _, c := range r.held {
		switch c.(type) {
		case orchestrator.Dispatch, orchestrator.Reserve, orchestrator.Cancel, orchestrator.Finish, orchestrator.Notify:
			return true
		}
	}
	return false
}

// save persists the state if it changed and hands back the held commands,
// dispatches first (a task starts while the rest is done). On a lost race
// it reloads the state and applies the unsaved events again.
func (r *runner) save(ctx context.Context) ([]orchestrator.Command, error) {
	for try := 0; r.dirty(); try++ {
		err := r.e.persist(ctx, r.l)
		if err == nil {
			r.commit.mark()
			if r.e.cfg.Observe != nil {
				r.e.cfg.Observe(&r.l.state)
			}
			break
		}
		if !errors.Is(err, store.ErrConflict) || try >= maxConflicts {
			return nil, err
		}
		l, lerr := r.e.load(ctx, r.ref)
		if lerr != nil {
			return nil, lerr
		}
		events := r.unsaved
		r.l, r.unsaved, r.held, r.dirtyAt = l, nil, nil, time.Time{}
		r.step(ctx, events)
	}
	cmds := r.held
	r.unsaved, r.held, r.dirtyAt = nil, nil, time.Time{}
	slices.SortStableFunc(cmds, func(a, b orchestrator.Command) int {
		_, da := a.(orchestrator.Dispatch)
		_, db := b.(orchestrator.Dispatch)
		switch {
		case da && !db:
			return -1
		case db && !da:
			return 1
		}
		return 0
	})
	return cmds, nil
}

// newRunner holds an execution in memory for a shell.
func (e *Engine) newRunner(ctx context.Context, l *loaded) *runner {
	return &runner{e: e, ref: l.ref, q: newQueue(), l: l, jobs: map[string]string{}, commit: newCommitter(ctx, e.cfg.Store)}
}

// close stops the runner's timers and its group committer, which syncs
// the store one last time; a failed sync becomes *err unless that is set.
func (r *runner) close(err *error) {
	r.stopTimers()
	if cerr := r.commit.close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("sync store: %w", cerr)
	}
}

// runner is one Run (or Advance) in progress. Only ref and q are shared
// with other goroutines (the store's callbacks, timers); every other field
// belongs to the goroutine that runs the loop (or Advance), and needs no
// lock.
type runner struct {
	e   *Engine
	ref Ref    // the execution; never changes (l does, after a lost race)
	q   *queue // notifications and ticks from other goroutines; it locks itself

	l    *loaded // the state in memory, possibly ahead of the saved one
	tmrs []*time.Timer
	jobs map[string]string // attempt prefix -> job id, for cancels before the ack is saved

	unsaved []orchestrator.Event   // applied since the last save, to apply again after a lost race
	held    []orchestrator.Command // asked for since the last save, carried out after it
	dirtyAt time.Time              // wallClock when the state first changed since the last save; zero: saved

	commit *committer
	wake   func(at time.Time) // nil: a timer ticks the loop's queue

	renewed time.Time // Config.Now when held reservations were last renewed
}

// notified receives the store's object-created events, on the store's
// goroutine: it reads only r.ref and pushes to r.q.
func (r *runner) notified(ev store.Event) {
	if _, _, _, _, _, ok := layout.ParseCatalogEntryKey(ev.Key); ok {
		// Another execution's catalog entry: a waiting node may be its.
		r.q.pushTick()
		return
	}
	if !strings.HasPrefix(ev.Key, layout.ExecDataPrefix(r.ref.Exec)) {
		return
	}
	switch {
	case strings.HasSuffix(ev.Key, "/"+batchrunner.OutputsFile) || strings.HasSuffix(ev.Key, "/"+batchrunner.ErrorFile):
		r.q.pushKey(ev.Key, ev.Body)
	case strings.HasSuffix(ev.Key, "/"+batchrunner.ClaimFile):
		// A start only changes what the node table shows: it may wait
		// for company, sparing the loop a wake-up per task in a fan-out.
		r.q.pushLazyKey(ev.Key)
	}
}

// drainQueue turns queued keys and ticks into events.
func (r *runner) drainQueue(ctx context.Context) ([]orchestrator.Event, error) {
	keys, ticks := r.q.drain()
	var events []orchestrator.Event
	for _, k := range keys {
		ev, err := r.noticeEvent(ctx, k.key, k.body)
		if err != nil {
			return nil, err
		}
		if ev != nil {
			events = append(events, ev)
		}
	}
	if ticks > 0 {
		events = append(events, orchestrator.Tick{})
		events = append(events, r.waitingHits(ctx)...)
	}
	return events, nil
}

// keyEvent reads the object a notification named and makes the event.
func (r *runner) keyEvent(ctx context.Context, key string) (orchestrator.Event, error) {
	return r.noticeEvent(ctx, key, nil)
}

// noticeEvent is keyEvent for a notification that may carry the object's
// content: an outputs.json at hand is not read back. (An error.json is:
// should outputs.json exist too, it wins, as ReadResult decides.)
func (r *runner) noticeEvent(ctx context.Context, key string, body []byte) (orchestrator.Event, error) {
	exec, seg, attempt, file, ok := layout.ParseAttemptKey(key)
	if !ok || exec != r.ref.Exec {
		return nil, nil
	}
	node, item, ok := r.parseSeg(seg)
	if !ok {
		return nil, nil
	}
	switch {
	case file == batchrunner.ClaimFile:
		return orchestrator.AttemptStarted{Node: node, Item: item, Attempt: attempt}, nil
	case file == batchrunner.OutputsFile && body != nil:
		var out batchrunner.Outputs
		if json.Unmarshal(body, &out) == nil {
			return orchestrator.AttemptSucceeded{Node: node, Item: item, Attempt: attempt, Outputs: out.Outputs}, nil
		}
	}
	return r.resultEvent(ctx, node, item, attempt)
}

// parseSeg maps "<node>" or "<node>.<item>" to indices.
func (r *runner) parseSeg(seg string) (int32, int, bool) {
	wf := r.l.state.Compiled()
	if i, ok := wf.NodeIndex(seg); ok {
		return i, -1, true
	}
	name, item := layout.ParseAttemptSeg(seg)
	if item < 0 {
		return 0, 0, false
	}
	i, ok := wf.NodeIndex(name)
	return i, item, ok
}

// resultEvent reads an attempt's result; nil when it has none yet.
func (r *runner) resultEvent(ctx context.Context, node int32, item, attempt int) (orchestrator.Event, error) {
	name := r.l.state.Compiled().Nodes[node].Name
	prefix := batchrunner.AttemptPrefix(r.l.ref.Exec, name, item, attempt)
	out, fail, err := batchrunner.ReadResult(ctx, r.e.cfg.Store, prefix)
	switch {
	case errors.Is(err, batchrunner.ErrNoResult):
		return nil, nil
	case err != nil:
		return nil, err
	case out != nil:
		return orchestrator.AttemptSucceeded{Node: node, Item: item, Attempt: attempt, Outputs: out.Outputs}, nil
	}
	return orchestrator.AttemptFailed{Node: node, Item: item, Attempt: attempt, Kind: fail.Kind, Message: fail.Message}, nil
}

// poll asks the store about every active attempt and about the catalog
// entries waiting nodes wait for, and renews the leases of reservations
// the execution holds when due.
func (r *runner) poll(ctx context.Context) ([]orchestrator.Event, error) {
	r.renewDue(ctx)
	events := r.waitingHits(ctx)
	for _, a := range orchestrator.ActiveAttempts(r.l.state) {
		ev, err := r.resultEvent(ctx, a.Node, a.Item, a.Attempt)
		if err != nil {
			return nil, err
		}
		if ev != nil {
			events = append(events, ev)
		}
	}
	return events, nil
}

// wakeAt has the execution ticked at the workflow time at: through
// r.wake, or by a real-time timer for the distance from Config.Now.
func (r *runner) wakeAt(at time.Time) {
	if r.wake != nil {
		r.wake(at)
		return
	}
	d := at.Sub(r.e.cfg.Now())
	if d < 0 {
		d = 0
	}
	r.tmrs = append(r.tmrs, time.AfterFunc(d+time.Millisecond, r.q.pushTick))
}

// stopTimers stops the timers of wakeAt.
func (r *runner) stopTimers() {
	for _, t := range r.tmrs {
		t.Stop()
	}
}
