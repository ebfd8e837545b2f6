package functions

import (
	"context"
	"errors"
	"fmt"

	"github.com/aloft-run/aloft/batchrunner/awsbatch"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// BatchJobEvents parses AWS Batch "Job State Change" events into job
// updates of aloft attempts (array children through their manifest).
func BatchJobEvents(st store.Store) JobEvents {
	return func(ctx context.Context, event []byte) (JobEvent, bool, error) {
		sc, err := awsbatch.ParseStateChange(event)
		if err != nil {
			return JobEvent{}, false, &permanentError{err}
		}
		return jobEvent(ctx, st, sc.JobStatus)
	}
}

func jobEvent(ctx context.Context, st store.Store, s awsbatch.JobStatus) (JobEvent, bool, error) {
	out := s.Outcome()
	if out.State != awsbatch.Started && out.State != awsbatch.Failed {
		return JobEvent{}, false, nil // the result object decides; parents summarise
	}
	if s.Tags.Exec == "" {
		return JobEvent{}, false, nil // not aloft's job
	}
	prefix, err := awsbatch.AttemptOf(ctx, st, s)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return JobEvent{}, false, &permanentError{err}
		}
		return JobEvent{}, false, err
	}
	exec, node, item, attempt, err := ParseAttemptPrefix(prefix)
	if err != nil {
		return JobEvent{}, false, &permanentError{err}
	}
	u := engine.JobUpdate{Node: node, Item: item, Attempt: attempt, Started: out.State == awsbatch.Started, Reclaims: s.Reclaims,
		Failed: out.State == awsbatch.Failed, Kind: out.Kind, Message: out.Message}
	ref := engine.Ref{Project: s.Tags.Project, Domain: s.Tags.Domain, Exec: exec}
	return JobEvent{Ref: ref, Update: u}, true, nil
}

// ParseAttemptPrefix splits data/<exec>/<node>[.<item>]/<attempt>/.
func ParseAttemptPrefix(prefix string) (exec, node string, item, attempt int, err error) {
	exec, seg, attempt, ok := layout.ParseAttemptPrefix(prefix)
	if !ok {
		return "", "", 0, 0, fmt.Errorf("%q is not an attempt prefix", prefix)
	}
	node, item = layout.ParseAttemptSeg(seg)
	return exec, node, item, attempt, nil
}

// BatchDescriber asks AWS Batch about the jobs of an execution's active
// attempts, for the sweep: jobs that failed without a result (and whose
// events were lost) become failed attempts.
func BatchDescriber(d *awsbatch.Dispatcher, st store.Store) JobDescriber {
	return func(ctx context.Context, ref engine.Ref, active []orchestrator.AttemptRef, wf *orchestrator.Compiled) ([]engine.Signal, error) {
		var ids []string
		for _, a := range active {
			if a.JobID != "" {
				ids = append(ids, a.JobID)
			}
		}
		if len(ids) == 0 {
			return nil, nil
		}
		statuses, err := d.Describe(ctx, ids)
		if err != nil {
			return nil, err
		}
		var out []engine.Signal
		for _, s := range statuses {
			je, ok, err := jobEvent(ctx, st, s)
			if err != nil || !ok || !je.Update.Failed {
				continue
			}
			out = append(out, je.Update)
		}
		return out, nil
	}
}
