package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecr"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// Bucket prefixes (see "The bucket is the API" in ARCHITECTURE.md).
const (
	prefixRegistry   = "registry/"
	prefixRequests   = "requests/"
	prefixLaunch     = "requests/launch/"
	prefixExecutions = "executions/"
	prefixIndex      = "index/"
	prefixActive     = "active/"
	prefixData       = "data/"
	prefixCatalog    = "catalog/"
	prefixIncoming   = "incoming/"
	prefixTriggered  = "triggered/"     // markers of triggered drop versions (Decision 27)
	prefixInputs     = "data/*/inputs/" // executions' ingested inputs, trigger's snapshots among them
)

// BatchLogGroup is where AWS Batch sends container logs by default.
const BatchLogGroup = "/aws/batch/job"

var (
	s3Read   = []string{"s3:GetObject", "s3:GetObjectVersion"}
	s3Write  = []string{"s3:PutObject", "s3:AbortMultipartUpload"}
	s3Delete = []string{"s3:DeleteObject"}
)

// access grants a principal S3 actions on the objects under each prefix.
func access(b awss3.IBucket, g awsiam.IGrantable, actions []string, prefixes ...string) {
	res := make([]*string, len(prefixes))
	for i, p := range prefixes {
		res[i] = b.ArnForObjects(jsii.String(p + "*"))
	}
	g.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(actions...),
		Resources: &res,
	}))
}

// list grants s3:ListBucket on the bucket. It is not narrowed by prefix:
// without it S3 answers a GET of a missing key with 403 instead of 404,
// and the store's ErrNotFound (catalog misses, absent state) depends on
// the 404. It reveals key names only, never contents.
func list(b awss3.IBucket, g awsiam.IGrantable) {
	g.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{b.BucketArn()},
	}))
}

// taskRoles are what Batch task containers run as.
type taskRoles struct {
	job       awsiam.Role // the runner: reads inputs, writes outputs and the catalog
	execution awsiam.Role // ECS: pulls the image, ships logs
}

func newTaskRoles(st awscdk.Stack, b awss3.IBucket, repo awsecr.Repository) taskRoles {
	ecsTasks := awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil)
	job := awsiam.NewRole(st, jsii.String("TaskJobRole"), &awsiam.RoleProps{
		AssumedBy:   ecsTasks,
		Description: jsii.String("aloft task containers: their attempt's data and the catalog"),
	})
	list(b, job)
	access(b, job, s3Read, prefixData, prefixCatalog, prefixIncoming)
	access(b, job, s3Write, prefixData, prefixCatalog)

	exec := awsiam.NewRole(st, jsii.String("TaskExecutionRole"), &awsiam.RoleProps{
		AssumedBy:   ecsTasks,
		Description: jsii.String("ECS execution role of aloft tasks: image pulls and logs"),
	})
	repo.GrantPull(exec) // ecr:GetAuthorizationToken has no resource scope; the rest is the repository
	exec.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*st.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("logs"),
			Resource:     jsii.String("log-group"),
			ResourceName: jsii.String(BatchLogGroup + ":*"),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})),
	}))
	return taskRoles{job: job, execution: exec}
}

// newRepository is the ECR repository for task images, scanned on push.
// It has no lifecycle rule: registered workflows pin images by digest,
// often untagged, and expiring them would break old versions.
func newRepository(st awscdk.Stack, p Props) awsecr.Repository {
	props := &awsecr.RepositoryProps{
		RepositoryName:  jsii.String(p.name("tasks")),
		ImageScanOnPush: jsii.Bool(true),
		RemovalPolicy:   p.removal(),
	}
	if p.RemovalPolicy == Destroy {
		props.EmptyOnDelete = jsii.Bool(true)
	}
	return awsecr.NewRepository(st, jsii.String("TaskRepository"), props)
}
