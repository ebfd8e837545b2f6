package functions_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// linesSpec counts the lines of a file.
const linesSpec = `apiVersion: aloft/v1
kind: Workflow
name: lines
inputs:
  text: {type: file}
tasks:
  count:
    inputs: {text: file}
    outputs: {lines: int}
    command: [sh, -c, 'wc -l < "$1" > "$2"', count, "{{inputs.text}}", "{{outputs.lines}}"]
nodes:
  count: {task: count, inputs: {text: "{{inputs.text}}"}}
`

// TestControlNeverAdoptsOwnedExecutions: an execution an aloft run owns
// (its owner marker is there, live or not) is neither advanced by the
// results of its attempts nor swept: aloft dev and the advance function
// drop its events without redelivery.
func TestControlNeverAdoptsOwnedExecutions(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	dir := t.TempDir()
	specPath := filepath.Join(dir, "wf.yaml")
	require.NoError(t, os.WriteFile(specPath, []byte(linesSpec), 0o644))
	spec, err := orchestrator.ParseFiles(specPath)
	require.NoError(t, err)
	wf, err := orchestrator.Compile(spec, "lines")
	require.NoError(t, err)
	text := filepath.Join(dir, "a.txt")
	require.NoError(t, os.WriteFile(text, []byte("one\n"), 0o644))
	ref, err := w.adv.Engine.Start(ctx, wf, map[string]orchestrator.Literal{"text": orchestrator.File(orchestrator.Blob{URI: text})}, engine.StartOptions{Swept: true})
	require.NoError(t, err)
	_, err = w.adv.Engine.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	require.NotEmpty(t, w.d.jobs)
	first := w.d.jobs[0]
	_, err = store.PutJSON(ctx, w.st, ref.OwnerKey(), engine.Owner{Process: batchrunner.ProcessID{PID: 1, BootID: "gone"}, Heartbeat: clock.Add(-time.Hour)}, store.PutOptions{})
	require.NoError(t, err)
	before, err := w.adv.Engine.Load(ctx, ref)
	require.NoError(t, err)
	// The attempt failed: its error.json is announced.
	_, err = batchrunner.WriteFailure(ctx, w.st, first.Prefix, &batchrunner.Failure{Kind: orchestrator.ErrUser, Message: "boom", JobID: "job-1"})
	require.NoError(t, err)
	ev := functions.ObjectCreated(bucket, first.Prefix+batchrunner.ErrorFile, 10, "e", "", clock)
	resp := w.adv.AdvanceBatch(ctx, []functions.SQSMessage{{MessageID: "m1", Body: string(ev)}})
	assert.Empty(t, resp.BatchItemFailures, "dropped, not redelivered")
	sum, err := w.adv.SweepAll(ctx)
	require.NoError(t, err)
	assert.Empty(t, sum.Errors)
	after, err := w.adv.Engine.Load(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, before.Seq, after.Seq, "the owned execution is unchanged")
	assert.Len(t, w.d.jobs, 1, "nothing dispatched for it")
}
