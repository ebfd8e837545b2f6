package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// maxConflicts bounds how often a batch is re-applied after losing a race
// to another writer of the same state.
const maxConflicts = 8

// pollEvery is how often the loop asks the store about active attempts when
// no notification came (stores without notifications, missed ones).
const pollEvery = time.Second

// Run drives an execution from its saved state until it ends, and returns
// the final state. Cancelling ctx cancels the execution (it ends aborted);
// store operations are not cut short by that. With resume, attempts that a
// previous engine left running without a result are failed as interrupted
// (a system error, retried with the next attempt number).
func (e *Engine) Run(ctx context.Context, ref Ref, resume bool) (_ orchestrator.State, err error) {
	sctx := context.WithoutCancel(ctx)
	l, err := e.load(sctx, ref)
	if err != nil {
		return orchestrator.State{}, err
	}
	r := &runner{e: e, l: l, q: newQueue(), jobs: map[string]string{}, commit: newCommitter(sctx, e.cfg.Store)}
	defer func() {
		if cerr := r.commit.close(); cerr != nil && err == nil {
			err = fmt.Errorf("sync store: %w", cerr)
		}
	}()
	if n, ok := e.cfg.Store.(store.Notifier); ok {
		cancel := n.Subscribe(r.notified)
		defer cancel()
	}
	defer r.stopTimers()
	var events []orchestrator.Event
	if resume {
		for _, a := range orchestrator.ActiveAttempts(l.state) {
			ev, err := r.resultEvent(sctx, a.Node, a.Item, a.Attempt)
			if err != nil {
				return l.state, err
			}
			if ev == nil {
				ev = orchestrator.AttemptFailed{Node: a.Node, Item: a.Item, Attempt: a.Attempt, Kind: orchestrator.ErrSystem,
					Message: "interrupted: the engine stopped while the attempt ran"}
			}
			events = append(events, ev)
		}
	}
	if e.cfg.Observe != nil {
		e.cfg.Observe(&l.state)
	}
	events = append(events, r.act(sctx, orchestrator.PendingCommands(l.state))...)
	cancelled := false
	for !l.state.Phase.Terminal() {
		if len(events) == 0 {
			select {
			case <-r.q.signal:
			case <-time.After(pollEvery):
				polled, err := r.poll(sctx)
				if err != nil {
					return l.state, err
				}
				events = append(events, polled...)
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil && !cancelled {
			cancelled = true
			events = append(events, orchestrator.CancelRequested{Reason: "cancelled by the user"})
		}
		more, err := r.drainQueue(sctx)
		if err != nil {
			return l.state, err
		}
		events = append(events, more...)
		if len(events) == 0 {
			continue
		}
		cmds, err := r.apply(sctx, events)
		if err != nil {
			return l.state, err
		}
		events = r.act(sctx, cmds)
	}
	return l.state, nil
}

// apply steps a batch of events, persists once, and returns the commands.
// On a lost race it reloads and re-applies the batch.
func (r *runner) apply(ctx context.Context, events []orchestrator.Event) ([]orchestrator.Command, error) {
	for try := 0; ; try++ {
		var cmds []orchestrator.Command
		seq := r.l.state.Seq
		now := r.e.cfg.Now()
		for _, ev := range events {
			var c []orchestrator.Command
			r.l.state, c = orchestrator.Step(r.l.state, ev, now)
			cmds = append(cmds, c...)
		}
		if r.l.state.Seq == seq {
			return cmds, nil // nothing changed: nothing to save
		}
		err := r.e.persist(ctx, r.l)
		if err == nil {
			r.commit.mark()
			if r.e.cfg.Observe != nil {
				r.e.cfg.Observe(&r.l.state)
			}
			return cmds, nil
		}
		if !errors.Is(err, store.ErrConflict) || try >= maxConflicts {
			return nil, err
		}
		l, lerr := r.e.load(ctx, r.l.ref)
		if lerr != nil {
			return nil, lerr
		}
		r.l = l
	}
}

// runner is one Run in progress.
type runner struct {
	e    *Engine
	l    *loaded
	q    *queue
	mu   sync.Mutex
	tmrs []*time.Timer
	jobs map[string]string // attempt prefix -> job id, for cancels before the ack is saved

	commit *committer
}

// notified receives the store's object-created events.
func (r *runner) notified(ev store.Event) {
	if !strings.HasPrefix(ev.Key, "data/"+r.l.ref.Exec+"/") {
		return
	}
	if strings.HasSuffix(ev.Key, "/"+batchrunner.OutputsFile) || strings.HasSuffix(ev.Key, "/"+batchrunner.ErrorFile) ||
		strings.HasSuffix(ev.Key, "/"+batchrunner.ClaimFile) {
		r.q.pushKey(ev.Key)
	}
}

// drainQueue turns queued keys and ticks into events.
func (r *runner) drainQueue(ctx context.Context) ([]orchestrator.Event, error) {
	keys, ticks := r.q.drain()
	var events []orchestrator.Event
	for _, k := range keys {
		ev, err := r.keyEvent(ctx, k)
		if err != nil {
			return nil, err
		}
		if ev != nil {
			events = append(events, ev)
		}
	}
	if ticks > 0 {
		events = append(events, orchestrator.Tick{})
	}
	return events, nil
}

// keyEvent reads the object a notification named and makes the event.
func (r *runner) keyEvent(ctx context.Context, key string) (orchestrator.Event, error) {
	parts := strings.Split(strings.TrimPrefix(key, "data/"+r.l.ref.Exec+"/"), "/")
	if len(parts) != 3 {
		return nil, nil
	}
	node, item, ok := r.parseSeg(parts[0])
	attempt, err := strconv.Atoi(parts[1])
	if !ok || err != nil {
		return nil, nil
	}
	if parts[2] == batchrunner.ClaimFile {
		return orchestrator.AttemptStarted{Node: node, Item: item, Attempt: attempt}, nil
	}
	return r.resultEvent(ctx, node, item, attempt)
}

// parseSeg maps "<node>" or "<node>.<item>" to indices.
func (r *runner) parseSeg(seg string) (int32, int, bool) {
	wf := r.l.state.Compiled()
	if i, ok := wf.NodeIndex(seg); ok {
		return i, -1, true
	}
	dot := strings.LastIndexByte(seg, '.')
	if dot < 0 {
		return 0, 0, false
	}
	item, err := strconv.Atoi(seg[dot+1:])
	if err != nil {
		return 0, 0, false
	}
	i, ok := wf.NodeIndex(seg[:dot])
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

// poll asks the store about every active attempt.
func (r *runner) poll(ctx context.Context) ([]orchestrator.Event, error) {
	var events []orchestrator.Event
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

func (r *runner) wakeAt(at time.Time) {
	d := at.Sub(r.e.cfg.Now())
	if d < 0 {
		d = 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tmrs = append(r.tmrs, time.AfterFunc(d+time.Millisecond, r.q.pushTick))
}

func (r *runner) stopTimers() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.tmrs {
		t.Stop()
	}
}

// queue collects notifications from other goroutines.
type queue struct {
	mu     sync.Mutex
	keys   []string
	ticks  int
	signal chan struct{}
}

func newQueue() *queue { return &queue{signal: make(chan struct{}, 1)} }

func (q *queue) pushKey(k string) {
	q.mu.Lock()
	q.keys = append(q.keys, k)
	q.mu.Unlock()
	q.wake()
}

func (q *queue) pushTick() {
	q.mu.Lock()
	q.ticks++
	q.mu.Unlock()
	q.wake()
}

func (q *queue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *queue) drain() ([]string, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k, t := q.keys, q.ticks
	q.keys, q.ticks = nil, 0
	return k, t
}
