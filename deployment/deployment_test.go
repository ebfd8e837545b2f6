package deployment_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/deployment"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

func TestReadWrite(t *testing.T) {
	ctx := context.Background()
	st, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)

	_, err = deployment.Read(ctx, st)
	assert.ErrorIs(t, err, deployment.ErrNoRecord)

	rec := &deployment.Record{
		Stack: "aloft",
		Targets: []deployment.Target{{Name: "aws-batch", Queues: []deployment.Queue{
			{Name: "cpu", ARN: "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-cpu"},
			{Name: "gpu-spot", ARN: "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu-spot", Spot: true, Accelerators: []string{"nvidia-t4"}},
		}}},
		TaskLogGroup: "aloft-TaskLogs", SecretsPrefix: "aloft/", NotificationTopic: "arn:n", AlarmTopic: "arn:a",
		GCP: &deployment.GCP{Project: "p", Region: "europe-west4"},
	}
	require.NoError(t, deployment.Write(ctx, st, rec))
	got, err := deployment.Read(ctx, st)
	require.NoError(t, err)
	assert.Equal(t, rec, got)
	assert.Equal(t, deployment.Version, got.Version)

	// The record sits at the bucket's root under its layout key.
	b, _, err := store.ReadAll(ctx, st, layout.DeploymentKey)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"task_log_group":"aloft-TaskLogs"`)
}

func TestReadRejectsOtherVersions(t *testing.T) {
	ctx := context.Background()
	st, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)
	_, err = store.PutBytes(ctx, st, layout.DeploymentKey, []byte(`{"version":99}`), store.PutOptions{})
	require.NoError(t, err)
	_, err = deployment.Read(ctx, st)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "version 99")
}

func TestCheckTarget(t *testing.T) {
	rec := &deployment.Record{Stack: "prod", Targets: []deployment.Target{{Name: "gcp-batch"}, {Name: "aws-batch"}}}
	assert.True(t, rec.Offers("aws-batch"))
	assert.False(t, rec.Offers("local"))
	assert.Equal(t, []string{"aws-batch", "gcp-batch"}, rec.TargetNames())
	require.NoError(t, rec.CheckTarget("gcp-batch"))
	err := rec.CheckTarget("local")
	require.Error(t, err)
	for _, want := range []string{`"local"`, "prod", "aws-batch, gcp-batch"} {
		assert.True(t, strings.Contains(err.Error(), want), err.Error())
	}
}
