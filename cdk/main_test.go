package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aloft-run/aloft/cdk/stack"
)

func TestPropsFromContext(t *testing.T) {
	t.Setenv("CDK_DEFAULT_ACCOUNT", "123456789012")
	t.Setenv("CDK_DEFAULT_REGION", "eu-west-1")
	ctx := map[string]string{
		"stackName":        "aloft-prod",
		"vpcId":            "vpc-1",
		"gpuInstanceTypes": " g5.xlarge, g6.2xlarge ,",
		"maxVcpus":         "16",
		"removalPolicy":    "DESTROY",
		"versioned":        "true",
		"logRetentionDays": "7",
		"functionsDir":     "/x",
		"gcpProject":       "p",
		"gcpRegion":        "r",
	}
	p, err := propsFromContext(func(k string) string { return ctx[k] })
	if err != nil {
		t.Fatal(err)
	}
	if p.StackName != "aloft-prod" || p.VPCID != "vpc-1" || p.MaxVCPUs != 16 || p.RemovalPolicy != stack.Destroy ||
		!p.Versioned || p.LogRetentionDays != 7 || p.FunctionsDir != "/x" || p.GCP.Project != "p" || p.GCP.Region != "r" ||
		!reflect.DeepEqual(p.GPUInstanceTypes, []string{"g5.xlarge", "g6.2xlarge"}) {
		t.Errorf("props %+v", p)
	}
	if p.Env == nil || *p.Env.Account != "123456789012" || *p.Env.Region != "eu-west-1" {
		t.Errorf("env %+v", p.Env)
	}
}

func TestPropsFromContextEmptyAndBad(t *testing.T) {
	t.Setenv("CDK_DEFAULT_ACCOUNT", "")
	p, err := propsFromContext(func(string) string { return "" })
	if err != nil || p.Env != nil || p.MaxVCPUs != 0 || len(p.GPUInstanceTypes) != 0 {
		t.Errorf("empty context: %+v, %v", p, err)
	}
	for key, bad := range map[string]string{"maxVcpus": "lots", "versioned": "maybe", "logRetentionDays": "1w"} {
		_, err := propsFromContext(func(k string) string {
			if k == key {
				return bad
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%s: err = %v", key, bad, err)
		}
	}
}
