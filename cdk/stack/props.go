package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// Props configure the stack. Every field but FunctionsDir has a working
// default.
type Props struct {
	// StackName is the CloudFormation stack name and the prefix of the
	// resources that carry names: functions STACK-advance, the queue
	// STACK-advance, job queues STACK-cpu|spot|gpu, the ECR repository
	// STACK-tasks, and the registrar's rules STACK-lp-*. Default "aloft".
	StackName string
	// Env pins the account and region; nil synthesizes an
	// environment-agnostic stack. Required with VPCID (the lookup needs it).
	Env *awscdk.Environment
	// VPCID is an existing VPC to run Batch compute in. Empty creates a VPC
	// with public subnets only and no NAT gateway, so it costs nothing idle.
	VPCID string
	// GPUInstanceTypes for the GPU compute environment; default
	// g4dn.xlarge and g5.xlarge.
	GPUInstanceTypes []string
	// MaxVCPUs caps each compute environment; default 64.
	MaxVCPUs int
	// RemovalPolicy of the bucket, the ECR repository and the log groups
	// when the stack is deleted: Retain (default) or Destroy (which also
	// empties the bucket and the repository).
	RemovalPolicy RemovalPolicy
	// Versioned turns on bucket versioning (noncurrent versions expire).
	Versioned bool
	// BucketName fixes the bucket's name; empty lets CloudFormation choose
	// a unique one.
	BucketName string
	// LogRetentionDays of the functions' log groups; default 30. One of
	// 1, 3, 5, 7, 14, 30, 60, 90, 180, 365.
	LogRetentionDays int
	// FunctionsDir holds advance/bootstrap, trigger/bootstrap and
	// registrar/bootstrap (linux/arm64 binaries built by `make functions`).
	FunctionsDir string
	// GCP are the GCP Batch settings recorded in the deployment record.
	GCP GCPSettings

	// ExistingBucket adopts a bucket a destroyed stack retained (its
	// registry, runs and cache) instead of creating one; it keeps the
	// settings it was made with (notifications, lifecycle).
	ExistingBucket string
	// TaskRepository adopts a retained ECR repository by name instead of
	// creating one.
	TaskRepository string
	// TaskLogRetentionDays of the task containers' log group; default 30.
	TaskLogRetentionDays int
	// SecretsPrefix is the name prefix of the Secrets Manager secrets task
	// containers may read (Decision 35); default STACK/.
	SecretsPrefix string
	// NotifyEmails subscribe to the notification topic (Decision 26),
	// AlarmEmails to the alarm topic.
	NotifyEmails, AlarmEmails []string

	// SubnetIDs and SecurityGroupIDs place Batch compute in an existing VPC
	// (default: its private subnets when it has any, and a new group).
	SubnetIDs, SecurityGroupIDs []string
	// AssignPublicIP gives Fargate tasks a public IP: "true" (default for
	// the stack's own VPC: public subnets, no NAT) or "false" (default for
	// an existing VPC: private subnets with NAT or endpoints).
	AssignPublicIP string
	// S3Endpoint adds an S3 gateway endpoint to an existing VPC (the
	// stack's own VPC always has one).
	S3Endpoint bool
	// MaxAZs is how many zones the stack's own VPC spans; default 3 (more
	// zones, more GPU and spot capacity).
	MaxAZs int

	// Per-environment vCPU caps; each defaults to MaxVCPUs.
	CPUMaxVCPUs, SpotMaxVCPUs, GPUMaxVCPUs, GPUSpotMaxVCPUs int
	// RunnableTimeoutMinutes cancels a job that waited RUNNABLE this long
	// at the head of its queue (no capacity: a vCPU or GPU quota of 0, an
	// instance type the zone lacks); 10 to 1440, default 60.
	RunnableTimeoutMinutes int

	// DataExpireDays expires objects under data/ this many days after
	// they were written (0: never); DataTieringDays moves them to S3
	// Intelligent-Tiering (0: never). A catalog entry whose object expired
	// is a cache miss (Decision 23), never a broken hit.
	DataExpireDays, DataTieringDays int
}

// RemovalPolicy says what deleting the stack does to stored data.
type RemovalPolicy string

// The removal policies.
const (
	Retain  RemovalPolicy = "retain"
	Destroy RemovalPolicy = "destroy"
)

// GCPSettings are for running tasks on GCP Batch (Decision 24): recorded
// in the deployment record and the template's metadata (`aloft gcp setup`
// prints the flags to pass).
type GCPSettings struct {
	Project, Region                             string
	Network, Subnetwork                         string
	ServiceAccountEmail, ServiceAccountUniqueID string
	WorkloadIdentityProvider, ArtifactRegistry  string
}

// Functions are the Lambda functions of the control plane, in the order
// their code directories are checked.
var Functions = []string{"advance", "trigger", "registrar"}

// Defaults.
const (
	DefaultStackName        = "aloft"
	DefaultMaxVCPUs         = 64
	DefaultLogRetentionDays = 30
	DefaultMaxAZs           = 3
	DefaultRunnableMinutes  = 60
)

// DefaultGPUInstanceTypes are the GPU compute environment's instance types
// when Props leave them empty: the cheapest single-GPU types (T4, A10G).
var DefaultGPUInstanceTypes = []string{"g4dn.xlarge", "g5.xlarge"}

var (
	// Lowercase, single hyphens: the strictest of the names derived from
	// it (ECR repositories, S3, Batch, SQS, Lambda, IAM).
	stackNameRE     = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	instanceTypeRE  = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	secretsPrefixRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)
	emailRE         = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// networkDefaults checks the network settings and fills in their defaults.
func (p *Props) networkDefaults() error {
	if p.VPCID == "" && (len(p.SubnetIDs) > 0 || len(p.SecurityGroupIDs) > 0 || p.S3Endpoint) {
		return fmt.Errorf("subnetIds, securityGroupIds and s3Endpoint need vpcId (the stack's own VPC has public subnets, a security group and an S3 endpoint)")
	}
	switch p.AssignPublicIP {
	case "":
		p.AssignPublicIP = strconv.FormatBool(p.VPCID == "")
	case "true", "false":
	default:
		return fmt.Errorf("assignPublicIp %q: want true or false", p.AssignPublicIP)
	}
	if p.VPCID == "" && p.AssignPublicIP == "false" {
		return fmt.Errorf("assignPublicIp false with the stack's own VPC: its subnets are public with no NAT gateway, so tasks could not pull images; give vpcId with private subnets")
	}
	if p.MaxAZs == 0 {
		p.MaxAZs = DefaultMaxAZs
	}
	if p.MaxAZs < 1 {
		return fmt.Errorf("maxAzs %d: want at least 1", p.MaxAZs)
	}
	return nil
}

// publicIP is the Batch assignPublicIp value of Fargate jobs.
func (p Props) publicIP() string {
	if p.AssignPublicIP == "true" {
		return "ENABLED"
	}
	return "DISABLED"
}

// withDefaults fills in defaults and rejects settings that cannot deploy.
func (p Props) withDefaults() (Props, error) {
	if p.StackName == "" {
		p.StackName = DefaultStackName
	}
	if !stackNameRE.MatchString(p.StackName) || len(p.StackName) > 32 {
		return p, fmt.Errorf("stack name %q: want up to 32 lowercase letters, digits and single hyphens, starting with a letter and not ending in a hyphen (every resource name starts with it, and ECR allows no capitals)", p.StackName)
	}
	if len(p.GPUInstanceTypes) == 0 {
		p.GPUInstanceTypes = DefaultGPUInstanceTypes
	}
	for _, t := range p.GPUInstanceTypes {
		if !instanceTypeRE.MatchString(t) {
			return p, fmt.Errorf("GPU instance type %q: want FAMILY.SIZE, like g5.xlarge", t)
		}
	}
	if p.MaxVCPUs == 0 {
		p.MaxVCPUs = DefaultMaxVCPUs
	}
	for _, v := range []struct {
		name string
		n    *int
	}{{"maxVcpus", &p.MaxVCPUs}, {"cpuMaxVcpus", &p.CPUMaxVCPUs}, {"spotMaxVcpus", &p.SpotMaxVCPUs}, {"gpuMaxVcpus", &p.GPUMaxVCPUs}, {"gpuSpotMaxVcpus", &p.GPUSpotMaxVCPUs}} {
		if *v.n == 0 {
			*v.n = p.MaxVCPUs
		}
		if *v.n < 1 {
			return p, fmt.Errorf("%s %d: want at least 1", v.name, *v.n)
		}
	}
	if err := p.networkDefaults(); err != nil {
		return p, err
	}
	if p.RunnableTimeoutMinutes == 0 {
		p.RunnableTimeoutMinutes = DefaultRunnableMinutes
	}
	if p.RunnableTimeoutMinutes < 10 || p.RunnableTimeoutMinutes > 1440 {
		return p, fmt.Errorf("runnableTimeoutMinutes %d: want 10 to 1440 (AWS Batch's limits)", p.RunnableTimeoutMinutes)
	}
	if p.DataExpireDays < 0 || p.DataTieringDays < 0 || (p.DataExpireDays > 0 && p.DataExpireDays < 7) {
		return p, fmt.Errorf("dataExpireDays %d, dataTieringDays %d: want 0 (off) or a number of days, expiry at least 7", p.DataExpireDays, p.DataTieringDays)
	}
	if p.DataExpireDays > 0 && p.DataTieringDays >= p.DataExpireDays {
		return p, fmt.Errorf("dataTieringDays %d: want fewer days than dataExpireDays %d", p.DataTieringDays, p.DataExpireDays)
	}
	if p.SecretsPrefix == "" {
		p.SecretsPrefix = p.StackName + "/"
	}
	if !secretsPrefixRE.MatchString(p.SecretsPrefix) {
		return p, fmt.Errorf("secretsPrefix %q: want letters, digits and /_+=.@- (a Secrets Manager name prefix)", p.SecretsPrefix)
	}
	for _, e := range append(append([]string{}, p.NotifyEmails...), p.AlarmEmails...) {
		if !emailRE.MatchString(e) {
			return p, fmt.Errorf("email %q (notifyEmail or alarmEmail): want name@domain", e)
		}
	}
	if p.ExistingBucket != "" && (p.DataExpireDays > 0 || p.DataTieringDays > 0 || p.Versioned) {
		return p, fmt.Errorf("existingBucket %q keeps its own lifecycle and versioning: dataExpireDays, dataTieringDays and versioned apply only to a bucket the stack creates", p.ExistingBucket)
	}
	if p.ExistingBucket != "" && p.BucketName != "" {
		return p, fmt.Errorf("bucketName %q and existingBucket %q: give one (bucketName creates a bucket, existingBucket adopts a retained one)", p.BucketName, p.ExistingBucket)
	}
	switch p.RemovalPolicy {
	case "":
		p.RemovalPolicy = Retain
	case Retain, Destroy:
	default:
		return p, fmt.Errorf("removal policy %q: want %q or %q", p.RemovalPolicy, Retain, Destroy)
	}
	for _, v := range []struct {
		name string
		n    *int
	}{{"logRetentionDays", &p.LogRetentionDays}, {"taskLogRetentionDays", &p.TaskLogRetentionDays}} {
		if *v.n == 0 {
			*v.n = DefaultLogRetentionDays
		}
		if _, ok := retention[*v.n]; !ok {
			return p, fmt.Errorf("%s %d: want one of 1, 3, 5, 7, 14, 30, 60, 90, 180, 365", v.name, *v.n)
		}
	}
	if p.VPCID != "" && (p.Env == nil || p.Env.Account == nil || p.Env.Region == nil) {
		return p, fmt.Errorf("existing VPC %s: the lookup needs the account and region (set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION, or use a profile)", p.VPCID)
	}
	if p.GCP.Project == "" && p.GCP != (GCPSettings{}) || (p.GCP.Project == "") != (p.GCP.Region == "") {
		return p, fmt.Errorf("GCP settings: give both project and region, or neither")
	}
	if p.FunctionsDir == "" {
		return p, fmt.Errorf("no functions directory: build the functions with `make functions` and pass -c functionsDir=DIR")
	}
	var missing []string
	for _, fn := range Functions {
		if fi, err := os.Stat(filepath.Join(p.FunctionsDir, fn, "bootstrap")); err != nil || !fi.Mode().IsRegular() {
			missing = append(missing, filepath.Join(fn, "bootstrap"))
		}
	}
	if len(missing) > 0 {
		return p, fmt.Errorf("functions directory %s lacks %s: run `make functions` first", p.FunctionsDir, strings.Join(missing, ", "))
	}
	return p, nil
}

// RulePrefix is the name prefix of the launch-plan rules the registrar
// manages, and the only rules it may touch.
func (p Props) RulePrefix() string { return p.StackName + "-lp-" }

func (p Props) name(suffix string) string { return p.StackName + "-" + suffix }

// JobDefinitionPrefix is the name prefix of the job definitions advance
// registers (content-addressed: STACK-<hash>); its Batch permissions are
// scoped to it.
func (p Props) JobDefinitionPrefix() string { return p.StackName + "-" }

func (p Props) removal() awscdk.RemovalPolicy {
	if p.RemovalPolicy == Destroy {
		return awscdk.RemovalPolicy_DESTROY
	}
	return awscdk.RemovalPolicy_RETAIN
}
