// Package localstack holds aloft's end-to-end suite of the AWS control
// plane (its tests only), with the LocalStack compose file and init script
// beside it: see README.md. The suite runs the real function binaries under
// aws-lambda-rie and the real runner, against versitygw, fauxqs and test
// doubles for AWS Batch and EventBridge, or against LocalStack when
// ALOFT_E2E_ENDPOINT is set.
//
// It deliberately exports nothing: no other package depends on it.
package localstack
