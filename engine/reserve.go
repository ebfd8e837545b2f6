package engine

import (
	"context"
	"errors"
	"time"

	"github.com/aloft-run/aloft/catalog"
	"github.com/aloft-run/aloft/orchestrator"
)

// Defaults of Config.ReservationLease and Config.ReservationRenew.
const (
	DefaultReservationLease = 5 * time.Minute
	DefaultReservationRenew = time.Minute
)

// holder names who holds a reservation: one node (or map item) of one
// execution, whatever its attempt, so that its retries keep it.
func (r *runner) holder(node int32, item int) string {
	return r.l.ref.Exec + "/" + r.nodeName(node, item)
}

// reserve carries out a Reserve (Decision 33): it takes the reservation of
// the node's cache key, or learns until when another holder's lease runs.
// Having taken it, it looks the entry up once more: the holder before may
// have written it and released just before. A catalog that cannot be
// reserved in does not hold the node back: it runs unserialized.
func (r *runner) reserve(ctx context.Context, c orchestrator.Reserve) orchestrator.Event {
	taken := orchestrator.Reserved{Node: c.Node, Item: c.Item, Try: c.Try, Taken: true}
	ref := r.l.ref
	key, err := catalog.Key(ref.Project, ref.Domain, c.Task, c.Inputs)
	if err != nil {
		r.e.warnf("reserve the cache key of node %s: %v; running it", r.nodeName(c.Node, c.Item), err)
		return taken
	}
	now := r.e.cfg.Now()
	ok, until, err := r.e.cat.Reserve(ctx, ref.Project, ref.Domain, c.Task, key, r.holder(c.Node, c.Item), now, r.e.cfg.ReservationLease)
	if err != nil {
		r.e.warnf("reserve the cache key of node %s: %v; running it", r.nodeName(c.Node, c.Item), err)
		return taken
	}
	if !ok {
		return orchestrator.Reserved{Node: c.Node, Item: c.Item, Try: c.Try, Until: until}
	}
	if hit := r.lookup(ctx, orchestrator.LookupCache{Node: c.Node, Item: c.Item, Task: c.Task, Inputs: c.Inputs}); hit.Hit {
		r.release(ctx, orchestrator.Release{Node: c.Node, Item: c.Item, Task: c.Task, Inputs: c.Inputs})
		return hit
	}
	return taken
}

// release gives a reservation up after its node ended.
func (r *runner) release(ctx context.Context, c orchestrator.Release) {
	ref := r.l.ref
	key, err := catalog.Key(ref.Project, ref.Domain, c.Task, c.Inputs)
	if err == nil {
		err = r.e.cat.Release(ctx, ref.Project, ref.Domain, c.Task, key, r.holder(c.Node, c.Item))
	}
	if err != nil {
		r.e.warnf("release the cache reservation of node %s: %v (it lapses with its lease)", r.nodeName(c.Node, c.Item), err)
	}
}

// renewDue renews the leases of the reservations the execution holds (its
// serialized nodes that have not ended) once every ReservationRenew.
func (r *runner) renewDue(ctx context.Context) {
	now := r.e.cfg.Now()
	if !r.renewed.IsZero() && now.Sub(r.renewed) < r.e.cfg.ReservationRenew {
		return
	}
	r.renewed = now
	ref := r.l.ref
	for _, c := range orchestrator.HeldReservations(r.l.state) {
		key, err := catalog.Key(ref.Project, ref.Domain, c.Task, c.Inputs)
		if err == nil {
			err = r.e.cat.Renew(ctx, ref.Project, ref.Domain, c.Task, key, r.holder(c.Node, c.Item), now, r.e.cfg.ReservationLease)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			r.e.warnf("renew the cache reservation of node %s: %v", r.nodeName(c.Node, c.Item), err)
		}
	}
}

// renewTicker wakes Run's loop every ReservationRenew while the workflow
// has serialized tasks, so that held leases are renewed however busy or
// idle the loop is; the result stops it.
func (r *runner) renewTicker() (stop func()) {
	serial := false
	for _, t := range r.l.state.Compiled().Tasks {
		serial = serial || t.Cache != nil && t.Cache.Serialize
	}
	if !serial {
		return func() {}
	}
	tk := time.NewTicker(r.e.cfg.ReservationRenew)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-tk.C:
				r.q.pushTick()
			case <-done:
				return
			}
		}
	}()
	return func() { tk.Stop(); close(done) }
}

// waitingHits looks up the catalog entries that waiting nodes wait for and
// returns the hits: how an execution learns of another's catalog write
// when no notification reached it (another process, the sweep).
func (r *runner) waitingHits(ctx context.Context) []orchestrator.Event {
	var events []orchestrator.Event
	for _, c := range orchestrator.WaitingLookups(r.l.state) {
		if ev := r.lookup(ctx, c); ev.Hit {
			events = append(events, ev)
		}
	}
	return events
}
