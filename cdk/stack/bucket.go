package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
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
// blocked, TLS enforced, EventBridge notifications on.
func newBucket(st awscdk.Stack, p Props) awss3.Bucket {
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
