// Package ecrauth gives go-containerregistry credentials for Amazon ECR
// registries from the AWS SDK: a keychain that, for hosts named
// ACCOUNT.dkr.ecr.REGION.amazonaws.com (also .amazonaws.com.cn, the -fips
// and dual-stack dkr-ecr...on.aws names), asks ECR's GetAuthorizationToken
// for a token with the caller's AWS credentials, and for every other host
// defers to the Docker config (authn.DefaultKeychain).
//
// It is what docker-credential-ecr-login does, without a helper binary to
// install. It leaves out ECR Public (public.ecr.aws), which anonymous pulls
// serve.
package ecrauth
