// Command cdk is the CDK app that installs aloft into an AWS account:
// `cdk synth`, `cdk deploy`, `cdk destroy` (see README.md and the Makefile).
//
// Settings come from CDK context (-c key=value or cdk.json): stackName,
// vpcId, gpuInstanceTypes (comma-separated), maxVcpus, removalPolicy
// (retain|destroy), versioned (true|false), bucketName, logRetentionDays,
// functionsDir, gcpProject, gcpRegion.
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
		StackName:     get("stackName"),
		VPCID:         get("vpcId"),
		RemovalPolicy: stack.RemovalPolicy(strings.ToLower(get("removalPolicy"))),
		BucketName:    get("bucketName"),
		FunctionsDir:  get("functionsDir"),
		GCP:           stack.GCPSettings{Project: get("gcpProject"), Region: get("gcpRegion")},
	}
	if t := get("gpuInstanceTypes"); t != "" {
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				p.GPUInstanceTypes = append(p.GPUInstanceTypes, s)
			}
		}
	}
	var err error
	if p.MaxVCPUs, err = intContext(get, "maxVcpus"); err != nil {
		return p, err
	}
	if p.LogRetentionDays, err = intContext(get, "logRetentionDays"); err != nil {
		return p, err
	}
	if v := get("versioned"); v != "" {
		if p.Versioned, err = strconv.ParseBool(v); err != nil {
			return p, fmt.Errorf("context versioned=%q: want true or false", v)
		}
	}
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account != "" && region != "" {
		p.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	return p, nil
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
