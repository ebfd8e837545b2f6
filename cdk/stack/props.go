package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
	// GCP is a placeholder for GCP Batch and GCS settings.
	GCP GCPSettings
}

// RemovalPolicy says what deleting the stack does to stored data.
type RemovalPolicy string

// The removal policies.
const (
	Retain  RemovalPolicy = "retain"
	Destroy RemovalPolicy = "destroy"
)

// GCPSettings are reserved for running tasks on GCP Batch. They are
// validated and recorded in the template's metadata, not used yet.
type GCPSettings struct {
	Project string
	Region  string
}

// Functions are the Lambda functions of the control plane, in the order
// their code directories are checked.
var Functions = []string{"advance", "trigger", "registrar"}

// Defaults.
const (
	DefaultStackName        = "aloft"
	DefaultMaxVCPUs         = 64
	DefaultLogRetentionDays = 30
)

// DefaultGPUInstanceTypes are the GPU compute environment's instance types
// when Props leave them empty: the cheapest single-GPU types (T4, A10G).
var DefaultGPUInstanceTypes = []string{"g4dn.xlarge", "g5.xlarge"}

var (
	stackNameRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,31}$`)
	instanceTypeRE = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
)

// withDefaults fills in defaults and rejects settings that cannot deploy.
func (p Props) withDefaults() (Props, error) {
	if p.StackName == "" {
		p.StackName = DefaultStackName
	}
	if !stackNameRE.MatchString(p.StackName) {
		return p, fmt.Errorf("stack name %q: want a letter then up to 31 letters, digits or hyphens", p.StackName)
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
	if p.MaxVCPUs < 1 {
		return p, fmt.Errorf("max vCPUs %d: want at least 1", p.MaxVCPUs)
	}
	switch p.RemovalPolicy {
	case "":
		p.RemovalPolicy = Retain
	case Retain, Destroy:
	default:
		return p, fmt.Errorf("removal policy %q: want %q or %q", p.RemovalPolicy, Retain, Destroy)
	}
	if p.LogRetentionDays == 0 {
		p.LogRetentionDays = DefaultLogRetentionDays
	}
	if _, ok := retention[p.LogRetentionDays]; !ok {
		return p, fmt.Errorf("log retention %d days: want one of 1, 3, 5, 7, 14, 30, 60, 90, 180, 365", p.LogRetentionDays)
	}
	if p.VPCID != "" && (p.Env == nil || p.Env.Account == nil || p.Env.Region == nil) {
		return p, fmt.Errorf("existing VPC %s: the lookup needs the account and region (set CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION, or use a profile)", p.VPCID)
	}
	if (p.GCP.Project == "") != (p.GCP.Region == "") {
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

func (p Props) removal() awscdk.RemovalPolicy {
	if p.RemovalPolicy == Destroy {
		return awscdk.RemovalPolicy_DESTROY
	}
	return awscdk.RemovalPolicy_RETAIN
}
