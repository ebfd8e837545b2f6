package stack

import (
	"encoding/json"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/jsii-runtime-go"

	"github.com/aloft-run/aloft/deployment"
	"github.com/aloft-run/aloft/layout"
)

// record is the deployment record (Decision 31) this stack offers, with
// CloudFormation tokens where values are known only at deploy time.
func record(p Props, c compute, taskLogs awslogs.ILogGroup, t topics) deployment.Record {
	q := func(name string, jq interface{ JobQueueArn() *string }, spot bool, acc []string) deployment.Queue {
		return deployment.Queue{Name: name, ARN: *jq.JobQueueArn(), Spot: spot, Accelerators: acc}
	}
	r := deployment.Record{
		Version: deployment.Version,
		Stack:   p.StackName,
		Targets: []deployment.Target{{Name: "aws-batch", Queues: []deployment.Queue{
			q("cpu", c.cpu, false, nil),
			q("spot", c.spot, true, nil),
			q("gpu", c.gpu, false, c.accelerators),
			q("gpu-spot", c.gpuSpot, true, c.accelerators),
		}}},
		TaskLogGroup:      *taskLogs.LogGroupName(),
		SecretsPrefix:     p.SecretsPrefix,
		NotificationTopic: *t.notify.TopicArn(),
		AlarmTopic:        *t.alarm.TopicArn(),
	}
	if g := p.GCP; g.Project != "" {
		r.Targets = append(r.Targets, deployment.Target{Name: "gcp-batch"})
		r.GCP = &deployment.GCP{
			Project: g.Project, Region: g.Region, Network: g.Network, Subnetwork: g.Subnetwork,
			ServiceAccountEmail: g.ServiceAccountEmail, ServiceAccountUniqueID: g.ServiceAccountUniqueID,
			WorkloadIdentityProvider: g.WorkloadIdentityProvider, ArtifactRegistry: g.ArtifactRegistry,
		}
	}
	return r
}

// newRecord writes the deployment record at the bucket's root on every
// deploy (and deletes it with the stack) through a small custom resource
// allowed only to put and delete that one object.
func newRecord(st awscdk.Stack, p Props, b awss3.IBucket, c compute, taskLogs awslogs.ILogGroup, t topics) {
	raw, err := json.Marshal(record(p, c, taskLogs, t))
	if err != nil {
		panic(err) // strings, bools and slices only
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		panic(err)
	}
	body := st.ToJsonString(doc, nil) // resolves the tokens at deploy time
	key := jsii.String(layout.DeploymentKey)
	call := func(action string, params map[string]any) *customresources.AwsSdkCall {
		return &customresources.AwsSdkCall{
			Service: jsii.String("S3"), Action: jsii.String(action), Parameters: params,
			PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String(p.StackName + "-deployment-record")),
		}
	}
	put := call("putObject", map[string]any{"Bucket": b.BucketName(), "Key": key, "Body": body, "ContentType": "application/json"})
	logs := awslogs.NewLogGroup(st, jsii.String("DeploymentRecordLogs"), &awslogs.LogGroupProps{
		Retention: retention[p.LogRetentionDays], RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	customresources.NewAwsCustomResource(st, jsii.String("DeploymentRecord"), &customresources.AwsCustomResourceProps{
		OnCreate:            put,
		OnUpdate:            put,
		OnDelete:            call("deleteObject", map[string]any{"Bucket": b.BucketName(), "Key": key}),
		InstallLatestAwsSdk: jsii.Bool(false),
		LogGroup:            logs,
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("s3:PutObject", "s3:DeleteObject"),
				Resources: &[]*string{b.ArnForObjects(key)},
			}),
		}),
	})
}
