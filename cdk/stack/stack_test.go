package stack

import (
	"bufio"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestBucket(t *testing.T) {
	s := defaultStack(t)
	s.tmpl.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(1))
	s.tmpl.HasResource(jsii.String("AWS::S3::Bucket"), map[string]any{
		"DeletionPolicy": "Retain",
		"Properties": map[string]any{
			"BucketName": testBucket,
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
				map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
			}},
			"PublicAccessBlockConfiguration": map[string]any{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"NotificationConfiguration": map[string]any{"EventBridgeConfiguration": map[string]any{"EventBridgeEnabled": true}},
			"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{
				map[string]any{"Id": "expire-tmp", "Prefix": TmpPrefix, "ExpirationInDays": TmpExpirationDays, "Status": "Enabled"},
				map[string]any{"Id": "abort-incomplete-multipart-uploads", "AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 1}, "Status": "Enabled"},
			})},
			"VersioningConfiguration": assertions.Match_Absent(),
		},
	})
	// TLS only: a Deny for requests without SecureTransport.
	s.tmpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
		"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"Effect":    "Deny",
			"Action":    "s3:*",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			"Principal": map[string]any{"AWS": "*"},
		})})},
	})
	// No custom resource for notifications or anything else: only the
	// deployment record's (TestDeploymentRecord).
	for id, r := range s.doc["Resources"].(map[string]any) {
		typ := r.(map[string]any)["Type"].(string)
		if (strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource") && !strings.HasPrefix(id, "DeploymentRecord") {
			t.Errorf("custom resource %s (%s) in the default stack", id, typ)
		}
	}
}

func TestQueueAndEventSource(t *testing.T) {
	s := defaultStack(t)
	r := s.resolver(t)
	_, advance := s.fn(t, "aloft-advance")
	fnTimeout := props(advance)["Timeout"].(float64)

	_, q := s.one(t, "AWS::SQS::Queue", "QueueName", "aloft-advance")
	qp := r.resolve(props(q)).(map[string]any)
	if vis := qp["VisibilityTimeout"].(float64); vis < 6*fnTimeout {
		t.Errorf("visibility timeout %vs < 6 x advance timeout %vs", vis, fnTimeout)
	}
	if qp["SqsManagedSseEnabled"] != true {
		t.Errorf("queue not encrypted: %v", qp["SqsManagedSseEnabled"])
	}
	wantRedrive := map[string]any{
		"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:aloft-advance-dlq",
		"maxReceiveCount":     float64(MaxReceiveCount),
	}
	if !reflect.DeepEqual(qp["RedrivePolicy"], wantRedrive) {
		t.Errorf("redrive %v, want %v", qp["RedrivePolicy"], wantRedrive)
	}
	s.one(t, "AWS::SQS::Queue", "QueueName", "aloft-advance-dlq")

	maps := s.resources("AWS::Lambda::EventSourceMapping")
	if len(maps) != 1 {
		t.Fatalf("%d event source mappings, want 1", len(maps))
	}
	for _, m := range maps {
		mp := r.resolve(props(m)).(map[string]any)
		want := map[string]any{
			"EventSourceArn":                 "arn:aws:sqs:us-east-1:123456789012:aloft-advance",
			"FunctionName":                   "aloft-advance",
			"BatchSize":                      float64(AdvanceBatchSize),
			"MaximumBatchingWindowInSeconds": float64(AdvanceBatchingWindowSeconds),
			"FunctionResponseTypes":          []any{"ReportBatchItemFailures"},
			"ScalingConfig":                  map[string]any{"MaximumConcurrency": float64(AdvanceMaxConcurrency)},
		}
		for k, v := range want {
			if !reflect.DeepEqual(mp[k], v) {
				t.Errorf("event source mapping %s = %v, want %v", k, mp[k], v)
			}
		}
		if vis := props(q)["VisibilityTimeout"].(float64); vis < 6*fnTimeout+mp["MaximumBatchingWindowInSeconds"].(float64) {
			t.Errorf("visibility timeout %vs < 6 x timeout + batching window", vis)
		}
	}
}

func TestFunctions(t *testing.T) {
	s := defaultStack(t)
	r := s.resolver(t)
	want := map[string]struct{ timeout, memory int }{
		"advance":   {AdvanceTimeoutSeconds, AdvanceMemoryMB},
		"trigger":   {TriggerTimeoutSeconds, TriggerMemoryMB},
		"registrar": {RegistrarTimeoutSeconds, RegistrarMemoryMB},
	}
	for _, name := range Functions {
		_, fn := s.fn(t, "aloft-"+name)
		p := props(fn)
		if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" ||
			!reflect.DeepEqual(p["Architectures"], []any{"arm64"}) {
			t.Errorf("%s: runtime %v handler %v architectures %v, want provided.al2023 bootstrap [arm64]",
				name, p["Runtime"], p["Handler"], p["Architectures"])
		}
		if p["Timeout"] != float64(want[name].timeout) || p["MemorySize"] != float64(want[name].memory) {
			t.Errorf("%s: timeout %v memory %v, want %v", name, p["Timeout"], p["MemorySize"], want[name])
		}
		// A generated name: a group retained by a destroyed stack never
		// collides with the next deploy.
		lg := r.str(p["LoggingConfig"].(map[string]any)["LogGroup"])
		group, ok := s.doc["Resources"].(map[string]any)[lg].(map[string]any)
		if !ok || group["Type"] != "AWS::Logs::LogGroup" || props(group)["LogGroupName"] != nil {
			t.Fatalf("%s logs to %s, want a log group of the stack with a generated name", name, lg)
		}
		if props(group)["RetentionInDays"] != float64(DefaultLogRetentionDays) {
			t.Errorf("%s log retention %v", name, props(group)["RetentionInDays"])
		}
		if _, ok := p["ReservedConcurrentExecutions"]; ok {
			t.Errorf("%s reserves concurrency: a new account's limit of 10 would refuse the deploy", name)
		}
	}
	// Function code is the bootstrap directory, zipped as an asset.
	_, advance := s.fn(t, "aloft-advance")
	if code := props(advance)["Code"].(map[string]any); code["S3Bucket"] == nil || code["S3Key"] == nil {
		t.Errorf("advance code %v is not an asset", code)
	}
}

// TestFunctionEnvironmentMatchesContract reads the configuration table of
// functions/README.md and checks each function's environment against it:
// every variable the contract gives a function is set, and no other.
func TestFunctionEnvironmentMatchesContract(t *testing.T) {
	contract := contractEnv(t)
	s := defaultStack(t)
	r := s.resolver(t)
	env := map[string]map[string]string{}
	for _, name := range Functions {
		_, fn := s.fn(t, "aloft-"+name)
		vars := r.resolve(props(fn)["Environment"].(map[string]any)["Variables"]).(map[string]any)
		env[name] = map[string]string{}
		var got []string
		for k, v := range vars {
			got = append(got, k)
			env[name][k] = v.(string)
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, contract[name]) {
			t.Errorf("%s environment %v, contract says %v", name, got, contract[name])
		}
	}
	want := map[string]map[string]string{
		"advance": {
			"ALOFT_STORE":                 "s3://" + testBucket,
			"ALOFT_QUEUE_URL":             "https://sqs.us-east-1.amazonaws.com/123456789012/aloft-advance",
			"ALOFT_JOB_QUEUE_CPU":         "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-cpu",
			"ALOFT_JOB_QUEUE_SPOT":        "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-spot",
			"ALOFT_JOB_QUEUE_GPU":         "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu",
			"ALOFT_JOB_ROLE_ARN":          "arn:aws:iam::123456789012:role/" + s.roleID(t, "TaskJobRole"),
			"ALOFT_EXECUTION_ROLE_ARN":    "arn:aws:iam::123456789012:role/" + s.roleID(t, "TaskExecutionRole"),
			"ALOFT_PLATFORM":              "FARGATE",
			"ALOFT_JOB_QUEUE_GPU_SPOT":    "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu-spot",
			"ALOFT_ASSIGN_PUBLIC_IP":      "ENABLED",
			"ALOFT_TASK_LOG_GROUP":        s.logicalIDPrefix(t, "AWS::Logs::LogGroup", "TaskLogs"),
			"ALOFT_JOB_DEFINITION_PREFIX": "aloft-",
			"ALOFT_MANAGED_TAG":           "aloft",
			"ALOFT_NOTIFY_TOPIC_ARN":      "arn:aws:sns:us-east-1:123456789012:" + s.logicalIDPrefix(t, "AWS::SNS::Topic", "NotificationTopic"),
		},
		"trigger": {"ALOFT_STORE": "s3://" + testBucket},
		"registrar": {
			"ALOFT_STORE":          "s3://" + testBucket,
			"ALOFT_TRIGGER_ARN":    "arn:aws:lambda:us-east-1:123456789012:function:aloft-trigger",
			"ALOFT_RULE_PREFIX":    "aloft-lp-",
			"ALOFT_EVENTS_DLQ_ARN": "arn:aws:sqs:us-east-1:123456789012:aloft-events-dlq",
		},
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("environment\n got %v\nwant %v", env, want)
	}
}

// roleID finds the logical id of the role whose construct id is prefix.
func (s synthed) roleID(t testing.TB, prefix string) string {
	t.Helper()
	re := regexp.MustCompile("^" + prefix + "[0-9A-F]{8}$")
	for id := range s.resources("AWS::IAM::Role") {
		if re.MatchString(id) {
			return id
		}
	}
	t.Fatalf("no role %s", prefix)
	return ""
}

// contractEnv parses the "Configuration" table of functions/README.md into
// the sorted variable names each function must have.
func contractEnv(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open("../../functions/README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names := regexp.MustCompile("`(ALOFT_[A-Z_]+)`")
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 4 || !strings.Contains(cells[1], "`ALOFT_") {
			continue
		}
		users := strings.TrimSpace(cells[2])
		for _, m := range names.FindAllStringSubmatch(cells[1], -1) {
			for _, fn := range Functions {
				if users == "all" || strings.Contains(users, fn) {
					out[fn] = append(out[fn], m[1])
				}
			}
		}
	}
	if len(out) != len(Functions) {
		t.Fatalf("contract table names variables for %d functions, want %d", len(out), len(Functions))
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

func TestBatch(t *testing.T) {
	s := defaultStack(t)
	checkCompute(t, s, DefaultGPUInstanceTypes, DefaultMaxVCPUs)
}

func TestBatchConfigured(t *testing.T) {
	p := testProps()
	p.GPUInstanceTypes = []string{"g6.xlarge", "p3.2xlarge"}
	p.MaxVCPUs = 8
	checkCompute(t, synth(t, p), p.GPUInstanceTypes, 8)
}

// checkCompute: Fargate on-demand and spot, a GPU EC2 environment with the
// ECS GPU AMI and the given instance types, all scaling from zero to
// maxv vCPUs, and one named job queue on each.
func checkCompute(t *testing.T, s synthed, gpuTypes []string, maxv int) {
	t.Helper()
	envs := s.resources("AWS::Batch::ComputeEnvironment")
	if len(envs) != 4 {
		t.Fatalf("%d compute environments, want 4", len(envs))
	}
	kindOf := map[string]string{}
	for id, e := range envs {
		p := props(e)
		if p["Type"] != "managed" && p["Type"] != "MANAGED" {
			t.Errorf("%s type %v, want managed", id, p["Type"])
		}
		cr := p["ComputeResources"].(map[string]any)
		if cr["MaxvCpus"] != float64(maxv) {
			t.Errorf("%s max vCPUs %v, want %d", id, cr["MaxvCpus"], maxv)
		}
		kindOf[id] = cr["Type"].(string)
		if cr["Type"] == "EC2" || cr["Type"] == "SPOT" {
			if cr["MinvCpus"] != float64(0) {
				t.Errorf("GPU environment min vCPUs %v, want 0", cr["MinvCpus"])
			}
			var types []string
			for _, x := range cr["InstanceTypes"].([]any) {
				types = append(types, x.(string))
			}
			if !reflect.DeepEqual(types, gpuTypes) {
				t.Errorf("GPU instance types %v, want %v", types, gpuTypes)
			}
			if !reflect.DeepEqual(cr["Ec2Configuration"], []any{map[string]any{"ImageType": "ECS_AL2023_NVIDIA"}}) {
				t.Errorf("GPU environment image %v, want the ECS GPU AMI", cr["Ec2Configuration"])
			}
		}
	}
	queues := map[string]string{}
	for id, q := range s.resources("AWS::Batch::JobQueue") {
		p := props(q)
		order := p["ComputeEnvironmentOrder"].([]any)
		if len(order) != 1 {
			t.Fatalf("job queue %s has %d environments", id, len(order))
		}
		ref := order[0].(map[string]any)["ComputeEnvironment"].(map[string]any)["Fn::GetAtt"].([]any)
		env := ref[0].(string)
		queues[p["JobQueueName"].(string)] = kindOf[env]
	}
	want := map[string]string{"aloft-cpu": "FARGATE", "aloft-spot": "FARGATE_SPOT", "aloft-gpu": "EC2", "aloft-gpu-spot": "SPOT"}
	if !reflect.DeepEqual(queues, want) {
		t.Errorf("job queues -> environment kinds %v, want %v", queues, want)
	}
}

// TestNetwork: a new VPC has public subnets only, no NAT gateway (nothing
// billed while idle) and a free S3 gateway endpoint.
func TestNetwork(t *testing.T) {
	s := defaultStack(t)
	s.tmpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(0))
	s.tmpl.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1))
	s.tmpl.AllResourcesProperties(jsii.String("AWS::EC2::Subnet"), map[string]any{"MapPublicIpOnLaunch": true})
	s.tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), map[string]any{"VpcEndpointType": "Gateway"})
	for _, typ := range []string{"AWS::EC2::EIP", "AWS::EC2::Instance", "AWS::KMS::Key", "AWS::EC2::TransitGateway"} {
		s.tmpl.ResourceCountIs(jsii.String(typ), jsii.Number(0))
	}
}

// TestExistingVPC: with a VPC id the stack looks it up (CDK's dummy VPC
// until `cdk synth` with credentials fills the context) and makes none.
func TestExistingVPC(t *testing.T) {
	p := testProps()
	p.VPCID = "vpc-0123456789abcdef0"
	p.Env = &awscdk.Environment{Account: jsii.String(testAccount), Region: jsii.String(testRegion)}
	s := synthWithContext(t, p, map[string]any{vpcLookupKey(p.VPCID): existingVPC(p.VPCID)})
	s.tmpl.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(0))
	s.tmpl.ResourceCountIs(jsii.String("AWS::Batch::ComputeEnvironment"), jsii.Number(4))
	// Batch runs in the VPC's private subnets (which have a NAT there).
	s.tmpl.AllResourcesProperties(jsii.String("AWS::Batch::ComputeEnvironment"), map[string]any{
		"ComputeResources": assertions.Match_ObjectLike(&map[string]any{"Subnets": []any{"subnet-0000000000000000c", "subnet-0000000000000000d"}}),
	})
}

// vpcLookupKey is the context key of CDK's VPC lookup, which `cdk synth`
// fills from the account; tests fill it themselves.
func vpcLookupKey(id string) string {
	return "vpc-provider:account=" + testAccount + ":filter.vpc-id=" + id + ":region=" + testRegion + ":returnAsymmetricSubnets=true"
}

// existingVPC is a lookup answer: two zones, public and private subnets.
func existingVPC(id string) map[string]any {
	subnet := func(n, az, cidr string) map[string]any {
		return map[string]any{"subnetId": "subnet-000000000000000" + n, "cidr": cidr, "availabilityZone": az, "routeTableId": "rtb-000000000000000" + n}
	}
	return map[string]any{
		"vpcId":             id,
		"vpcCidrBlock":      "10.1.0.0/16",
		"ownerAccountId":    testAccount,
		"availabilityZones": []any{},
		"subnetGroups": []any{
			map[string]any{"name": "Public", "type": "Public", "subnets": []any{
				subnet("0a", "us-east-1a", "10.1.0.0/20"), subnet("0b", "us-east-1b", "10.1.16.0/20"),
			}},
			map[string]any{"name": "Private", "type": "Private", "subnets": []any{
				subnet("0c", "us-east-1a", "10.1.32.0/20"), subnet("0d", "us-east-1b", "10.1.48.0/20"),
			}},
		},
	}
}

func TestRepository(t *testing.T) {
	s := defaultStack(t)
	s.tmpl.HasResource(jsii.String("AWS::ECR::Repository"), map[string]any{
		"DeletionPolicy": "Retain",
		"Properties": map[string]any{
			"RepositoryName":             assertions.Match_Absent(), // generated: a retained one never collides
			"ImageScanningConfiguration": map[string]any{"ScanOnPush": true},
			"EmptyOnDelete":              assertions.Match_Absent(),
		},
	})
}

// TestDestroyAndVersioned: removal policy destroy empties and deletes the
// bucket and the repository; versioning turns on with noncurrent expiry.
func TestDestroyAndVersioned(t *testing.T) {
	p := testProps()
	p.RemovalPolicy = Destroy
	p.Versioned = true
	s := synth(t, p)
	s.tmpl.HasResource(jsii.String("AWS::S3::Bucket"), map[string]any{
		"DeletionPolicy": "Delete",
		"Properties": map[string]any{
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
			"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Id": "expire-noncurrent-versions", "NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 30}}),
			})},
		},
	})
	s.tmpl.ResourceCountIs(jsii.String("Custom::S3AutoDeleteObjects"), jsii.Number(1))
	s.tmpl.HasResource(jsii.String("AWS::ECR::Repository"), map[string]any{
		"DeletionPolicy": "Delete",
		"Properties":     map[string]any{"EmptyOnDelete": true},
	})
	s.tmpl.AllResources(jsii.String("AWS::Logs::LogGroup"), map[string]any{"DeletionPolicy": "Delete"})
	noStarOnStar(t, s)
}
