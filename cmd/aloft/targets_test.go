package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/deployment"
	"github.com/aloft-run/aloft/store/dirstore"
)

const gcpTaskSpec = `apiVersion: aloft/v1
kind: Workflow
name: on_gcp
tasks:
  hi:
    image: example.com/hi:1
    target: gcp-batch
    command: [echo, hi]
nodes:
  hi: {task: hi}
`

// register checks each task's target against the deployment record, and
// says so when there is none to check against.
func TestRegisterChecksTargets(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	spec := s.write(t, "wf.yaml", gcpTaskSpec)

	r := s.run(t, "register", spec, "--version", "v1").check(t, exitOK)
	assert.Contains(t, r.err, "no deployment record")
	assert.Contains(t, r.err, "task targets not checked")

	st, err := dirstore.Open(s.store)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, deployment.Write(ctx, st, &deployment.Record{Stack: "aloft", Targets: []deployment.Target{{Name: "aws-batch"}}}))
	r = s.run(t, "register", spec, "--version", "v2").check(t, exitFailed)
	assert.Contains(t, r.err, `task hi: target "gcp-batch" is not offered by deployment aloft (it offers aws-batch)`)
	assert.NotContains(t, r.err, "not checked")

	require.NoError(t, deployment.Write(ctx, st, &deployment.Record{Stack: "aloft", Targets: []deployment.Target{{Name: "aws-batch"}, {Name: "gcp-batch"}}}))
	r = s.run(t, "register", spec, "--version", "v2").check(t, exitOK)
	assert.NotContains(t, r.err, "not checked")
}
