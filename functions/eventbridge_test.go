package functions_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/functions"
)

// fakeEventBridge records the requests the registrar's rules make.
type fakeEventBridge struct {
	rules   []*eventbridge.PutRuleInput
	targets []*eventbridge.PutTargetsInput
}

func (f *fakeEventBridge) PutRule(_ context.Context, in *eventbridge.PutRuleInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error) {
	f.rules = append(f.rules, in)
	return &eventbridge.PutRuleOutput{}, nil
}

func (f *fakeEventBridge) PutTargets(_ context.Context, in *eventbridge.PutTargetsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error) {
	f.targets = append(f.targets, in)
	return &eventbridge.PutTargetsOutput{}, nil
}

func (f *fakeEventBridge) RemoveTargets(context.Context, *eventbridge.RemoveTargetsInput, ...func(*eventbridge.Options)) (*eventbridge.RemoveTargetsOutput, error) {
	return &eventbridge.RemoveTargetsOutput{}, nil
}

func (f *fakeEventBridge) DeleteRule(context.Context, *eventbridge.DeleteRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DeleteRuleOutput, error) {
	return &eventbridge.DeleteRuleOutput{}, nil
}

// A schedule rule's target retries for a day and then dead-letters, so a
// missed nightly run shows in the events dead-letter queue.
func TestScheduleRuleTargetHasDeadLetterAndRetries(t *testing.T) {
	const dlq = "arn:aws:sqs:us-east-1:123456789012:aloft-events-dlq"
	fake := &fakeEventBridge{}
	rules := &functions.EventBridgeRules{Client: fake, TargetARN: "arn:aws:lambda:us-east-1:123456789012:function:aloft-trigger", DeadLetterARN: dlq}
	require.NoError(t, rules.PutRule(context.Background(), functions.Rule{Name: "aloft-lp-x", Schedule: "rate(1 day)", Enabled: true, Input: `{}`}))
	require.Len(t, fake.targets, 1)
	require.Len(t, fake.targets[0].Targets, 1)
	tg := fake.targets[0].Targets[0]
	require.NotNil(t, tg.DeadLetterConfig)
	assert.Equal(t, dlq, aws.ToString(tg.DeadLetterConfig.Arn))
	require.NotNil(t, tg.RetryPolicy)
	assert.Equal(t, int32(functions.RuleMaxRetryAttempts), aws.ToInt32(tg.RetryPolicy.MaximumRetryAttempts))
	assert.Equal(t, int32(24*60*60), aws.ToInt32(tg.RetryPolicy.MaximumEventAgeInSeconds))

	// Without a dead-letter queue configured the target still retries.
	fake = &fakeEventBridge{}
	rules = &functions.EventBridgeRules{Client: fake, TargetARN: "arn:t"}
	require.NoError(t, rules.PutRule(context.Background(), functions.Rule{Name: "aloft-lp-y", Schedule: "rate(1 day)", Input: `{}`}))
	assert.Nil(t, fake.targets[0].Targets[0].DeadLetterConfig)
	assert.NotNil(t, fake.targets[0].Targets[0].RetryPolicy)
}

// The stack's settings reach the functions through the environment.
func TestReadEnvStackSettings(t *testing.T) {
	env := map[string]string{
		"ALOFT_STORE": "s3://b", "ALOFT_QUEUE_URL": "q", "ALOFT_JOB_QUEUE_CPU": "cpu", "ALOFT_JOB_QUEUE_SPOT": "spot",
		"ALOFT_JOB_QUEUE_GPU": "gpu", "ALOFT_JOB_QUEUE_GPU_SPOT": "gpu-spot", "ALOFT_JOB_ROLE_ARN": "job", "ALOFT_EXECUTION_ROLE_ARN": "exec",
		"ALOFT_ASSIGN_PUBLIC_IP": "DISABLED", "ALOFT_TASK_LOG_GROUP": "logs", "ALOFT_JOB_DEFINITION_PREFIX": "prod-",
		"ALOFT_MANAGED_TAG": "prod", "ALOFT_EVENTS_DLQ_ARN": "dlq",
	}
	e, err := functions.ReadEnv("advance", func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "gpu-spot", e.QueueGPUSpot)
	assert.Equal(t, "DISABLED", e.PublicIP)
	assert.Equal(t, "logs", e.TaskLogGroup)
	assert.Equal(t, "prod-", e.JobDefPrefix)
	assert.Equal(t, "prod", e.ManagedTag)
	assert.Equal(t, "dlq", e.DeadLetterARN)
}
