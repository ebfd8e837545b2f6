package stack

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func TestPropsDefaults(t *testing.T) {
	p, err := Props{FunctionsDir: functionsDir}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if p.StackName != "aloft" || p.MaxVCPUs != 64 || p.RemovalPolicy != Retain || p.LogRetentionDays != 30 ||
		strings.Join(p.GPUInstanceTypes, ",") != "g4dn.xlarge,g5.xlarge" {
		t.Errorf("defaults: %+v", p)
	}
	if p.RulePrefix() != "aloft-lp-" {
		t.Errorf("rule prefix %q", p.RulePrefix())
	}
}

func TestPropsRejected(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Props)
		want   string
	}{
		{"no functions dir", func(p *Props) { p.FunctionsDir = "" }, "make functions"},
		{"functions not built", func(p *Props) { p.FunctionsDir = t.TempDir() }, "advance/bootstrap, trigger/bootstrap, registrar/bootstrap"},
		{"bad stack name", func(p *Props) { p.StackName = "aloft_prod" }, "stack name"},
		{"long stack name", func(p *Props) { p.StackName = strings.Repeat("a", 33) }, "stack name"},
		{"bad instance type", func(p *Props) { p.GPUInstanceTypes = []string{"g5"} }, "FAMILY.SIZE"},
		{"negative vcpus", func(p *Props) { p.MaxVCPUs = -1 }, "max vCPUs"},
		{"bad removal policy", func(p *Props) { p.RemovalPolicy = "snapshot" }, "removal policy"},
		{"bad retention", func(p *Props) { p.LogRetentionDays = 31 }, "log retention"},
		{"vpc without env", func(p *Props) { p.VPCID = "vpc-1" }, "account and region"},
		{"half of GCP", func(p *Props) { p.GCP.Project = "proj" }, "GCP"},
	}
	for _, tt := range tests {
		p := Props{FunctionsDir: functionsDir}
		tt.modify(&p)
		_, err := p.withDefaults()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
	// An existing VPC with an environment is fine.
	p := Props{FunctionsDir: functionsDir, VPCID: "vpc-1", Env: &awscdk.Environment{Account: jsii.String("1"), Region: jsii.String("r")}}
	if _, err := p.withDefaults(); err != nil {
		t.Errorf("vpc with env: %v", err)
	}
}
