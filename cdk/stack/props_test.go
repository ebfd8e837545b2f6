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
		{"negative vcpus", func(p *Props) { p.MaxVCPUs = -1 }, "maxVcpus -1"},
		{"negative GPU vcpus", func(p *Props) { p.GPUSpotMaxVCPUs = -2 }, "gpuSpotMaxVcpus -2"},
		{"capital stack name", func(p *Props) { p.StackName = "Aloft" }, "lowercase"},
		{"double hyphen", func(p *Props) { p.StackName = "aloft--prod" }, "single hyphens"},
		{"trailing hyphen", func(p *Props) { p.StackName = "aloft-" }, "stack name"},
		{"bad task retention", func(p *Props) { p.TaskLogRetentionDays = 2 }, "taskLogRetentionDays 2"},
		{"runnable too short", func(p *Props) { p.RunnableTimeoutMinutes = 5 }, "runnableTimeoutMinutes 5"},
		{"data expiry too soon", func(p *Props) { p.DataExpireDays = 3 }, "dataExpireDays 3"},
		{"tiering after expiry", func(p *Props) { p.DataExpireDays, p.DataTieringDays = 30, 30 }, "dataTieringDays 30"},
		{"subnets without vpc", func(p *Props) { p.SubnetIDs = []string{"subnet-1"} }, "need vpcId"},
		{"private IPs in own VPC", func(p *Props) { p.AssignPublicIP = "false" }, "no NAT"},
		{"bad public IP", func(p *Props) { p.AssignPublicIP = "maybe" }, "assignPublicIp"},
		{"bad email", func(p *Props) { p.AlarmEmails = []string{"ops"} }, "email"},
		{"bad secrets prefix", func(p *Props) { p.SecretsPrefix = "a b" }, "secretsPrefix"},
		{"adopt and name a bucket", func(p *Props) { p.ExistingBucket, p.BucketName = "old", "new" }, "give one"},
		{"lifecycle on adopted bucket", func(p *Props) { p.ExistingBucket, p.DataExpireDays = "old", 30 }, "existingBucket"},
		{"GCP network without project", func(p *Props) { p.GCP.Network = "n" }, "GCP"},
		{"bad removal policy", func(p *Props) { p.RemovalPolicy = "snapshot" }, "removal policy"},
		{"bad retention", func(p *Props) { p.LogRetentionDays = 31 }, "logRetentionDays 31"},
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
