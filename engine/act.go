package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/catalog"
	"github.com/aloft-run/aloft/orchestrator"
)

// act carries out commands after their state was persisted and returns the
// events that acting produced (cache answers, dispatch acknowledgements).
// A failure to act on one command becomes an event about that node, so a
// broken adapter fails the node instead of hanging the run.
func (r *runner) act(ctx context.Context, cmds []orchestrator.Command) []orchestrator.Event {
	var events []orchestrator.Event
	if as, ok := r.e.cfg.Dispatcher.(batchrunner.ArraySubmitter); ok {
		cmds, events = r.dispatchArrays(ctx, as, cmds)
	}
	var finish *orchestrator.Finish
	for _, c := range cmds {
		switch c := c.(type) {
		case orchestrator.LookupCache:
			events = append(events, r.lookup(ctx, c))
		case orchestrator.Dispatch:
			events = append(events, r.dispatch(ctx, c))
		case orchestrator.WriteCatalog:
			r.writeCatalog(ctx, c)
		case orchestrator.Reserve:
			events = append(events, r.reserve(ctx, c))
		case orchestrator.Release:
			r.release(ctx, c)
		case orchestrator.Cancel:
			r.cancel(ctx, c)
		case orchestrator.Wake:
			r.wakeAt(c.At)
		case orchestrator.Finish:
			finish = &c
		case orchestrator.Notify:
			r.notify(ctx, c.Phase)
		}
	}
	// The finish last: it drops the marker by which a sweep finds the
	// execution again, so the notifications go first.
	if finish != nil {
		r.e.unmarkActive(ctx, r.l.ref)
		if r.l.state.Phase.Terminal() {
			r.e.reindexEnded(ctx, &r.l.state)
		}
		if r.e.cfg.Finished != nil && r.l.state.Phase.Terminal() {
			r.e.cfg.Finished(&r.l.state)
		}
	}
	return events
}

func (r *runner) lookup(ctx context.Context, c orchestrator.LookupCache) orchestrator.CacheResult {
	miss := orchestrator.CacheResult{Node: c.Node, Item: c.Item}
	ref := r.l.ref
	key, err := catalog.Key(ref.Project, ref.Domain, c.Task, c.Inputs)
	if err != nil {
		r.e.warnf("cache lookup for node %s: %v; running it", r.nodeName(c.Node, c.Item), err)
		return miss
	}
	// Lookup checks the outputs' sizes and digests against the store's
	// record of them and quarantines a blob that fails (Decision 23).
	entry, err := r.e.cat.Lookup(ctx, ref.Project, ref.Domain, c.Task, key, r.e.cfg.Now())
	if err != nil {
		if !errors.Is(err, catalog.ErrNotFound) || errors.Is(err, catalog.ErrUnusable) {
			r.e.warnf("cache lookup for node %s: %v; running it", r.nodeName(c.Node, c.Item), err)
		}
		return miss
	}
	return orchestrator.CacheResult{Node: c.Node, Item: c.Item, Hit: true, Outputs: entry.Outputs}
}

func (r *runner) dispatch(ctx context.Context, c orchestrator.Dispatch) orchestrator.Event {
	j, err := r.writeAttempt(ctx, c)
	if err == nil && r.e.cfg.Dispatcher == nil {
		err = errors.New("no dispatcher")
	}
	var id string
	if err == nil {
		id, err = r.e.cfg.Dispatcher.Submit(ctx, j)
	}
	if err != nil {
		return dispatchFailed(c.Node, j, err)
	}
	return r.dispatched(c.Node, j, id)
}

// writeAttempt writes the attempt a Dispatch asks for (its inputs.json) and
// returns the job that runs it.
func (r *runner) writeAttempt(ctx context.Context, c orchestrator.Dispatch) (batchrunner.Job, error) {
	ref := r.l.ref
	j := batchrunner.Job{Exec: ref.Exec, Node: c.NodeName, Item: c.Item, Attempt: c.Attempt, Task: c.Task}
	a := &batchrunner.Attempt{Project: ref.Project, Domain: ref.Domain, Exec: ref.Exec, Node: c.NodeName,
		Item: c.Item, Attempt: c.Attempt, Task: *c.Task, Inputs: c.Inputs}
	var err error
	j.Prefix, err = batchrunner.WriteAttempt(ctx, r.e.cfg.Store, a)
	j.Spec = a
	return j, err
}

// dispatched records a submitted job (for cancels before the
// acknowledgement is saved) and acknowledges its attempt.
func (r *runner) dispatched(node int32, j batchrunner.Job, id string) orchestrator.Event {
	r.jobs[j.Prefix] = id
	return orchestrator.Dispatched{Node: node, Item: j.Item, Attempt: j.Attempt, JobID: id, Target: batchrunner.TargetOf(r.e.cfg.Dispatcher)}
}

// dispatchFailed fails an attempt that could not be dispatched, as a system
// error (retried within the system budget).
func dispatchFailed(node int32, j batchrunner.Job, err error) orchestrator.Event {
	return orchestrator.AttemptFailed{Node: node, Item: j.Item, Attempt: j.Attempt, Kind: orchestrator.ErrSystem,
		Message: fmt.Sprintf("dispatch: %v", err)}
}

// dispatchArrays submits the dispatches of two or more items of one map
// node as one array job, and returns the other commands.
func (r *runner) dispatchArrays(ctx context.Context, as batchrunner.ArraySubmitter, cmds []orchestrator.Command) ([]orchestrator.Command, []orchestrator.Event) {
	groups := map[int32][]orchestrator.Dispatch{}
	for _, c := range cmds {
		if d, ok := c.(orchestrator.Dispatch); ok && d.Item >= 0 {
			groups[d.Node] = append(groups[d.Node], d)
		}
	}
	var rest []orchestrator.Command
	for _, c := range cmds {
		if d, ok := c.(orchestrator.Dispatch); ok && len(groups[d.Node]) > 1 && d.Item >= 0 {
			continue
		}
		rest = append(rest, c)
	}
	var events []orchestrator.Event
	for _, c := range cmds { // in command order, one submission per node
		d, ok := c.(orchestrator.Dispatch)
		group := groups[d.Node]
		if !ok || d.Item < 0 || len(group) < 2 {
			continue
		}
		delete(groups, d.Node)
		jobs := make([]batchrunner.Job, 0, len(group))
		for _, g := range group {
			j, err := r.writeAttempt(ctx, g)
			if err != nil {
				events = append(events, dispatchFailed(g.Node, j, err))
				continue
			}
			jobs = append(jobs, j)
		}
		for len(jobs) > 0 {
			n := min(len(jobs), maxArray)
			events = append(events, r.submitArray(ctx, as, d.Node, jobs[:n])...)
			jobs = jobs[n:]
		}
	}
	return rest, events
}

// maxArray is the most items one array job carries (AWS Batch allows
// 10,000); a bigger map is submitted in several arrays.
const maxArray = 10000

// submitArray submits one array job and acknowledges (or fails) its items.
func (r *runner) submitArray(ctx context.Context, as batchrunner.ArraySubmitter, node int32, jobs []batchrunner.Job) []orchestrator.Event {
	ids, err := as.SubmitArray(ctx, jobs)
	if err == nil && len(ids) != len(jobs) {
		err = fmt.Errorf("array job: %d ids for %d items", len(ids), len(jobs))
	}
	events := make([]orchestrator.Event, len(jobs))
	for i, j := range jobs {
		if err != nil {
			events[i] = dispatchFailed(node, j, err)
		} else {
			events[i] = r.dispatched(node, j, ids[i])
		}
	}
	return events
}

func (r *runner) writeCatalog(ctx context.Context, c orchestrator.WriteCatalog) {
	ref := r.l.ref
	key, hashes, err := catalog.KeyAndHashes(ref.Project, ref.Domain, c.Task, c.Inputs)
	if err != nil {
		r.e.warnf("caching the outputs of node %s: %v", r.nodeName(c.Node, c.Item), err)
		return
	}
	node := r.l.state.Compiled().Nodes[c.Node].Name
	e := &catalog.Entry{Inputs: hashes, Outputs: c.Outputs, Exec: ref.Exec, Node: node, Created: r.e.cfg.Now().UTC()}
	if r.l.state.OverwriteCache {
		err = r.e.cat.Overwrite(ctx, ref.Project, ref.Domain, c.Task, key, e)
	} else {
		err = r.e.cat.Put(ctx, ref.Project, ref.Domain, c.Task, key, e)
	}
	if err != nil {
		r.e.warnf("caching the outputs of node %s: %v (the next run will recompute it)", r.nodeName(c.Node, c.Item), err)
	}
}

// nodeName names a node, or one item of a map node, for messages.
func (r *runner) nodeName(node int32, item int) string {
	name := r.l.state.Compiled().Nodes[node].Name
	if item >= 0 {
		return fmt.Sprintf("%s.%d", name, item)
	}
	return name
}

func (r *runner) cancel(ctx context.Context, c orchestrator.Cancel) {
	if r.e.cfg.Dispatcher == nil {
		return
	}
	job := c.JobID
	if job == "" {
		name := r.l.state.Compiled().Nodes[c.Node].Name
		job = r.jobs[batchrunner.AttemptPrefix(r.l.ref.Exec, name, c.Item, c.Attempt)]
	}
	if job != "" {
		_ = r.e.cfg.Dispatcher.Cancel(ctx, job)
	}
}
