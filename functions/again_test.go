package functions_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
)

// A recover request through the control plane: the new execution reuses
// what succeeded in the failed one (no job for it) and records where it
// came from; a request for a running execution is rejected, not retried.
func TestAdvanceStartsRecoverAndRelaunchRequests(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	old := w.startExec(t, "r1a2b3c4d")
	first := w.d.jobs[0]
	request := func(kind, id string) functions.BatchResponse {
		t.Helper()
		_, err := registry.PutAgainRequest(ctx, w.st, &registry.AgainRequest{Kind: kind, ID: id, Project: "default",
			Domain: "development", From: old.Exec, RequestedAt: clock, Cause: "cli"})
		require.NoError(t, err)
		body, _ := json.Marshal(functions.SQSEvent{Records: []functions.SQSMessage{
			{MessageID: "m-" + id, Body: string(functions.ObjectCreated(bucket, layout.RequestKey(kind, id), 1, "e", "", clock))}}})
		out, err := w.adv.Handle(ctx, body)
		require.NoError(t, err)
		return out.(functions.BatchResponse)
	}

	// Running: rejected with the reason, and not sent back.
	resp := request(layout.RequestRecover, "r5early")
	assert.Empty(t, resp.BatchItemFailures)
	rej, err := registry.GetRejection(ctx, w.st, "default", "development", "r5early")
	require.NoError(t, err)
	assert.Contains(t, rej.Reason, "is running")

	// The first node succeeds, the second fails for good: the run fails.
	s, err := w.adv.Engine.Load(ctx, old)
	require.NoError(t, err)
	i, _ := s.Compiled().NodeIndex(first.Node)
	_, err = w.adv.Engine.Advance(ctx, old, []engine.Signal{engine.CancelRequest{Reason: "stop"}})
	require.NoError(t, err)
	// Mark the first node succeeded in the saved state, as if it had
	// finished before the abort (its outputs are what it would give).
	s, err = w.adv.Engine.Load(ctx, old)
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecAborted, s.Phase)
	s.Nodes[i].Phase, s.Nodes[i].Outputs = orchestrator.Succeeded, map[string]orchestrator.Literal{}
	for _, o := range s.Compiled().Nodes[i].Outputs {
		s.Nodes[i].Outputs[o.Name] = orchestrator.File(orchestrator.Blob{URI: w.st.URI("data/r1a2b3c4d/out/" + o.Name)})
	}
	b, err := s.Encode()
	require.NoError(t, err)
	_, err = store.PutBytes(ctx, w.st, old.StateKey(), b, store.PutOptions{})
	require.NoError(t, err)

	jobs := len(w.d.jobs)
	resp = request(layout.RequestRecover, "r6recover")
	require.Empty(t, resp.BatchItemFailures)
	rec, err := w.adv.Engine.Load(ctx, engine.Ref{Project: "default", Domain: "development", Exec: "r6recover"})
	require.NoError(t, err)
	assert.Equal(t, old.Exec, rec.RecoveredFrom)
	assert.Equal(t, "diabetes_nightly", rec.LaunchPlan)
	assert.True(t, rec.Nodes[i].Recovered, "the node that succeeded is reused")
	for _, j := range w.d.jobs[jobs:] {
		assert.NotEqual(t, first.Node, j.Node, "the recovered node was dispatched again")
	}
	assert.Greater(t, len(w.d.jobs), jobs, "the nodes after it are dispatched")

	jobs = len(w.d.jobs)
	resp = request(layout.RequestRelaunch, "r7relaunch")
	require.Empty(t, resp.BatchItemFailures)
	rel, err := w.adv.Engine.Load(ctx, engine.Ref{Project: "default", Domain: "development", Exec: "r7relaunch"})
	require.NoError(t, err)
	assert.Equal(t, old.Exec, rel.RelaunchedFrom)
	require.Greater(t, len(w.d.jobs), jobs)
	assert.Equal(t, first.Node, w.d.jobs[jobs].Node, "a relaunch runs the first node again")

	// Delivered again: still one run each, no new job.
	jobs = len(w.d.jobs)
	request(layout.RequestRelaunch, "r7relaunch")
	assert.Len(t, w.d.jobs, jobs)
}
