package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// TmpPrefix is the bucket prefix for scratch data that expires after
// TmpExpirationDays.
const (
	TmpPrefix         = "tmp/"
	TmpExpirationDays = 7
)

// newBucket is the bucket that holds all of aloft's state ("the bucket is
// the API"): S3-managed encryption (no KMS key to pay for), public access
// blocked, TLS enforced, EventBridge notifications on. With ExistingBucket
// it adopts the bucket a destroyed stack retained instead.
func newBucket(st awscdk.Stack, p Props) awss3.IBucket {
	if p.ExistingBucket != "" {
		return adoptBucket(st, p)
	}
	rules := []*awss3.LifecycleRule{
		{
			Id:         jsii.String("expire-tmp"),
			Prefix:     jsii.String(TmpPrefix),
			Expiration: awscdk.Duration_Days(jsii.Number(TmpExpirationDays)),
		},
		{
			Id:                                  jsii.String("abort-incomplete-multipart-uploads"),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		},
	}
	if p.Versioned {
		rules = append(rules, &awss3.LifecycleRule{
			Id:                          jsii.String("expire-noncurrent-versions"),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30)),
			ExpiredObjectDeleteMarker:   jsii.Bool(true),
		})
	}
	if r := dataLifecycle(p); r != nil {
		rules = append(rules, r)
	}
	props := &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(p.Versioned),
		LifecycleRules:    &rules,
		RemovalPolicy:     p.removal(),
		AutoDeleteObjects: jsii.Bool(p.RemovalPolicy == Destroy),
	}
	if p.BucketName != "" {
		props.BucketName = jsii.String(p.BucketName)
	}
	b := awss3.NewBucket(st, jsii.String("Bucket"), props)
	// EventBridge notifications set on the bucket resource itself. The L2
	// eventBridgeEnabled flag would add a custom resource (a Lambda
	// function and a role allowed s3:PutBucketNotification on "*").
	cfn := b.Node().DefaultChild().(awss3.CfnBucket)
	cfn.AddPropertyOverride(jsii.String("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled"), true)
	return b
}

// dataLifecycle is the opt-in rule for data/ (task outputs): to
// Intelligent-Tiering after DataTieringDays, deleted after DataExpireDays.
// The catalog may still name an expired object: a cache lookup checks
// that every output exists with its recorded size and treats a missing
// one as a miss (Decision 23), so the task simply runs again.
func dataLifecycle(p Props) *awss3.LifecycleRule {
	if p.DataExpireDays == 0 && p.DataTieringDays == 0 {
		return nil
	}
	r := &awss3.LifecycleRule{Id: jsii.String("data-lifecycle"), Prefix: jsii.String(prefixData)}
	if p.DataTieringDays > 0 {
		r.Transitions = &[]*awss3.Transition{{
			StorageClass:    awss3.StorageClass_INTELLIGENT_TIERING(),
			TransitionAfter: awscdk.Duration_Days(jsii.Number(float64(p.DataTieringDays))),
		}}
	}
	if p.DataExpireDays > 0 {
		r.Expiration = awscdk.Duration_Days(jsii.Number(float64(p.DataExpireDays)))
	}
	return r
}

// adoptBucket uses a retained bucket by name. It keeps the encryption,
// public access block, notifications and lifecycle it was created with;
// the stack owns only a new TLS-only bucket policy (CloudFormation deleted
// the old one with the old stack).
func adoptBucket(st awscdk.Stack, p Props) awss3.IBucket {
	b := awss3.Bucket_FromBucketName(st, jsii.String("Bucket"), jsii.String(p.ExistingBucket))
	policy := awss3.NewBucketPolicy(st, jsii.String("AdoptedBucketPolicy"), &awss3.BucketPolicyProps{
		Bucket: b, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	policy.Document().AddStatements(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:*"),
		Resources:  &[]*string{b.BucketArn(), b.ArnForObjects(jsii.String("*"))},
		Conditions: &map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	}))
	return b
}
