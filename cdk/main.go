// Command cdk is the CDK app that installs aloft into an AWS account:
// `cdk synth`, `cdk deploy`, `cdk destroy` (see README.md and the Makefile).
//
// Settings come from CDK context (-c key=value or cdk.json); README.md
// lists them all.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/aloft-run/aloft/cdk/stack"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	p, err := propsFromContext(func(k string) string {
		v := app.Node().TryGetContext(jsii.String(k))
		if v == nil {
			return ""
		}
		return strings.TrimSpace(fmt.Sprint(v))
	})
	if err == nil {
		_, err = stack.New(app, p)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "aloft cdk:", err)
		jsii.Close()
		os.Exit(1)
	}
	app.Synth(nil)
}

// propsFromContext reads the stack's settings from CDK context; the
// account and region come from the CDK CLI's environment.
func propsFromContext(get func(string) string) (stack.Props, error) {
	p := stack.Props{
		StackName:        get("stackName"),
		VPCID:            get("vpcId"),
		RemovalPolicy:    stack.RemovalPolicy(strings.ToLower(get("removalPolicy"))),
		BucketName:       get("bucketName"),
		ExistingBucket:   get("existingBucket"),
		TaskRepository:   get("taskRepository"),
		FunctionsDir:     get("functionsDir"),
		SecretsPrefix:    get("secretsPrefix"),
		AssignPublicIP:   strings.ToLower(get("assignPublicIp")),
		GPUInstanceTypes: list(get("gpuInstanceTypes")),
		SubnetIDs:        list(get("subnetIds")),
		SecurityGroupIDs: list(get("securityGroupIds")),
		NotifyEmails:     list(get("notifyEmail")),
		AlarmEmails:      list(get("alarmEmail")),
		GCP: stack.GCPSettings{
			Project: get("gcpProject"), Region: get("gcpRegion"),
			Network: get("gcpNetwork"), Subnetwork: get("gcpSubnetwork"),
			ServiceAccountEmail: get("gcpServiceAccountEmail"), ServiceAccountUniqueID: get("gcpServiceAccountUniqueId"),
			WorkloadIdentityProvider: get("gcpWorkloadIdentityProvider"), ArtifactRegistry: get("gcpArtifactRegistry"),
		},
	}
	for key, dst := range map[string]*int{
		"maxVcpus": &p.MaxVCPUs, "cpuMaxVcpus": &p.CPUMaxVCPUs, "spotMaxVcpus": &p.SpotMaxVCPUs,
		"gpuMaxVcpus": &p.GPUMaxVCPUs, "gpuSpotMaxVcpus": &p.GPUSpotMaxVCPUs,
		"logRetentionDays": &p.LogRetentionDays, "taskLogRetentionDays": &p.TaskLogRetentionDays,
		"maxAzs": &p.MaxAZs, "runnableTimeoutMinutes": &p.RunnableTimeoutMinutes,
		"dataExpireDays": &p.DataExpireDays, "dataTieringDays": &p.DataTieringDays,
	} {
		n, err := intContext(get, key)
		if err != nil {
			return p, err
		}
		*dst = n
	}
	for key, dst := range map[string]*bool{"versioned": &p.Versioned, "s3Endpoint": &p.S3Endpoint} {
		if v := get(key); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return p, fmt.Errorf("context %s=%q: want true or false", key, v)
			}
			*dst = b
		}
	}
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account != "" && region != "" {
		p.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	return p, nil
}

// list splits a comma-separated setting, dropping blanks.
func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func intContext(get func(string) string, key string) (int, error) {
	v := get(key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("context %s=%q: want a whole number", key, v)
	}
	return n, nil
}
