package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/store/storeurl"
)

// EventBridgeAPI is the part of the EventBridge client the rules use.
type EventBridgeAPI interface {
	PutRule(ctx context.Context, in *eventbridge.PutRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error)
	PutTargets(ctx context.Context, in *eventbridge.PutTargetsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
	RemoveTargets(ctx context.Context, in *eventbridge.RemoveTargetsInput, opts ...func(*eventbridge.Options)) (*eventbridge.RemoveTargetsOutput, error)
	DeleteRule(ctx context.Context, in *eventbridge.DeleteRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.DeleteRuleOutput, error)
}

// EventBridgeRules keeps schedule rules in EventBridge, each targeting the
// trigger function with an input transformer that passes the event's time.
// EventBridge retries a failed delivery for up to RuleMaxEventAgeSeconds;
// what still fails goes to DeadLetterARN (the stack's events dead-letter
// queue), so a missed nightly run is visible rather than lost.
type EventBridgeRules struct {
	Client        EventBridgeAPI
	TargetARN     string // the trigger function
	DeadLetterARN string // ALOFT_EVENTS_DLQ_ARN; empty: no dead-letter queue
}

// The schedule rules' retry policy.
const (
	RuleMaxRetryAttempts   = 185 // EventBridge's most
	RuleMaxEventAgeSeconds = 24 * 60 * 60
)

// targetID is the id of the one target of each rule.
const targetID = "aloft-trigger"

// PutRule creates or updates the rule and its target.
func (e *EventBridgeRules) PutRule(ctx context.Context, r Rule) error {
	state := ebtypes.RuleStateEnabled
	if !r.Enabled {
		state = ebtypes.RuleStateDisabled
	}
	if _, err := e.Client.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(r.Name), ScheduleExpression: aws.String(r.Schedule), State: state,
		Description: aws.String(r.Description),
	}); err != nil {
		return err
	}
	out, err := e.Client.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(r.Name), Targets: []ebtypes.Target{{
		Id: aws.String(targetID), Arn: aws.String(e.TargetARN),
		InputTransformer: &ebtypes.InputTransformer{
			InputPathsMap: map[string]string{"time": "$.time"},
			InputTemplate: aws.String(r.Input),
		},
		RetryPolicy: &ebtypes.RetryPolicy{
			MaximumRetryAttempts:     aws.Int32(RuleMaxRetryAttempts),
			MaximumEventAgeInSeconds: aws.Int32(RuleMaxEventAgeSeconds),
		},
		DeadLetterConfig: e.deadLetter(),
	}}})
	if err != nil {
		return err
	}
	if out.FailedEntryCount > 0 && len(out.FailedEntries) > 0 {
		f := out.FailedEntries[0]
		return fmt.Errorf("put target of rule %s: %s: %s", r.Name, aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage))
	}
	return nil
}

func (e *EventBridgeRules) deadLetter() *ebtypes.DeadLetterConfig {
	if e.DeadLetterARN == "" {
		return nil
	}
	return &ebtypes.DeadLetterConfig{Arn: aws.String(e.DeadLetterARN)}
}

// DeleteRule removes the rule's target and the rule; a missing rule is fine.
func (e *EventBridgeRules) DeleteRule(ctx context.Context, name string) error {
	_, err := e.Client.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name), Ids: []string{targetID}})
	if err != nil && !isNotFound(err) {
		return err
	}
	_, err = e.Client.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name)})
	if err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

func isNotFound(err error) bool {
	var nf *ebtypes.ResourceNotFoundException
	return errors.As(err, &nf)
}

// SQSAPI is the part of the SQS client the waker uses.
type SQSAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQSWaker sends advance a delayed wake message for an execution whose
// retry waits for its backoff (SQS delays at most 15 minutes; longer waits
// are caught by the sweep).
type SQSWaker struct {
	Client   SQSAPI
	QueueURL string
	Now      func() time.Time
}

// Wake implements engine.Config.Wake.
func (w *SQSWaker) Wake(ctx context.Context, ref engine.Ref, at time.Time) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	delay := int32(min(900, max(0, math.Ceil(at.Sub(now()).Seconds()))))
	var m WakeMessage
	m.Wake.Project, m.Wake.Domain, m.Wake.Exec = ref.Project, ref.Domain, ref.Exec
	body, _ := json.Marshal(m)
	_, err := w.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(w.QueueURL),
		MessageBody: aws.String(string(body)), DelaySeconds: delay})
	return err
}

// Env is the functions' configuration, read once from the environment.
type Env struct {
	Store       string // ALOFT_STORE
	QueueURL    string // ALOFT_QUEUE_URL
	QueueCPU    string // ALOFT_JOB_QUEUE_CPU
	QueueSpot   string // ALOFT_JOB_QUEUE_SPOT
	QueueGPU    string // ALOFT_JOB_QUEUE_GPU
	JobRoleARN  string // ALOFT_JOB_ROLE_ARN
	ExecRoleARN string // ALOFT_EXECUTION_ROLE_ARN
	Platform    string // ALOFT_PLATFORM
	TriggerARN  string // ALOFT_TRIGGER_ARN
	RulePrefix  string // ALOFT_RULE_PREFIX
	// Set by the stack (issue 17); empty means the dispatcher's defaults.
	QueueGPUSpot  string // ALOFT_JOB_QUEUE_GPU_SPOT
	PublicIP      string // ALOFT_ASSIGN_PUBLIC_IP: ENABLED or DISABLED
	TaskLogGroup  string // ALOFT_TASK_LOG_GROUP
	JobDefPrefix  string // ALOFT_JOB_DEFINITION_PREFIX
	ManagedTag    string // ALOFT_MANAGED_TAG
	DeadLetterARN string // ALOFT_EVENTS_DLQ_ARN (registrar: the schedule rules' dead letters)
}

// ReadEnv reads the configuration a function needs ("advance", "trigger"
// or "registrar") and names every missing variable at once.
func ReadEnv(function string, getenv func(string) string) (Env, error) {
	e := Env{
		Store: getenv("ALOFT_STORE"), QueueURL: getenv("ALOFT_QUEUE_URL"),
		QueueCPU: getenv("ALOFT_JOB_QUEUE_CPU"), QueueSpot: getenv("ALOFT_JOB_QUEUE_SPOT"), QueueGPU: getenv("ALOFT_JOB_QUEUE_GPU"),
		JobRoleARN: getenv("ALOFT_JOB_ROLE_ARN"), ExecRoleARN: getenv("ALOFT_EXECUTION_ROLE_ARN"),
		Platform: getenv("ALOFT_PLATFORM"), TriggerARN: getenv("ALOFT_TRIGGER_ARN"), RulePrefix: getenv("ALOFT_RULE_PREFIX"),
		QueueGPUSpot: getenv("ALOFT_JOB_QUEUE_GPU_SPOT"), PublicIP: getenv("ALOFT_ASSIGN_PUBLIC_IP"),
		TaskLogGroup: getenv("ALOFT_TASK_LOG_GROUP"), JobDefPrefix: getenv("ALOFT_JOB_DEFINITION_PREFIX"),
		ManagedTag: getenv("ALOFT_MANAGED_TAG"), DeadLetterARN: getenv("ALOFT_EVENTS_DLQ_ARN"),
	}
	if e.Platform == "" {
		e.Platform = "FARGATE"
	}
	if e.RulePrefix == "" {
		e.RulePrefix = DefaultRulePrefix
	}
	need := map[string][]struct{ name, val string }{
		"advance": {{"ALOFT_STORE", e.Store}, {"ALOFT_QUEUE_URL", e.QueueURL}, {"ALOFT_JOB_QUEUE_CPU", e.QueueCPU},
			{"ALOFT_JOB_QUEUE_SPOT", e.QueueSpot}, {"ALOFT_JOB_QUEUE_GPU", e.QueueGPU}, {"ALOFT_JOB_ROLE_ARN", e.JobRoleARN}},
		"trigger":   {{"ALOFT_STORE", e.Store}},
		"registrar": {{"ALOFT_STORE", e.Store}, {"ALOFT_TRIGGER_ARN", e.TriggerARN}},
	}[function]
	var missing []string
	for _, n := range need {
		if n.val == "" {
			missing = append(missing, n.name)
		}
	}
	if len(missing) > 0 {
		return e, fmt.Errorf("%s: missing environment variable(s) %s (see functions/README.md; the CDK stack sets them)", function, strings.Join(missing, ", "))
	}
	if function == "advance" && e.Platform == "FARGATE" && e.ExecRoleARN == "" {
		return e, fmt.Errorf("advance: missing environment variable ALOFT_EXECUTION_ROLE_ARN (Fargate jobs need an execution role; or set ALOFT_PLATFORM=EC2)")
	}
	if e.Platform != "FARGATE" && e.Platform != "EC2" {
		return e, fmt.Errorf("%s: ALOFT_PLATFORM=%q: want FARGATE or EC2", function, e.Platform)
	}
	if _, _, ok := storeurl.S3(e.Store); !ok {
		return e, fmt.Errorf("%s: ALOFT_STORE=%q: want s3://bucket[/prefix]", function, e.Store)
	}
	return e, nil
}

// Bucket is the bucket name of an s3:// store URI.
func (e Env) Bucket() string {
	b, _, _ := storeurl.S3(e.Store)
	return b
}
