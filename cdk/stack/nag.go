package stack

import (
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppressNagFindings records the cdk-nag AwsSolutions findings the stack
// accepts, each with its reason. IAM findings name exactly the wildcards
// and managed policies accepted (appliesTo), so a new wildcard or policy
// is a new finding. The CDK tests run the pack and fail on any finding not
// suppressed here.
func suppressNagFindings(st awscdk.Stack, p Props) {
	arn := func(service, resource string) string {
		return "Resource::arn:<AWS::Partition>:" + service + ":<AWS::Region>:<AWS::AccountId>:" + resource
	}
	prefixes := []string{prefixRegistry, prefixRequests, prefixLaunch, prefixExecutions, prefixIndex,
		prefixActive, prefixData, prefixCatalog, prefixIncoming, prefixTriggered, prefixInputs}
	alts := make([]string, len(prefixes))
	for i, x := range prefixes {
		alts[i] = regexp.QuoteMeta(strings.TrimSuffix(x, "/"))
	}
	bucketObjects := cdknag.RegexAppliesTo{Regex: jsii.String(
		`/^Resource::(<Bucket[0-9A-F]+\.Arn>|arn:<AWS::Partition>:s3:::[a-z0-9.-]+)\/(` + strings.Join(alts, "|") + `)\/\*$/g`)}
	managed := func(name string) string { return "Policy::arn:<AWS::Partition>:iam::aws:policy/" + name }
	s := []*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String(
			"server access logs would need a second bucket and cost per request; CloudTrail data events are the audit path when an account needs one")},
		{Id: jsii.String("AwsSolutions-VPC7"), Reason: jsii.String(
			"the stack's VPC only carries Batch task traffic to S3, ECR and CloudWatch; flow logs would bill per GB for nothing aloft reads")},
		{Id: jsii.String("AwsSolutions-IAM4"), Reason: jsii.String(
			"AWS-managed policies made for these roles: the ECS instance role of the GPU hosts (containers cannot reach it: IMDSv2, hop limit 1) and the log-only role of the deployment record's custom resource"),
			AppliesTo: &[]any{
				managed("service-role/AmazonEC2ContainerServiceforEC2Role"),
				managed("service-role/AWSLambdaBasicExecutionRole"),
			}},
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(
			"wildcards only where the resource names are made at run time: objects under each bucket prefix a role needs, content-addressed job definitions and job ids (stopping them is conditioned on the aloft:managed tag), the registrar's rules and the task secrets by name prefix, and Resource * only for actions IAM cannot scope (batch Describe/List, ecr:GetAuthorizationToken; TestStarResourcesOnlyWhereIAMRequiresIt checks)"),
			AppliesTo: &[]any{
				bucketObjects,
				"Resource::*",
				arn("batch", "job-definition/"+p.JobDefinitionPrefix()+"*"),
				arn("batch", "job/*"),
				arn("events", "rule/"+p.RulePrefix()+"*"),
				arn("secretsmanager", "secret:"+p.SecretsPrefix+"*"),
			}},
	}
	cdknag.NagSuppressions_AddStackSuppressions(st, &s, jsii.Bool(true))
}
