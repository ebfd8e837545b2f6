// Package stack is the CloudFormation stack that installs aloft into an AWS
// account: the bucket (the control plane's only state), the advance queue,
// the trigger, advance and registrar functions, the EventBridge rules that
// feed them (see ../../functions/README.md, the contract), AWS Batch compute
// for on-demand CPU, spot, GPU and spot GPU tasks with a job queue each,
// the task roles and log group, an ECR repository for task images, the
// notification and alarm topics with the alarms, the deployment record
// (deployment.json, Decision 31), and the outputs that `aloft config
// from-stack` reads.
//
// Nothing in it costs money while idle: no NAT gateway, no KMS key, Batch
// compute scales to zero, and the functions run only on events and the
// one-minute sweep.
//
// It deliberately leaves out the launch plans' schedule rules (the
// registrar makes them at run time, named with RulePrefix) and GCP
// resources (GCP settings are only recorded in the deployment record).
package stack
