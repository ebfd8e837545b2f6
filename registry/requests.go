package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// LaunchRequest asks for one run: of a launch plan (its active version
// unless Version is set) or of a registered workflow version. Its ID is the
// execution's id, so writing the same request twice starts one run.
type LaunchRequest struct {
	ID              string                          `json:"id"`
	Project         string                          `json:"project"`
	Domain          string                          `json:"domain"`
	LaunchPlan      string                          `json:"launch_plan,omitempty"`
	Version         string                          `json:"version,omitempty"` // launch-plan version; "" is the active one
	Workflow        string                          `json:"workflow,omitempty"`
	WorkflowVersion string                          `json:"workflow_version,omitempty"`
	Inputs          map[string]orchestrator.Literal `json:"inputs,omitempty"`
	RequestedAt     time.Time                       `json:"requested_at"`
	Cause           string                          `json:"cause,omitempty"` // "cli", "trigger s3://…", "schedule 2026-…"
	// Notifications are sent besides the launch plan's (aloft launch --notify).
	Notifications []orchestrator.Notification `json:"notifications,omitempty"`
}

// CancelRequest asks to cancel a running execution.
type CancelRequest struct {
	Project     string    `json:"project"`
	Domain      string    `json:"domain"`
	Exec        string    `json:"execution"`
	Reason      string    `json:"reason,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
}

// AgainRequest asks to recover or relaunch an ended execution (Decision
// 25): Kind is layout.RequestRecover or layout.RequestRelaunch, the folder
// it lives in. Its ID is the new execution's id, so writing the same
// request twice starts one run.
type AgainRequest struct {
	Kind        string    `json:"kind"`
	ID          string    `json:"id"`
	Project     string    `json:"project"`
	Domain      string    `json:"domain"`
	From        string    `json:"from"` // the execution recovered or relaunched
	RequestedAt time.Time `json:"requested_at"`
	Cause       string    `json:"cause,omitempty"`
}

// ErrInvalidRequest marks a request object that contradicts its key.
var ErrInvalidRequest = errors.New("invalid request")

// Request key prefixes.
var (
	LaunchPrefix   = layout.RequestPrefix(layout.RequestLaunch)
	CancelPrefix   = layout.RequestPrefix(layout.RequestCancel)
	RecoverPrefix  = layout.RequestPrefix(layout.RequestRecover)
	RelaunchPrefix = layout.RequestPrefix(layout.RequestRelaunch)
)

// LaunchRequestKey is where a launch request lives.
func LaunchRequestKey(id string) string { return layout.LaunchRequestKey(id) }

// CancelRequestKey is where a cancel request lives.
func CancelRequestKey(exec string) string { return layout.CancelRequestKey(exec) }

// RequestID returns the id of the request a key names and its kind
// ("launch", "cancel", or layout's other kinds); ok is false for other keys.
func RequestID(key string) (kind, id string, ok bool) { return layout.ParseRequestKey(key) }

// PutLaunchRequest writes a launch request if no request with its id exists;
// created is false for a duplicate.
func PutLaunchRequest(ctx context.Context, st store.Store, r *LaunchRequest) (created bool, err error) {
	return putOnce(ctx, st, layout.RequestLaunch, r.ID, r)
}

// putOnce writes request r of a kind under its id, unless one is there.
func putOnce(ctx context.Context, st store.Store, kind, id string, r any) (created bool, err error) {
	if err := validID(id); err != nil {
		return false, err
	}
	_, err = store.PutJSON(ctx, st, layout.RequestKey(kind, id), r, store.PutOptions{IfAbsent: true})
	if errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("write %s request %s: %w", kind, id, err)
	}
	return true, nil
}

// PutAgainRequest writes a recover or relaunch request if no request of
// its kind with its id exists; created is false for a duplicate.
func PutAgainRequest(ctx context.Context, st store.Store, r *AgainRequest) (created bool, err error) {
	if r.Kind != layout.RequestRecover && r.Kind != layout.RequestRelaunch {
		return false, fmt.Errorf("request kind %q: want %s or %s", r.Kind, layout.RequestRecover, layout.RequestRelaunch)
	}
	return putOnce(ctx, st, r.Kind, r.ID, r)
}

// GetAgainRequest reads a recover or relaunch request.
func GetAgainRequest(ctx context.Context, st store.Store, kind, id string) (*AgainRequest, error) {
	var r AgainRequest
	if err := getJSON(ctx, st, layout.RequestKey(kind, id), &r); err != nil {
		return nil, fmt.Errorf("%s request %s: %w", kind, id, err)
	}
	if r.Kind != kind || r.ID != id {
		return nil, fmt.Errorf("%w: %s request %s names a %s of execution %q", ErrInvalidRequest, kind, id, r.Kind, r.ID)
	}
	return &r, nil
}

// Requested reports whether a launch, recover or relaunch request started
// (or asked to start) execution id: whether the control plane owns it.
func Requested(ctx context.Context, st store.Store, id string) (bool, error) {
	for _, kind := range []string{layout.RequestLaunch, layout.RequestRecover, layout.RequestRelaunch} {
		_, err := st.Head(ctx, layout.RequestKey(kind, id))
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}

// GetLaunchRequest reads a launch request.
func GetLaunchRequest(ctx context.Context, st store.Store, id string) (*LaunchRequest, error) {
	var r LaunchRequest
	if err := getJSON(ctx, st, LaunchRequestKey(id), &r); err != nil {
		return nil, fmt.Errorf("launch request %s: %w", id, err)
	}
	return &r, nil
}

// PutCancelRequest writes a cancel request (a later one replaces it).
func PutCancelRequest(ctx context.Context, st store.Store, r *CancelRequest) error {
	if err := validID(r.Exec); err != nil {
		return err
	}
	if _, err := store.PutJSON(ctx, st, CancelRequestKey(r.Exec), r, store.PutOptions{}); err != nil {
		return fmt.Errorf("write cancel request %s: %w", r.Exec, err)
	}
	return nil
}

// GetCancelRequest reads a cancel request.
func GetCancelRequest(ctx context.Context, st store.Store, exec string) (*CancelRequest, error) {
	var r CancelRequest
	if err := getJSON(ctx, st, CancelRequestKey(exec), &r); err != nil {
		return nil, fmt.Errorf("cancel request %s: %w", exec, err)
	}
	return &r, nil
}

// validID checks an execution id: lowercase letters and digits, 4 to 40.
func validID(id string) error {
	ok := len(id) >= 4 && len(id) <= 40
	for _, c := range id {
		ok = ok && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
	}
	if !ok {
		return fmt.Errorf("execution id %q: use 4-40 lowercase letters and digits", id)
	}
	return nil
}

// derivedID hashes its parts into an execution id with a one-letter tag.
func derivedID(tag string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return tag + hex.EncodeToString(h.Sum(nil))[:19]
}

// TriggerID is the execution id of the run a launch plan starts for an
// object: the same object version (or ETag, without versioning) always
// gives the same id, so a duplicated S3 event starts nothing new.
func TriggerID(project, domain, launchPlan, key, versionOrETag string) string {
	return derivedID("t", project, domain, launchPlan, key, versionOrETag)
}

// ScheduleID is the execution id of a launch plan's scheduled run at t.
func ScheduleID(project, domain, launchPlan string, t time.Time) string {
	return derivedID("s", project, domain, launchPlan, t.UTC().Format(time.RFC3339))
}

// Resolve loads what a launch request runs: the compiled workflow, its
// inputs (the launch plan's fixed and default inputs with the request's
// over the defaults) and the launch plan's name ("" for a bare workflow).
func Resolve(ctx context.Context, st store.Store, r *LaunchRequest) (*orchestrator.Compiled, map[string]orchestrator.Literal, *LaunchPlan, error) {
	if r.LaunchPlan == "" {
		if r.Workflow == "" || r.WorkflowVersion == "" {
			return nil, nil, nil, fmt.Errorf("launch request %s names neither a launch plan nor a workflow version", r.ID)
		}
		w, err := GetWorkflow(ctx, st, r.Project, r.Domain, r.Workflow, r.WorkflowVersion)
		if err != nil {
			return nil, nil, nil, err
		}
		wf, err := w.Decode()
		return wf, r.Inputs, nil, err
	}
	lp, err := GetLaunchPlan(ctx, st, r.Project, r.Domain, r.LaunchPlan, r.Version)
	if err != nil {
		return nil, nil, nil, err
	}
	w, err := GetWorkflow(ctx, st, r.Project, r.Domain, lp.Workflow, lp.WorkflowVersion)
	if err != nil {
		return nil, nil, nil, err
	}
	wf, err := w.Decode()
	if err != nil {
		return nil, nil, nil, err
	}
	in, err := MergeInputs(&lp.LaunchPlan, r.Inputs)
	return wf, in, lp, err
}

// MergeInputs applies a launch plan to given inputs: defaults fill what was
// not given, fixed inputs cannot be given.
func MergeInputs(lp *orchestrator.LaunchPlan, given map[string]orchestrator.Literal) (map[string]orchestrator.Literal, error) {
	out := make(map[string]orchestrator.Literal, len(given)+len(lp.Fixed)+len(lp.Defaults))
	for k, v := range lp.Defaults {
		out[k] = v
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(given)) { // errors in a stable order
		if _, fixed := lp.Fixed[k]; fixed {
			errs = append(errs, fmt.Errorf("input %q is fixed by launch plan %s and cannot be given", k, lp.Name))
			continue
		}
		out[k] = given[k]
	}
	for k, v := range lp.Fixed {
		out[k] = v
	}
	return out, errors.Join(errs...)
}

// Rejection says why a launch request started nothing (inputs that cannot
// be ingested, a launch plan that is gone): the advance function writes it
// where the execution's state would be, for `aloft launch --wait` and
// `aloft executions get` to report.
type Rejection struct {
	Exec   string    `json:"execution"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// RejectionKey is where a launch request's rejection lives.
func RejectionKey(project, domain, exec string) string {
	return layout.RejectionKey(project, domain, exec)
}

// PutRejection records why a launch request started nothing.
func PutRejection(ctx context.Context, st store.Store, r *LaunchRequest, reason string, at time.Time) error {
	return Reject(ctx, st, r.Project, r.Domain, r.ID, reason, at)
}

// Reject records why a request (launch, recover, relaunch) started no
// execution exec.
func Reject(ctx context.Context, st store.Store, project, domain, exec, reason string, at time.Time) error {
	_, err := store.PutJSON(ctx, st, RejectionKey(project, domain, exec), Rejection{Exec: exec, Reason: reason, At: at.UTC()}, store.PutOptions{})
	return err
}

// GetRejection reads a launch request's rejection; ErrNotFound when it has
// none.
func GetRejection(ctx context.Context, st store.Store, project, domain, exec string) (*Rejection, error) {
	var r Rejection
	if err := getJSON(ctx, st, RejectionKey(project, domain, exec), &r); err != nil {
		return nil, err
	}
	return &r, nil
}
