package awsbatch_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner/awsbatch"
	"github.com/aloft-run/aloft/batchrunner/awsbatch/batchtest"
	"github.com/aloft-run/aloft/orchestrator"
)

// registered is the part of a RegisterJobDefinition body these tests read.
type registered struct {
	JobDefinitionName   string
	Tags                map[string]string
	ContainerProperties struct {
		NetworkConfiguration *struct{ AssignPublicIp string }
		LogConfiguration     *struct {
			LogDriver string
			Options   map[string]string
		}
	}
}

func (f *fixture) registrations(t *testing.T) []registered {
	t.Helper()
	var out []registered
	for _, r := range f.srv.Requests("RegisterJobDefinition") {
		var reg registered
		require.NoError(t, json.Unmarshal(r.Body, &reg))
		out = append(out, reg)
	}
	return out
}

// The stack's settings reach every job definition: no public IP in private
// subnets, the stack's task log group, the stack's definition prefix and
// managed tag; every job carries the managed tag too.
func TestSettingsReachDefinitionsAndJobs(t *testing.T) {
	f := newFixture(t, batchtest.Options{}, func(c *awsbatch.Config) {
		c.AssignPublicIP = awsbatch.PublicIPDisabled
		c.LogGroup = "aloft-TaskLogs1234"
		c.JobDefinitionPrefix = "prod-"
		c.ManagedTag = "prod"
	})
	ctx := context.Background()
	plain := task("score", orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 200 * mi})
	_, err := f.d.Submit(ctx, f.job(t, "r1", "score", -1, 1, plain))
	require.NoError(t, err)

	regs := f.registrations(t)
	require.Len(t, regs, 1)
	reg := regs[0]
	assert.Equal(t, awsbatch.JobDefinitionName(f.cfg, plain.Image, awsbatch.Fargate), reg.JobDefinitionName)
	assert.True(t, strings.HasPrefix(reg.JobDefinitionName, "prod-"), reg.JobDefinitionName)
	assert.Equal(t, map[string]string{awsbatch.TagManaged: "prod"}, reg.Tags)
	require.NotNil(t, reg.ContainerProperties.NetworkConfiguration)
	assert.Equal(t, "DISABLED", reg.ContainerProperties.NetworkConfiguration.AssignPublicIp)
	require.NotNil(t, reg.ContainerProperties.LogConfiguration)
	assert.Equal(t, "awslogs", reg.ContainerProperties.LogConfiguration.LogDriver)
	assert.Equal(t, map[string]string{"awslogs-group": "aloft-TaskLogs1234"}, reg.ContainerProperties.LogConfiguration.Options)

	subs := f.submits(t)
	require.Len(t, subs, 1)
	assert.Equal(t, "prod", subs[0].Tags[awsbatch.TagManaged])
}

// By default Fargate jobs get a public IP (the stack's own VPC has public
// subnets and no NAT) and log to Batch's default group.
func TestSettingsDefaults(t *testing.T) {
	f := newFixture(t, batchtest.Options{}, nil)
	_, err := f.d.Submit(context.Background(), f.job(t, "r1", "score", -1, 1, task("score", orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 200 * mi})))
	require.NoError(t, err)
	regs := f.registrations(t)
	require.Len(t, regs, 1)
	assert.True(t, strings.HasPrefix(regs[0].JobDefinitionName, awsbatch.DefaultJobDefinitionPrefix))
	assert.Equal(t, map[string]string{awsbatch.TagManaged: awsbatch.DefaultManagedTag}, regs[0].Tags)
	require.NotNil(t, regs[0].ContainerProperties.NetworkConfiguration)
	assert.Equal(t, "ENABLED", regs[0].ContainerProperties.NetworkConfiguration.AssignPublicIp)
	assert.Nil(t, regs[0].ContainerProperties.LogConfiguration)
}

// The log group and the public IP are part of a definition's content
// address: changing either makes a new definition.
func TestSettingsChangeDefinitionName(t *testing.T) {
	base := awsbatch.Config{JobRoleARN: "r", ExecutionRoleARN: "e"}
	name := awsbatch.JobDefinitionName(base, "img", awsbatch.Fargate)
	logs, private := base, base
	logs.LogGroup = "g"
	private.AssignPublicIP = awsbatch.PublicIPDisabled
	assert.NotEqual(t, name, awsbatch.JobDefinitionName(logs, "img", awsbatch.Fargate))
	assert.NotEqual(t, name, awsbatch.JobDefinitionName(private, "img", awsbatch.Fargate))
	// EC2 definitions have no network configuration: the setting is not in their address.
	assert.Equal(t, awsbatch.JobDefinitionName(base, "img", awsbatch.EC2), awsbatch.JobDefinitionName(private, "img", awsbatch.EC2))
}

func TestSettingsRejectBadPublicIP(t *testing.T) {
	_, err := awsbatch.New(awsbatch.Config{Client: client("http://127.0.0.1:1"), Bucket: newFixture(t, batchtest.Options{}, nil).bucket,
		Store: "s3://b", Queues: awsbatch.Queues{CPU: "q"}, ExecutionRoleARN: "e", AssignPublicIP: "yes"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ENABLED")
}

// Interruptible GPU tasks go to the GPU spot queue; without one, to the GPU queue.
func TestInterruptibleGPUQueue(t *testing.T) {
	gpu := task("train", orchestrator.Resources{CPUMilli: 3500, MemoryBytes: 15 << 30, GPU: 1})
	gpu.Interruptible = true
	for _, c := range []struct{ spot, want string }{{"aloft-gpu-spot", "aloft-gpu-spot"}, {"", "aloft-gpu"}} {
		f := newFixture(t, batchtest.Options{}, func(cfg *awsbatch.Config) { cfg.Queues.GPUSpot = c.spot })
		_, err := f.d.Submit(context.Background(), f.job(t, "r1", "train", -1, 1, gpu))
		require.NoError(t, err)
		subs := f.submits(t)
		require.Len(t, subs, 1)
		assert.Equal(t, c.want, subs[0].JobQueue)
	}
}
