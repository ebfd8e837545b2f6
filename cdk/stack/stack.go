package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// New adds the aloft stack to scope (normally an awscdk.App).
func New(scope constructs.Construct, p Props) (awscdk.Stack, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	st := awscdk.NewStack(scope, jsii.String(p.StackName), &awscdk.StackProps{
		StackName:   jsii.String(p.StackName),
		Env:         p.Env,
		Description: jsii.String("aloft: serverless workflow control plane (S3, EventBridge, SQS, Lambda) and AWS Batch compute"),
	})
	awscdk.Tags_Of(st).Add(jsii.String("aloft:stack"), jsii.String(p.StackName), nil)
	if p.GCP.Project != "" {
		st.AddMetadata(jsii.String("aloft:gcp"), map[string]string{"project": p.GCP.Project, "region": p.GCP.Region})
		awscdk.Annotations_Of(st).AddInfo(jsii.String("GCP settings are recorded but not used yet"))
	}

	data := newBucket(st, p)
	q := newQueues(st, p)
	repo := newRepository(st, p)
	compute := newCompute(st, p, vpc(st, p))
	roles := newTaskRoles(st, data, repo)
	fns := newFunctions(st, p, functionDeps{bucket: data, queues: q, compute: compute, roles: roles})
	newRules(st, p, data, q, compute, fns)
	newOutputs(st, p, data, q, compute, fns, repo, roles)
	return st, nil
}

// vpc is the existing VPC named in Props, or a new one with public subnets
// in two zones, no NAT gateway, and a free S3 gateway endpoint.
func vpc(st awscdk.Stack, p Props) awsec2.IVpc {
	if p.VPCID != "" {
		return awsec2.Vpc_FromLookup(st, jsii.String("Vpc"), &awsec2.VpcLookupOptions{VpcId: jsii.String(p.VPCID)})
	}
	return awsec2.NewVpc(st, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:                       jsii.Number(2),
		NatGateways:                  jsii.Number(0),
		RestrictDefaultSecurityGroup: jsii.Bool(false),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name:       jsii.String("public"),
			SubnetType: awsec2.SubnetType_PUBLIC,
			CidrMask:   jsii.Number(20),
		}},
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"S3": {Service: awsec2.GatewayVpcEndpointAwsService_S3()},
		},
	})
}

// subnets are where Batch compute runs: the public subnets of a VPC made
// here (tasks get public IPs, there is no NAT), else CDK's default choice
// in an existing VPC (private subnets with egress when there are any).
func subnets(p Props) *awsec2.SubnetSelection {
	if p.VPCID != "" {
		return nil
	}
	return &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}
}
