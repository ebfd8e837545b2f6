// Package deployment is the record a deployed stack writes at the bucket's
// root (layout.DeploymentKey, Decision 31): the targets it offers, the job
// queues of each and the accelerators each queue offers, the task log
// group, the secrets prefix, the notification and alarm topics, and the
// GCP settings when the stack was given them.
//
// The CDK stack writes it (cdk/stack); `aloft register` reads it to reject
// tasks bound for a target the deployment does not offer, and advance and
// the console read it for the rest. A local store has no record: Read
// returns ErrNoRecord and callers accept every target.
package deployment
