package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// Key patterns of the rules (functions/README.md, "Events").
const (
	KeyIncomingPrefix  = "incoming/"
	KeyOutputsWildcard = "data/*/outputs.json"
	KeyErrorWildcard   = "data/*/error.json"
	KeyRequestsPrefix  = "requests/"
	KeyActiveWildcard  = "registry/*/*/launchplans/*/active.json"
	SweepSchedule      = "rate(1 minute)"
)

// BatchStatuses are the job states advance hears about.
var BatchStatuses = []string{"RUNNING", "SUCCEEDED", "FAILED"}

// s3Pattern matches S3 events of the given detail types for keys matching
// any of keyMatchers in this stack's bucket.
func s3Pattern(b awss3.IBucket, detailTypes []string, keyMatchers ...any) *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings("aws.s3"),
		DetailType: jsii.Strings(detailTypes...),
		Detail: &map[string]any{
			"bucket": map[string]any{"name": []any{b.BucketName()}},
			"object": map[string]any{"key": keyMatchers},
		},
	}
}

func prefix(p string) map[string]any   { return map[string]any{"prefix": p} }
func wildcard(w string) map[string]any { return map[string]any{"wildcard": w} }

// newRules routes events to the functions and the queue, exactly as the
// contract's table says. Targets retry for up to a day; what still cannot
// be delivered goes to the events dead-letter queue.
func newRules(st awscdk.Stack, p Props, b awss3.IBucket, q queues, c compute, f functions) {
	day := awscdk.Duration_Hours(jsii.Number(24))
	toQueue := awseventstargets.NewSqsQueue(q.advance, &awseventstargets.SqsQueueProps{DeadLetterQueue: q.events, MaxEventAge: day})
	toFn := func(fn awslambda.IFunction, input awsevents.RuleTargetInput) awsevents.IRuleTarget {
		return awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{DeadLetterQueue: q.events, MaxEventAge: day, Event: input})
	}
	rule := func(id, desc string, pattern *awsevents.EventPattern, target awsevents.IRuleTarget) {
		awsevents.NewRule(st, jsii.String(id), &awsevents.RuleProps{
			Description:  jsii.String(desc),
			EventPattern: pattern,
			Targets:      &[]awsevents.IRuleTarget{target},
		})
	}

	rule("IncomingRule", "datasets dropped under incoming/ start runs of the launch plans they trigger",
		s3Pattern(b, []string{"Object Created"}, prefix(KeyIncomingPrefix)),
		toFn(f.trigger, nil))

	rule("ResultsRule", "task results (outputs.json, error.json) and launch/cancel requests wake advance",
		s3Pattern(b, []string{"Object Created"}, wildcard(KeyOutputsWildcard), wildcard(KeyErrorWildcard), prefix(KeyRequestsPrefix)),
		toQueue)

	queueArns := make([]any, 0, 3)
	for _, jq := range c.queues() {
		queueArns = append(queueArns, jq.JobQueueArn())
	}
	rule("BatchRule", "state changes of jobs on aloft's job queues wake advance",
		&awsevents.EventPattern{
			Source:     jsii.Strings("aws.batch"),
			DetailType: jsii.Strings("Batch Job State Change"),
			Detail: &map[string]any{
				"jobQueue": queueArns,
				"status":   BatchStatuses,
			},
		},
		toQueue)

	rule("ActiveLaunchPlanRule", "activating or deactivating a launch plan makes, updates or removes its schedule rule",
		s3Pattern(b, []string{"Object Created", "Object Deleted"}, wildcard(KeyActiveWildcard)),
		toFn(f.registrar, nil))

	awsevents.NewRule(st, jsii.String("SweepRule"), &awsevents.RuleProps{
		Description: jsii.String("the one-minute sweep: re-issue saved intentions, describe long jobs, enforce timeouts"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(SweepSchedule)),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(f.advance, &awseventstargets.LambdaFunctionProps{
			Event:         awsevents.RuleTargetInput_FromObject(map[string]any{"sweep": true}),
			RetryAttempts: jsii.Number(0), // the next sweep is a minute away
		})},
	})
}
