package stack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/deployment"
	"github.com/aloft-run/aloft/layout"
)

// These tests cover what a real operator's deploys need (issue 17).

// statementsWith returns the resolved Allow statements of role roleID
// (logical id prefix) that allow action.
func statementsWith(t *testing.T, s synthed, rolePrefix, action string) []map[string]any {
	t.Helper()
	roleID := s.roleID(t, rolePrefix)
	r := s.resolver(t)
	var out []map[string]any
	for _, pol := range s.resources("AWS::IAM::Policy") {
		p := props(pol)
		attached := false
		for _, ref := range asList(p["Roles"]) {
			if m, ok := ref.(map[string]any); ok && m["Ref"] == roleID {
				attached = true
			}
		}
		if !attached {
			continue
		}
		for _, st := range asList(p["PolicyDocument"].(map[string]any)["Statement"]) {
			st := r.resolve(st).(map[string]any)
			for _, a := range asList(st["Action"]) {
				if a == action && st["Effect"] == "Allow" {
					out = append(out, st)
				}
			}
		}
	}
	require.NotEmpty(t, out, "%s is not allowed %s", rolePrefix, action)
	return out
}

// Redeploying after destroy: nothing the stack retains has a fixed name.
func TestRetainedResourcesHaveGeneratedNames(t *testing.T) {
	s := defaultStack(t)
	for id, r := range s.resources("AWS::Logs::LogGroup") {
		assert.Nil(t, props(r)["LogGroupName"], "log group %s has a fixed name", id)
	}
	for id, r := range s.resources("AWS::ECR::Repository") {
		assert.Nil(t, props(r)["RepositoryName"], "repository %s has a fixed name", id)
	}
}

// existingBucket and taskRepository adopt what a destroyed stack retained.
func TestAdoptRetainedBucketAndRepository(t *testing.T) {
	p := testProps()
	p.BucketName, p.ExistingBucket, p.TaskRepository = "", "aloft-old-bucket", "aloft-taskrepository1234"
	s := synth(t, p)
	s.tmpl.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(0))
	s.tmpl.ResourceCountIs(jsii.String("AWS::ECR::Repository"), jsii.Number(0))
	s.tmpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
		"Bucket": "aloft-old-bucket",
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		})})},
	})
	grants := roleGrants(t, s, s.roleID(t, "TaskExecutionRole"))
	assert.True(t, allowed(grants, "ecr:BatchGetImage", "arn:aws:ecr:us-east-1:123456789012:repository/aloft-taskrepository1234"))
	grants = roleGrants(t, s, s.roleID(t, "TaskJobRole"))
	assert.True(t, allowed(grants, "s3:PutObject", "arn:aws:s3:::aloft-old-bucket/data/r1/n/1/outputs.json"))
}

// The job definitions and the stop grants are scoped to the stack.
func TestBatchGrantsScopedToStack(t *testing.T) {
	p := testProps()
	p.StackName = "prod"
	s := synth(t, p)
	grants := roleGrants(t, s, functionRoleID(t, s, "prod-advance"))
	assert.True(t, allowed(grants, "batch:RegisterJobDefinition", "arn:aws:batch:us-east-1:123456789012:job-definition/prod-3f9a"))
	assert.False(t, allowed(grants, "batch:RegisterJobDefinition", "arn:aws:batch:us-east-1:123456789012:job-definition/aloft-3f9a"))

	for _, action := range []string{"batch:TerminateJob", "batch:CancelJob"} {
		for _, st := range statementsWith(t, s, "AdvanceFunctionRole", action) {
			assert.Equal(t, map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/aloft:managed": "prod"}}, st["Condition"], action)
		}
	}
	for _, st := range statementsWith(t, s, "AdvanceFunctionRole", "iam:PassRole") {
		assert.Equal(t, map[string]any{"StringEquals": map[string]any{"iam:PassedToService": []any{"batch.amazonaws.com", "ecs-tasks.amazonaws.com"}}}, st["Condition"])
	}
	_, fn := s.fn(t, "prod-advance")
	env := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
	assert.Equal(t, "prod-", env["ALOFT_JOB_DEFINITION_PREFIX"])
	assert.Equal(t, "prod", env["ALOFT_MANAGED_TAG"])
}

// GPU hosts require IMDSv2 with a hop limit of 1, so containers cannot
// reach the instance role.
func TestGPULaunchTemplate(t *testing.T) {
	s := defaultStack(t)
	s.tmpl.HasResourceProperties(jsii.String("AWS::EC2::LaunchTemplate"), map[string]any{
		"LaunchTemplateData": assertions.Match_ObjectLike(&map[string]any{
			"MetadataOptions": map[string]any{"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
		}),
	})
	lt := s.logicalIDPrefix(t, "AWS::EC2::LaunchTemplate", "GpuLaunchTemplate")
	n := 0
	for id, ce := range s.resources("AWS::Batch::ComputeEnvironment") {
		cr := props(ce)["ComputeResources"].(map[string]any)
		if cr["Type"] != "EC2" && cr["Type"] != "SPOT" {
			continue
		}
		n++
		b, err := json.Marshal(cr["LaunchTemplate"])
		require.NoError(t, err)
		assert.Contains(t, string(b), lt, "%s does not use the launch template", id)
	}
	assert.Equal(t, 2, n, "GPU environments (on-demand and spot)")
}

// Tasks log to the stack's own group with a retention; advance is told.
func TestTaskLogGroup(t *testing.T) {
	p := testProps()
	p.TaskLogRetentionDays = 90
	s := synth(t, p)
	id := s.logicalIDPrefix(t, "AWS::Logs::LogGroup", "TaskLogs")
	assert.Equal(t, float64(90), props(s.resources("AWS::Logs::LogGroup")[id])["RetentionInDays"])
	_, fn := s.fn(t, "aloft-advance")
	env := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
	assert.Equal(t, map[string]any{"Ref": id}, env["ALOFT_TASK_LOG_GROUP"])

	def := defaultStack(t)
	id = def.logicalIDPrefix(t, "AWS::Logs::LogGroup", "TaskLogs")
	assert.Equal(t, float64(DefaultLogRetentionDays), props(def.resources("AWS::Logs::LogGroup")[id])["RetentionInDays"])
}

// Alarms on both dead-letter queues, advance errors, the queue's oldest
// message and jobs stuck RUNNABLE, all to the alarm topic; the topics
// subscribe the given addresses.
func TestAlarmsAndTopics(t *testing.T) {
	p := testProps()
	p.AlarmEmails = []string{"ops@example.com"}
	p.NotifyEmails = []string{"ml@example.com", "lead@example.com"}
	s := synth(t, p)
	alarmTopic := s.logicalIDPrefix(t, "AWS::SNS::Topic", "AlarmTopic")
	notifyTopic := s.logicalIDPrefix(t, "AWS::SNS::Topic", "NotificationTopic")
	alarms := s.resources("AWS::CloudWatch::Alarm")
	metrics := map[string]bool{}
	for id, a := range alarms {
		ap := props(a)
		assert.Equal(t, []any{map[string]any{"Ref": alarmTopic}}, ap["AlarmActions"], id)
		metrics[ap["Namespace"].(string)+"/"+ap["MetricName"].(string)] = true
	}
	assert.Len(t, alarms, 5)
	for _, m := range []string{"AWS/SQS/ApproximateNumberOfMessagesVisible", "AWS/Lambda/Errors", "AWS/SQS/ApproximateAgeOfOldestMessage", "AWS/Events/MatchedEvents"} {
		assert.True(t, metrics[m], "no alarm on %s", m)
	}
	s.tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), map[string]any{
		"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": OldestMessageAlarmSeconds,
	})
	s.tmpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
		"EventPattern": assertions.Match_ObjectLike(&map[string]any{
			"detail": assertions.Match_ObjectLike(&map[string]any{"status": []any{"FAILED"}}),
		}),
		"Targets": assertions.Match_Absent(),
	})
	subs := map[string]string{}
	for _, sub := range s.resources("AWS::SNS::Subscription") {
		sp := props(sub)
		subs[sp["Endpoint"].(string)] = sp["TopicArn"].(map[string]any)["Ref"].(string)
	}
	assert.Equal(t, map[string]string{"ops@example.com": alarmTopic, "ml@example.com": notifyTopic, "lead@example.com": notifyTopic}, subs)

	// advance may publish to the notification topic only, and put aloft
	// events on the default bus only.
	grants := roleGrants(t, s, functionRoleID(t, s, "aloft-advance"))
	r := s.resolver(t)
	assert.True(t, allowed(grants, "sns:Publish", r.str(map[string]any{"Ref": notifyTopic})))
	assert.False(t, allowed(grants, "sns:Publish", r.str(map[string]any{"Ref": alarmTopic})))
	assert.True(t, allowed(grants, "events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/default"))
	assert.False(t, allowed(grants, "events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/other"))
	for _, st := range statementsWith(t, s, "AdvanceFunctionRole", "events:PutEvents") {
		assert.Equal(t, map[string]any{"StringEquals": map[string]any{"events:source": "aloft"}}, st["Condition"])
	}
}

// The registrar's schedule rules may dead-letter into the events queue.
func TestScheduleRulesDeadLetter(t *testing.T) {
	s := defaultStack(t)
	r := s.resolver(t)
	_, fn := s.fn(t, "aloft-registrar")
	env := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
	assert.Equal(t, "arn:aws:sqs:us-east-1:123456789012:aloft-events-dlq", r.str(env["ALOFT_EVENTS_DLQ_ARN"]))
	found := false
	for _, qp := range s.resources("AWS::SQS::QueuePolicy") {
		for _, st := range asList(props(qp)["PolicyDocument"].(map[string]any)["Statement"]) {
			st := r.resolve(st).(map[string]any)
			if st["Sid"] == "ScheduleRuleDeadLetters" {
				found = true
				assert.Equal(t, map[string]any{"ArnLike": map[string]any{"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/aloft-lp-*"}}, st["Condition"])
				assert.Equal(t, "sqs:SendMessage", st["Action"])
			}
		}
	}
	assert.True(t, found, "no queue policy lets the schedule rules dead-letter")
}

// The stack's own VPC: more zones, public IPs on; an existing VPC: given
// subnets and security groups, an S3 endpoint on request, public IPs off.
func TestNetworkSettings(t *testing.T) {
	p := testProps()
	p.Env = &awscdk.Environment{Account: jsii.String(testAccount), Region: jsii.String(testRegion)}
	azs := map[string]any{"availability-zones:account=" + testAccount + ":region=" + testRegion: []any{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"}}
	s := synthWithContext(t, p, azs)
	s.tmpl.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(DefaultMaxAZs))
	_, fn := s.fn(t, "aloft-advance")
	assert.Equal(t, "ENABLED", props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)["ALOFT_ASSIGN_PUBLIC_IP"])

	p.VPCID = "vpc-0123456789abcdef0"
	p.SubnetIDs = []string{"subnet-0000000000000000c"}
	p.SecurityGroupIDs = []string{"sg-0123"}
	p.S3Endpoint = true
	s = synthWithContext(t, p, map[string]any{vpcLookupKey(p.VPCID): existingVPC(p.VPCID)})
	s.tmpl.AllResourcesProperties(jsii.String("AWS::Batch::ComputeEnvironment"), map[string]any{
		"ComputeResources": assertions.Match_ObjectLike(&map[string]any{"Subnets": []any{"subnet-0000000000000000c"}, "SecurityGroupIds": []any{"sg-0123"}}),
	})
	s.tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), map[string]any{"VpcEndpointType": "Gateway", "VpcId": p.VPCID})
	_, fn = s.fn(t, "aloft-advance")
	assert.Equal(t, "DISABLED", props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)["ALOFT_ASSIGN_PUBLIC_IP"])
}

// One vCPU cap per environment, a spot GPU queue, and RUNNABLE jobs
// cancelled after the setting's time.
func TestComputeSettings(t *testing.T) {
	p := testProps()
	p.MaxVCPUs, p.GPUMaxVCPUs, p.GPUSpotMaxVCPUs = 32, 8, 16
	p.RunnableTimeoutMinutes = 30
	s := synth(t, p)
	caps := map[string]float64{}
	for _, ce := range s.resources("AWS::Batch::ComputeEnvironment") {
		cr := props(ce)["ComputeResources"].(map[string]any)
		caps[cr["Type"].(string)] = cr["MaxvCpus"].(float64)
		if cr["Type"] == "SPOT" {
			assert.Equal(t, "SPOT_PRICE_CAPACITY_OPTIMIZED", cr["AllocationStrategy"])
		}
	}
	assert.Equal(t, map[string]float64{"FARGATE": 32, "FARGATE_SPOT": 32, "EC2": 8, "SPOT": 16}, caps)
	queues := s.resources("AWS::Batch::JobQueue")
	assert.Len(t, queues, 4)
	for id, q := range queues {
		actions := asList(props(q)["JobStateTimeLimitActions"])
		require.Len(t, actions, len(RunnableReasons), id)
		for _, a := range actions {
			a := a.(map[string]any)
			assert.Equal(t, "CANCEL", a["Action"])
			assert.Equal(t, "RUNNABLE", a["State"])
			assert.Equal(t, float64(30*60), a["MaxTimeSeconds"])
		}
	}
	_, fn := s.fn(t, "aloft-advance")
	env := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
	assert.Equal(t, "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu-spot", s.resolver(t).str(env["ALOFT_JOB_QUEUE_GPU_SPOT"]))
}

// data/ lifecycle is opt-in.
func TestDataLifecycle(t *testing.T) {
	rules := func(s synthed) []any {
		for _, b := range s.resources("AWS::S3::Bucket") {
			return props(b)["LifecycleConfiguration"].(map[string]any)["Rules"].([]any)
		}
		t.Fatal("no bucket")
		return nil
	}
	for _, r := range rules(defaultStack(t)) {
		assert.NotEqual(t, "data-lifecycle", r.(map[string]any)["Id"])
	}
	p := testProps()
	p.DataExpireDays, p.DataTieringDays = 90, 30
	s := synth(t, p)
	s.tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{map[string]any{
			"Id": "data-lifecycle", "Prefix": "data/", "Status": "Enabled", "ExpirationInDays": 90,
			"Transitions": []any{map[string]any{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 30}},
		}})},
	})
}

// The stack writes the deployment record at the bucket's root; the
// custom resource may put and delete that one object only.
func TestDeploymentRecord(t *testing.T) {
	p := testProps()
	p.GCP = GCPSettings{Project: "proj", Region: "europe-west4", ServiceAccountEmail: "runner@proj.iam.gserviceaccount.com"}
	p.SecretsPrefix = "ml/"
	s := synth(t, p)
	r := s.resolver(t)
	recs := s.resources("Custom::AWS")
	require.Len(t, recs, 1)
	var create struct {
		Service, Action string
		Parameters      map[string]any
	}
	for _, rec := range recs {
		require.NoError(t, json.Unmarshal([]byte(r.str(props(rec)["Create"])), &create))
	}
	assert.Equal(t, "putObject", create.Action)
	assert.Equal(t, testBucket, create.Parameters["Bucket"])
	assert.Equal(t, layout.DeploymentKey, create.Parameters["Key"])
	var got deployment.Record
	require.NoError(t, json.Unmarshal([]byte(create.Parameters["Body"].(string)), &got))
	assert.Equal(t, deployment.Version, got.Version)
	assert.Equal(t, []string{"aws-batch", "gcp-batch"}, got.TargetNames())
	require.Len(t, got.Targets[0].Queues, 4)
	gpu := got.Targets[0].Queues[2]
	assert.Equal(t, "gpu", gpu.Name)
	assert.Equal(t, "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu", gpu.ARN)
	assert.Equal(t, []string{"nvidia-a10g", "nvidia-t4"}, gpu.Accelerators)
	assert.True(t, got.Targets[0].Queues[3].Spot)
	assert.Equal(t, s.logicalIDPrefix(t, "AWS::Logs::LogGroup", "TaskLogs"), got.TaskLogGroup)
	assert.Equal(t, "ml/", got.SecretsPrefix)
	assert.True(t, strings.HasPrefix(got.NotificationTopic, "arn:aws:sns:us-east-1:123456789012:NotificationTopic"), got.NotificationTopic)
	assert.True(t, strings.HasPrefix(got.AlarmTopic, "arn:aws:sns:us-east-1:123456789012:AlarmTopic"), got.AlarmTopic)
	require.NotNil(t, got.GCP)
	assert.Equal(t, deployment.GCP{Project: "proj", Region: "europe-west4", ServiceAccountEmail: "runner@proj.iam.gserviceaccount.com"}, *got.GCP)

	// Without GCP settings only aws-batch is offered.
	def := defaultStack(t)
	for _, rec := range def.resources("Custom::AWS") {
		require.NoError(t, json.Unmarshal([]byte(def.resolver(t).str(props(rec)["Create"])), &create))
	}
	require.NoError(t, json.Unmarshal([]byte(create.Parameters["Body"].(string)), &got))
	assert.Equal(t, []string{"aws-batch"}, got.TargetNames())

	// The custom resource's policy: that one key, put and delete.
	for _, pol := range s.resources("AWS::IAM::Policy") {
		doc := r.resolve(props(pol)["PolicyDocument"]).(map[string]any)
		for _, st := range asList(doc["Statement"]) {
			st := st.(map[string]any)
			if res := asList(st["Resource"]); len(res) == 1 && res[0] == "arn:aws:s3:::"+testBucket+"/"+layout.DeploymentKey {
				assert.ElementsMatch(t, []any{"s3:PutObject", "s3:DeleteObject"}, asList(st["Action"]))
			}
		}
	}
}

// Roles carry only the AWS-managed policies reviewed here; every
// statement of the stack's own managed policies is scanned with the rest
// (statements walks every resource).
func TestManagedPolicies(t *testing.T) {
	s := defaultStack(t)
	r := s.resolver(t)
	reviewed := map[string]string{
		"arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role": "the GPU hosts' ECS agent (containers cannot reach it: IMDSv2, hop limit 1)",
		"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole":         "logs of the deployment record's custom resource",
	}
	n := 0
	for id, role := range s.resources("AWS::IAM::Role") {
		for _, arn := range asList(props(role)["ManagedPolicyArns"]) {
			n++
			a := r.str(arn)
			_, ok := reviewed[a]
			assert.True(t, ok, "role %s has managed policy %s nobody reviewed", id, a)
		}
	}
	assert.Positive(t, n, "the scan saw no managed policy: it is not looking")
	for id, mp := range s.resources("AWS::IAM::ManagedPolicy") {
		assert.Contains(t, statements(s), "Resources."+id+".Properties.PolicyDocument", "managed policy %s not scanned", id)
		_ = mp
	}
}
