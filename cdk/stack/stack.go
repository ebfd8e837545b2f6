package stack

import (
	"slices"

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
	}

	data := newBucket(st, p)
	q := newQueues(st, p)
	repo := newRepository(st, p)
	taskLogs := newTaskLogGroup(st, p)
	compute := newCompute(st, p, newNetwork(st, p))
	roles := newTaskRoles(st, p, data, repo, taskLogs)
	tp := newTopics(st, p)
	fns := newFunctions(st, p, functionDeps{bucket: data, queues: q, compute: compute, roles: roles, taskLogs: taskLogs, topics: tp})
	newRules(st, p, data, q, compute, fns)
	newAlarms(st, p, q, compute, fns, tp)
	newRecord(st, p, data, compute, taskLogs, tp)
	newOutputs(st, p, data, q, compute, fns, repo, roles, taskLogs, tp)
	suppressNagFindings(st, p)
	return st, nil
}

// network is where Batch compute runs.
type network struct {
	vpc            awsec2.IVpc
	subnets        *awsec2.SubnetSelection
	securityGroups *[]awsec2.ISecurityGroup // nil: the environments make their own
}

// newNetwork is the existing VPC named in Props (its subnets and security
// groups when given; an S3 gateway endpoint when asked), or a new one with
// public subnets in MaxAZs zones, no NAT gateway, and a free S3 gateway
// endpoint.
func newNetwork(st awscdk.Stack, p Props) network {
	if p.VPCID == "" {
		vpc := awsec2.NewVpc(st, jsii.String("Vpc"), &awsec2.VpcProps{
			MaxAzs:                       jsii.Number(float64(p.MaxAZs)),
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
		return network{vpc: vpc, subnets: &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}}
	}
	n := network{vpc: awsec2.Vpc_FromLookup(st, jsii.String("Vpc"), &awsec2.VpcLookupOptions{VpcId: jsii.String(p.VPCID)})}
	if len(p.SubnetIDs) > 0 {
		subnets := make([]awsec2.ISubnet, len(p.SubnetIDs))
		for i, id := range p.SubnetIDs {
			subnets[i] = awsec2.Subnet_FromSubnetId(st, jsii.String("Subnet"+id), jsii.String(id))
		}
		n.subnets = &awsec2.SubnetSelection{Subnets: &subnets}
	}
	if len(p.SecurityGroupIDs) > 0 {
		groups := make([]awsec2.ISecurityGroup, len(p.SecurityGroupIDs))
		for i, id := range p.SecurityGroupIDs {
			groups[i] = awsec2.SecurityGroup_FromSecurityGroupId(st, jsii.String("SecurityGroup"+id), jsii.String(id), nil)
		}
		n.securityGroups = &groups
	}
	if p.S3Endpoint {
		awsec2.NewGatewayVpcEndpoint(st, jsii.String("S3Endpoint"), &awsec2.GatewayVpcEndpointProps{
			Vpc:     n.vpc,
			Service: awsec2.GatewayVpcEndpointAwsService_S3(),
			Subnets: &[]*awsec2.SubnetSelection{endpointSubnets(n.vpc, p.SubnetIDs)},
		})
	}
	return n
}

// endpointSubnets are the looked-up subnets with the given ids (they carry
// their route tables, which the endpoint needs), or CDK's default choice
// (private subnets when any) when no ids were given.
func endpointSubnets(vpc awsec2.IVpc, ids []string) *awsec2.SubnetSelection {
	if len(ids) == 0 {
		return &awsec2.SubnetSelection{}
	}
	var picked []awsec2.ISubnet
	for _, group := range []*[]awsec2.ISubnet{vpc.PublicSubnets(), vpc.PrivateSubnets(), vpc.IsolatedSubnets()} {
		for _, sn := range *group {
			if slices.Contains(ids, *sn.SubnetId()) {
				picked = append(picked, sn)
			}
		}
	}
	return &awsec2.SubnetSelection{Subnets: &picked}
}
