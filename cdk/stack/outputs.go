package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// Output keys. internal/cliconfig reads these (its Output* constants; a
// test here checks both agree).
const (
	OutputBucketName        = "BucketName"
	OutputStoreURI          = "StoreURI"
	OutputRegion            = "Region"
	OutputQueueURL          = "AdvanceQueueURL"
	OutputDeadLetterURL     = "AdvanceDeadLetterQueueURL"
	OutputEventsDLQURL      = "EventsDeadLetterQueueURL"
	OutputJobQueueCPU       = "JobQueueCPU"
	OutputJobQueueSpot      = "JobQueueSpot"
	OutputJobQueueGPU       = "JobQueueGPU"
	OutputRegistry          = "TaskRepositoryURI"
	OutputAdvanceFunction   = "AdvanceFunctionName"
	OutputTriggerFunction   = "TriggerFunctionName"
	OutputRegistrarFunction = "RegistrarFunctionName"
	OutputJobRoleArn        = "TaskJobRoleArn"
	OutputExecutionRoleArn  = "TaskExecutionRoleArn"
	OutputRulePrefix        = "LaunchPlanRulePrefix"
	OutputTaskLogGroup      = "TaskLogGroup"
	OutputJobQueueGPUSpot   = "JobQueueGPUSpot"
	OutputNotificationTopic = "NotificationTopicArn"
	OutputAlarmTopic        = "AlarmTopicArn"
)

func newOutputs(st awscdk.Stack, p Props, b awss3.IBucket, q queues, c compute, f functions, repo awsecr.IRepository, roles taskRoles, taskLogs awslogs.ILogGroup, t topics) {
	out := func(key, desc string, value *string) {
		awscdk.NewCfnOutput(st, jsii.String(key), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(desc)})
	}
	out(OutputBucketName, "the bucket that holds all of aloft's state", b.BucketName())
	out(OutputStoreURI, "the store URI for ALOFT_STORE and --store", jsii.String("s3://"+*b.BucketName()))
	out(OutputRegion, "the stack's region", st.Region())
	out(OutputQueueURL, "the advance queue", q.advance.QueueUrl())
	out(OutputDeadLetterURL, "advance messages that failed repeatedly", q.dead.QueueUrl())
	out(OutputEventsDLQURL, "events that could not be delivered to trigger, registrar or the queue", q.events.QueueUrl())
	out(OutputJobQueueCPU, "Batch job queue for on-demand CPU tasks (Fargate)", c.cpu.JobQueueArn())
	out(OutputJobQueueSpot, "Batch job queue for interruptible tasks (Fargate Spot)", c.spot.JobQueueArn())
	out(OutputJobQueueGPU, "Batch job queue for GPU tasks (EC2)", c.gpu.JobQueueArn())
	out(OutputRegistry, "ECR repository for task images", repo.RepositoryUri())
	out(OutputAdvanceFunction, "the advance function", f.advance.FunctionName())
	out(OutputTriggerFunction, "the trigger function", f.trigger.FunctionName())
	out(OutputRegistrarFunction, "the registrar function", f.registrar.FunctionName())
	out(OutputJobRoleArn, "the role task containers run as", roles.job.RoleArn())
	out(OutputExecutionRoleArn, "the ECS execution role of tasks", roles.execution.RoleArn())
	out(OutputRulePrefix, "name prefix of the launch plans' schedule rules", jsii.String(p.RulePrefix()))
	out(OutputTaskLogGroup, "CloudWatch log group of task containers", taskLogs.LogGroupName())
	out(OutputJobQueueGPUSpot, "Batch job queue for interruptible GPU tasks (EC2 spot)", c.gpuSpot.JobQueueArn())
	out(OutputNotificationTopic, "SNS topic of run notifications (target sns)", t.notify.TopicArn())
	out(OutputAlarmTopic, "SNS topic of the stack's alarms", t.alarm.TopicArn())
}
