package deployment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/store"
)

// Version is the record format's version.
const Version = 1

// Record is what a deployment offers.
type Record struct {
	Version int    `json:"version"`
	Stack   string `json:"stack"`
	// Targets are the compute targets the deployment runs tasks on, by
	// the names tasks use in target: (aws-batch, gcp-batch).
	Targets []Target `json:"targets"`
	// TaskLogGroup is the CloudWatch log group of task containers.
	TaskLogGroup string `json:"task_log_group,omitempty"`
	// SecretsPrefix is the name prefix of the secrets task roles may read
	// (Decision 35).
	SecretsPrefix string `json:"secrets_prefix,omitempty"`
	// NotificationTopic is the SNS topic of `sns` notifications (Decision 26).
	NotificationTopic string `json:"notification_topic,omitempty"`
	// AlarmTopic is the SNS topic the stack's alarms publish to.
	AlarmTopic string `json:"alarm_topic,omitempty"`
	// GCP is set when the stack was given GCP settings.
	GCP *GCP `json:"gcp,omitempty"`
}

// Target is one compute target and its job queues.
type Target struct {
	Name   string  `json:"name"`
	Queues []Queue `json:"queues"`
}

// Queue is one job queue of a target.
type Queue struct {
	Name string `json:"name"` // cpu, spot, gpu, gpu-spot
	ARN  string `json:"arn"`
	Spot bool   `json:"spot,omitempty"`
	// Accelerators are the aloft accelerator names (Decision 32) the
	// queue's instances carry; empty for CPU queues.
	Accelerators []string `json:"accelerators,omitempty"`
}

// GCP are the GCP Batch settings (Decision 24, `aloft gcp setup` prints them).
type GCP struct {
	Project                  string `json:"project"`
	Region                   string `json:"region"`
	Network                  string `json:"network,omitempty"`
	Subnetwork               string `json:"subnetwork,omitempty"`
	ServiceAccountEmail      string `json:"service_account_email,omitempty"`
	ServiceAccountUniqueID   string `json:"service_account_unique_id,omitempty"`
	WorkloadIdentityProvider string `json:"workload_identity_provider,omitempty"`
	ArtifactRegistry         string `json:"artifact_registry,omitempty"`
}

// ErrNoRecord means the store holds no deployment record (a local store,
// or a bucket before any deploy).
var ErrNoRecord = errors.New("no deployment record")

// Read reads the store's record; ErrNoRecord when it has none.
func Read(ctx context.Context, st store.Store) (*Record, error) {
	var r Record
	if _, err := store.GetJSON(ctx, st, layout.DeploymentKey, &r); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNoRecord
		}
		return nil, fmt.Errorf("read %s: %w", st.URI(layout.DeploymentKey), err)
	}
	if r.Version != Version {
		return nil, fmt.Errorf("%s: record version %d, this aloft reads version %d (upgrade aloft or redeploy the stack)",
			st.URI(layout.DeploymentKey), r.Version, Version)
	}
	return &r, nil
}

// Write stores the record (the stack does this on deploy; tests and local
// tools use Write).
func Write(ctx context.Context, st store.Store, r *Record) error {
	if r.Version == 0 {
		r.Version = Version
	}
	_, err := store.PutJSON(ctx, st, layout.DeploymentKey, r, store.PutOptions{})
	return err
}

// TargetNames are the names of the targets offered, sorted.
func (r *Record) TargetNames() []string {
	out := make([]string, 0, len(r.Targets))
	for _, t := range r.Targets {
		out = append(out, t.Name)
	}
	slices.Sort(out)
	return out
}

// Offers says whether the deployment offers target name.
func (r *Record) Offers(name string) bool {
	return slices.ContainsFunc(r.Targets, func(t Target) bool { return t.Name == name })
}

// CheckTarget returns an error naming what is offered when target is not.
func (r *Record) CheckTarget(target string) error {
	if r.Offers(target) {
		return nil
	}
	return fmt.Errorf("target %q is not offered by deployment %s (it offers %s): change the task's target or deploy the stack with it",
		target, r.Stack, strings.Join(r.TargetNames(), ", "))
}
