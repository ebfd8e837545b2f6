package orchestrator

import "time"

// AttemptRef names one attempt of a node or map item.
type AttemptRef struct {
	Node    int32
	Item    int
	Attempt int
	JobID   string
	Target  string // the dispatcher of its job: local, aws-batch, gcp-batch
	Phase   Phase
	Start   int64 // unix ms: when the node (or map item) started
	Since   int64 // unix ms: this attempt was queued no earlier (Start, or when its retry was due)
}

// ActiveAttempts lists the attempts that may be running: queued or running.
// A shell that restarts after a crash asks the store what became of each.
func ActiveAttempts(s State) []AttemptRef {
	var out []AttemptRef
	each(s, func(node int32, item int, it *NodeState) {
		if it.Phase.Active() && it.Attempt > 0 {
			out = append(out, AttemptRef{Node: node, Item: item, Attempt: it.Attempt, JobID: it.JobID, Target: it.Target, Phase: it.Phase, Start: it.Start, Since: max(it.Start, it.RetryAt)})
		}
	})
	return out
}

// PendingCommands recomputes the intentions a saved state implies but that may not
// have been acted on (a crash between persist and act): cache lookups in
// flight, reservations asked for, dispatches not yet acknowledged, retry
// and lease timers, and the finish of
// an ended run with, for an aborted one, the cancels of its stopped jobs. Redelivering them is harmless: lookups are reads, and a
// Dispatch is deduplicated by the attempt's claim.
func PendingCommands(s State) []Command {
	if s.wf == nil {
		return nil
	}
	if s.Phase.Terminal() {
		var cmds []Command
		if s.Phase == ExecAborted {
			// The cancels of the attempts the abort stopped: a job whose
			// cancel was lost in a crash would otherwise run on. Cancelling
			// a job that ended is harmless.
			each(s, func(node int32, item int, it *NodeState) {
				if it.Phase == Aborted && it.Attempt > 0 && it.JobID != "" {
					cmds = append(cmds, Cancel{Node: node, Item: item, Attempt: it.Attempt, JobID: it.JobID})
				}
			})
		}
		return append(cmds, Finish{Phase: s.Phase, Outputs: s.Outputs, Error: s.Error})
	}
	if s.Phase != ExecRunning {
		return nil
	}
	m := machine{s: &s, wf: s.wf}
	var cmds []Command
	each(s, func(node int32, item int, it *NodeState) {
		n := &s.wf.Nodes[node]
		t := s.wf.Tasks[n.Task]
		switch {
		case it.Phase == CacheLookup && it.Missed:
			cmds = append(cmds, Reserve{Node: node, Item: item, Try: it.Tries, Task: t, Inputs: m.itemInputs(node, item)})
		case it.Phase == CacheLookup:
			cmds = append(cmds, LookupCache{Node: node, Item: item, Task: t, Inputs: m.itemInputs(node, item)})
		case it.Phase == Queued && it.JobID == "":
			cmds = append(cmds, Dispatch{Node: node, NodeName: n.Name, Item: item, Attempt: it.Attempt, Task: t, Inputs: m.itemInputs(node, item)})
		case it.Phase == Retrying || it.Phase == Waiting:
			cmds = append(cmds, Wake{At: time.UnixMilli(it.RetryAt).UTC()})
		}
	})
	return cmds
}

// each visits every node, and every item of a map node, that is not a
// container of items itself.
func each(s State, fn func(node int32, item int, it *NodeState)) {
	for i := range s.Nodes {
		ns := &s.Nodes[i]
		if s.wf != nil && s.wf.Nodes[i].Kind == NodeMap {
			for j := range ns.Items {
				fn(int32(i), j, &ns.Items[j])
			}
			continue
		}
		fn(int32(i), -1, ns)
	}
}

// HeldReservations lists the reservations of serialized cache keys a
// running execution holds (nodes that have not ended), whose leases its
// shell renews while they run.
func HeldReservations(s State) []Reserve {
	var out []Reserve
	serialNodes(s, func(node int32, it *NodeState, m *machine) {
		if it.Held && !it.Phase.Terminal() {
			out = append(out, Reserve{Node: node, Item: -1, Try: it.Tries, Task: m.wf.Tasks[m.wf.Nodes[node].Task], Inputs: m.itemInputs(node, -1)})
		}
	})
	return out
}

// WaitingLookups lists the cache lookups whose hits would wake a running
// execution's waiting nodes: a shell that hears of no catalog write (one
// made by another process, or a lost notification) asks them again.
func WaitingLookups(s State) []LookupCache {
	var out []LookupCache
	serialNodes(s, func(node int32, it *NodeState, m *machine) {
		if it.Phase == Waiting {
			out = append(out, LookupCache{Node: node, Item: -1, Task: m.wf.Tasks[m.wf.Nodes[node].Task], Inputs: m.itemInputs(node, -1)})
		}
	})
	return out
}

// serialNodes visits the task nodes of a running execution (map items are
// not serialized).
func serialNodes(s State, fn func(node int32, it *NodeState, m *machine)) {
	if s.wf == nil || s.Phase != ExecRunning {
		return
	}
	m := &machine{s: &s, wf: s.wf}
	for i := range s.Nodes {
		if s.wf.Nodes[i].Kind != NodeMap {
			fn(int32(i), &s.Nodes[i], m)
		}
	}
}
