package awsbatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// jobDefinition is what a job definition's name is a hash of. Resources,
// timeout, retries and tags are given per job at submission, so every task
// with the same image shares one definition.
type jobDefinition struct {
	Image            string `json:"image"`
	Entrypoint       string `json:"entrypoint"`
	JobRoleARN       string `json:"job_role_arn"`
	ExecutionRoleARN string `json:"execution_role_arn"`
	Platform         string `json:"platform"`
	// PublicIP is the Fargate networkConfiguration.assignPublicIp (empty
	// on EC2); LogGroup the awslogs group (empty: Batch's default group).
	PublicIP string `json:"public_ip,omitempty"`
	LogGroup string `json:"log_group,omitempty"`
}

// definition is the job definition for image on platform with cfg's roles,
// network and log settings.
func (cfg Config) definition(image, platform string) jobDefinition {
	j := jobDefinition{Image: image, Entrypoint: runnerContract, JobRoleARN: cfg.JobRoleARN,
		ExecutionRoleARN: cfg.ExecutionRoleARN, Platform: platform, LogGroup: cfg.LogGroup}
	if platform == Fargate {
		j.PublicIP = cfg.AssignPublicIP
	}
	return j
}

// name is prefix (Config.JobDefinitionPrefix) and 16 hex digits of the
// SHA-256 of the definition's canonical JSON (fixed field order, no
// whitespace).
func (j jobDefinition) name(prefix string) string {
	b, err := json.Marshal(j)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	sum := sha256.Sum256(b)
	return prefix + hex.EncodeToString(sum[:8])
}

// JobDefinitionName is the name of the job definition the dispatcher uses
// for image on platform with cfg's roles and settings (cfg as New fills it
// in: an empty prefix means DefaultJobDefinitionPrefix).
func JobDefinitionName(cfg Config, image, platform string) string {
	cfg = cfg.withNameDefaults()
	return cfg.definition(image, platform).name(cfg.JobDefinitionPrefix)
}

// definitionARN returns the ARN of the active job definition for image on
// platform, looking it up (and registering it when missing) the first time
// this process needs it. Two processes registering the same definition at
// once make two identical revisions, which is harmless.
func (d *Dispatcher) definitionARN(ctx context.Context, image, platform string) (string, error) {
	def := d.cfg.definition(image, platform)
	name := def.name(d.cfg.JobDefinitionPrefix)

	d.mu.Lock()
	if arn, ok := d.defs[name]; ok {
		d.mu.Unlock()
		return arn, nil
	}
	lock := d.defLock[name]
	if lock == nil {
		lock = new(sync.Mutex)
		d.defLock[name] = lock
	}
	d.mu.Unlock()

	lock.Lock() // one lookup per name at a time
	defer lock.Unlock()
	d.mu.Lock()
	arn, ok := d.defs[name]
	d.mu.Unlock()
	if ok {
		return arn, nil
	}
	arn, err := d.findJobDefinition(ctx, name)
	if err == nil && arn == "" {
		arn, err = d.registerJobDefinition(ctx, name, def)
	}
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.defs[name] = arn
	d.mu.Unlock()
	return arn, nil
}

// findJobDefinition returns the ARN of name's newest active revision, or ""
// when it has none.
func (d *Dispatcher) findJobDefinition(ctx context.Context, name string) (string, error) {
	var arn string
	var newest int32
	var token *string
	for {
		var out *batch.DescribeJobDefinitionsOutput
		err := d.call(ctx, "describe job definition "+name, false, func(ctx context.Context) error {
			var err error
			out, err = d.cfg.Client.DescribeJobDefinitions(ctx, &batch.DescribeJobDefinitionsInput{
				JobDefinitionName: aws.String(name), Status: aws.String("ACTIVE"), NextToken: token,
			})
			return err
		})
		if err != nil {
			return "", err
		}
		for _, jd := range out.JobDefinitions {
			if rev := aws.ToInt32(jd.Revision); aws.ToString(jd.JobDefinitionName) == name && rev > newest {
				arn, newest = aws.ToString(jd.JobDefinitionArn), rev
			}
		}
		if token = out.NextToken; token == nil || *token == "" {
			return arn, nil
		}
	}
}

// Baseline sizes of a definition; every submission overrides them.
const (
	baseVCPU      = "1"
	baseMemoryMiB = "2048"
)

func (d *Dispatcher) registerJobDefinition(ctx context.Context, name string, def jobDefinition) (string, error) {
	props := &types.ContainerProperties{
		Image: aws.String(def.Image),
		ResourceRequirements: []types.ResourceRequirement{
			{Type: types.ResourceTypeVcpu, Value: aws.String(baseVCPU)},
			{Type: types.ResourceTypeMemory, Value: aws.String(baseMemoryMiB)},
		},
	}
	if def.JobRoleARN != "" {
		props.JobRoleArn = aws.String(def.JobRoleARN)
	}
	if def.ExecutionRoleARN != "" {
		props.ExecutionRoleArn = aws.String(def.ExecutionRoleARN)
	}
	if def.Platform == Fargate {
		props.FargatePlatformConfiguration = &types.FargatePlatformConfiguration{PlatformVersion: aws.String("LATEST")}
		props.NetworkConfiguration = &types.NetworkConfiguration{AssignPublicIp: types.AssignPublicIp(def.PublicIP)}
	}
	if def.LogGroup != "" {
		props.LogConfiguration = &types.LogConfiguration{
			LogDriver: types.LogDriverAwslogs,
			Options:   map[string]string{"awslogs-group": def.LogGroup},
		}
	}
	in := &batch.RegisterJobDefinitionInput{
		JobDefinitionName:    aws.String(name),
		Type:                 types.JobDefinitionTypeContainer,
		PlatformCapabilities: []types.PlatformCapability{types.PlatformCapability(def.Platform)},
		ContainerProperties:  props,
		PropagateTags:        aws.Bool(true),
		Tags:                 map[string]string{TagManaged: d.cfg.ManagedTag},
	}
	var out *batch.RegisterJobDefinitionOutput
	err := d.call(ctx, "register job definition "+name, false, func(ctx context.Context) error {
		var err error
		out, err = d.cfg.Client.RegisterJobDefinition(ctx, in)
		return err
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.JobDefinitionArn), nil
}
