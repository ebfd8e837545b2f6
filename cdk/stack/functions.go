package stack

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// Function sizes. Go on arm64 needs little memory; advance gets more
// because it holds execution states and talks to Batch.
const (
	TriggerTimeoutSeconds   = 30
	RegistrarTimeoutSeconds = 30
	AdvanceMemoryMB         = 512
	TriggerMemoryMB         = 256
	RegistrarMemoryMB       = 256
)

type functionDeps struct {
	bucket  awss3.Bucket
	queues  queues
	compute compute
	roles   taskRoles
}

type functions struct {
	advance, trigger, registrar awslambda.Function
}

var retention = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK,
	14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
}

// fnSpec is one function: its name (also its code directory under
// FunctionsDir), timeout, memory and environment.
type fnSpec struct {
	id, name string
	timeout  int
	memoryMB int
	env      map[string]*string
}

// newFunction makes a provided.al2023 arm64 function with its own role
// (allowed to write only its own log group) and log group.
func newFunction(st awscdk.Stack, p Props, s fnSpec, deadLetters awslambda.FunctionProps) awslambda.Function {
	fnName := p.name(s.name)
	logs := awslogs.NewLogGroup(st, jsii.String(s.id+"Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/lambda/" + fnName),
		Retention:     retention[p.LogRetentionDays],
		RemovalPolicy: p.removal(),
	})
	role := awsiam.NewRole(st, jsii.String(s.id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("aloft " + s.name + " function"),
	})
	logs.GrantWrite(role)
	env := s.env
	return awslambda.NewFunction(st, jsii.String(s.id), &awslambda.FunctionProps{
		FunctionName:    jsii.String(fnName),
		Description:     jsii.String("aloft " + s.name),
		Runtime:         awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:    awslambda.Architecture_ARM_64(),
		Handler:         jsii.String("bootstrap"),
		Code:            awslambda.Code_FromAsset(jsii.String(filepath.Join(p.FunctionsDir, s.name)), nil),
		Timeout:         awscdk.Duration_Seconds(jsii.Number(float64(s.timeout))),
		MemorySize:      jsii.Number(float64(s.memoryMB)),
		Environment:     &env,
		Role:            role,
		LogGroup:        logs,
		DeadLetterQueue: deadLetters.DeadLetterQueue,
		RetryAttempts:   deadLetters.RetryAttempts,
	})
}

func newFunctions(st awscdk.Stack, p Props, d functionDeps) functions {
	store := jsii.String("s3://" + *d.bucket.BucketName())
	// Asynchronous invocations (EventBridge -> trigger, registrar) that
	// still fail after two retries land in the events dead-letter queue.
	async := awslambda.FunctionProps{DeadLetterQueue: d.queues.events, RetryAttempts: jsii.Number(2)}

	trigger := newFunction(st, p, fnSpec{
		id: "TriggerFunction", name: "trigger", timeout: TriggerTimeoutSeconds, memoryMB: TriggerMemoryMB,
		env: map[string]*string{"ALOFT_STORE": store},
	}, async)
	list(d.bucket, trigger)
	access(d.bucket, trigger, s3Read, prefixRegistry, prefixIncoming, prefixLaunch, prefixTriggered)
	access(d.bucket, trigger, s3Write, prefixLaunch, prefixTriggered, prefixInputs) // a drop's snapshot and marker

	registrar := newFunction(st, p, fnSpec{
		id: "RegistrarFunction", name: "registrar", timeout: RegistrarTimeoutSeconds, memoryMB: RegistrarMemoryMB,
		env: map[string]*string{
			"ALOFT_STORE":       store,
			"ALOFT_TRIGGER_ARN": trigger.FunctionArn(),
			"ALOFT_RULE_PREFIX": jsii.String(p.RulePrefix()),
		},
	}, async)
	list(d.bucket, registrar)
	access(d.bucket, registrar, s3Read, prefixRegistry)
	grantRuleManagement(st, p, registrar)
	allowScheduleRules(st, p, trigger)

	// advance is driven by SQS, so its failures are the queue's redrive;
	// the sweep's failures need nothing: the next sweep comes in a minute.
	advance := newFunction(st, p, fnSpec{
		id: "AdvanceFunction", name: "advance", timeout: AdvanceTimeoutSeconds, memoryMB: AdvanceMemoryMB,
		env: map[string]*string{
			"ALOFT_STORE":              store,
			"ALOFT_QUEUE_URL":          d.queues.advance.QueueUrl(),
			"ALOFT_JOB_QUEUE_CPU":      d.compute.cpu.JobQueueArn(),
			"ALOFT_JOB_QUEUE_SPOT":     d.compute.spot.JobQueueArn(),
			"ALOFT_JOB_QUEUE_GPU":      d.compute.gpu.JobQueueArn(),
			"ALOFT_JOB_ROLE_ARN":       d.roles.job.RoleArn(),
			"ALOFT_EXECUTION_ROLE_ARN": d.roles.execution.RoleArn(),
			"ALOFT_PLATFORM":           jsii.String("FARGATE"),
		},
	}, awslambda.FunctionProps{RetryAttempts: jsii.Number(0)})
	list(d.bucket, advance)
	access(d.bucket, advance, s3Read, prefixRegistry, prefixRequests, prefixIncoming,
		prefixExecutions, prefixIndex, prefixActive, prefixData, prefixCatalog)
	access(d.bucket, advance, s3Write, prefixExecutions, prefixIndex, prefixActive, prefixData, prefixCatalog)
	access(d.bucket, advance, s3Delete, prefixActive)
	d.queues.advance.GrantSendMessages(advance) // delayed wake-ups
	grantBatch(st, advance, d.compute, d.roles)
	advance.AddEventSource(awslambdaeventsources.NewSqsEventSource(d.queues.advance, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(AdvanceBatchSize),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(AdvanceBatchingWindowSeconds)),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(AdvanceMaxConcurrency),
	}))
	return functions{advance: advance, trigger: trigger, registrar: registrar}
}

// ruleArn is the ARN pattern of the rules the registrar manages.
func ruleArn(st awscdk.Stack, p Props) *string {
	return st.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("events"),
		Resource:     jsii.String("rule"),
		ResourceName: jsii.String(p.RulePrefix() + "*"),
	})
}

// grantRuleManagement lets the registrar create, update, disable and
// delete rules named with the rule prefix on the default bus, and nothing
// else in EventBridge.
func grantRuleManagement(st awscdk.Stack, p Props, registrar awslambda.Function) {
	registrar.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings(
			"events:PutRule", "events:DeleteRule", "events:DescribeRule",
			"events:EnableRule", "events:DisableRule",
			"events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule",
			"events:TagResource", "events:UntagResource", "events:ListTagsForResource",
		),
		Resources: &[]*string{ruleArn(st, p)},
	}))
}

// allowScheduleRules lets the registrar's rules invoke trigger: the
// permission is granted once here, for every rule with the prefix, so the
// registrar needs no lambda:AddPermission.
func allowScheduleRules(st awscdk.Stack, p Props, trigger awslambda.Function) {
	trigger.AddPermission(jsii.String("ScheduleRules"), &awslambda.Permission{
		Principal:     awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Action:        jsii.String("lambda:InvokeFunction"),
		SourceArn:     ruleArn(st, p),
		SourceAccount: st.Account(),
	})
}

// grantBatch lets advance submit to, describe and cancel jobs on aloft's
// job queues with aloft's job definitions, and pass only the two task
// roles. The Describe and List actions have no resource scope in IAM.
func grantBatch(st awscdk.Stack, advance awslambda.Function, c compute, roles taskRoles) {
	batchArn := func(resource, name string) *string {
		return st.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("batch"), Resource: jsii.String(resource), ResourceName: jsii.String(name),
		})
	}
	jobDefs := batchArn("job-definition", JobDefinitionPrefix+"*")
	jobs := batchArn("job", "*")
	submitTo := []*string{jobDefs}
	for _, q := range c.queues() {
		submitTo = append(submitTo, q.JobQueueArn())
	}
	add := func(resources []*string, actions ...string) {
		advance.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(actions...), Resources: &resources,
		}))
	}
	add(submitTo, "batch:SubmitJob")
	add([]*string{jobDefs}, "batch:RegisterJobDefinition")
	add([]*string{jobs, jobDefs}, "batch:TagResource")
	add([]*string{jobs}, "batch:TerminateJob", "batch:CancelJob")
	add([]*string{jsii.String("*")}, "batch:DescribeJobs", "batch:DescribeJobDefinitions", "batch:DescribeJobQueues", "batch:ListJobs")
	add([]*string{roles.job.RoleArn(), roles.execution.RoleArn()}, "iam:PassRole")
}
