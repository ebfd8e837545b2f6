package stack

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nagFindings runs cdk-nag's AwsSolutions pack over the stack for p and
// returns every error and warning it leaves (suppressed ones are not
// reported).
func nagFindings(t *testing.T, p Props, ctx map[string]any, extra func(awscdk.Stack)) []string {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &ctx})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	st, err := New(app, p)
	require.NoError(t, err)
	if extra != nil {
		extra(st)
	}
	app.Synth(nil)
	ann := assertions.Annotations_FromStack(st)
	var out []string
	for _, find := range []func(*string, any) *[]*cxapi.SynthesisMessage{ann.FindError, ann.FindWarning} {
		for _, m := range *find(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			out = append(out, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
		}
	}
	return out
}

// Every AwsSolutions finding is fixed or suppressed with a written reason
// (nagSuppressions); a new finding fails here.
func TestCdkNagAwsSolutions(t *testing.T) {
	assert.Empty(t, nagFindings(t, testProps(), nil, nil))

	// The adopted-bucket variant and another stack name keep the same
	// (name-scoped) suppressions.
	p := testProps()
	p.StackName, p.BucketName, p.ExistingBucket = "prod", "", "aloft-old-bucket"
	assert.Empty(t, nagFindings(t, p, nil, nil))

	// A new finding is reported: a queue without a dead-letter queue or
	// TLS, and a wildcard nobody accepted.
	found := nagFindings(t, testProps(), nil, func(st awscdk.Stack) {
		q := awssqs.NewQueue(st, jsii.String("Unreviewed"), nil)
		awsiam.NewRole(st, jsii.String("UnreviewedRole"), &awsiam.RoleProps{
			AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		}).AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings("sqs:*"), Resources: &[]*string{q.QueueArn()},
		}))
	})
	joined := strings.Join(found, "\n")
	for _, id := range []string{"AwsSolutions-SQS3", "AwsSolutions-SQS4", "AwsSolutions-IAM5"} {
		assert.Contains(t, joined, id)
	}
}
