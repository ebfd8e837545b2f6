// Package registry keeps registered workflows and launch plans, the active
// launch-plan pointers, and the launch and cancel requests, as objects in
// the bucket ("the bucket is the API"):
//
//	registry/<project>/<domain>/workflows/<name>/<version>.json     immutable (if-absent)
//	registry/<project>/<domain>/launchplans/<name>/<version>.json   immutable
//	registry/<project>/<domain>/launchplans/<name>/active.json      pointer to the active version
//	requests/launch/<id>.json, requests/cancel/<exec>.json          consumed by the advance function
//
// Their keys are built and parsed by package layout.
//
// Registered versions are immutable: registering the same content again is a
// no-op, registering different content under a used version is an error.
package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// ErrNotFound is returned for a workflow, launch plan or version that is not
// registered, or a launch plan with no active version.
var ErrNotFound = errors.New("not registered")

// Workflow is a registered workflow version.
type Workflow struct {
	Project      string          `json:"project"`
	Domain       string          `json:"domain"`
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Digest       string          `json:"digest"` // of the compiled workflow, less where it was compiled (contentDigest)
	RegisteredAt time.Time       `json:"registered_at"`
	Compiled     json.RawMessage `json:"compiled"`
}

// Decode returns the compiled workflow.
func (w *Workflow) Decode() (*orchestrator.Compiled, error) {
	c, err := orchestrator.DecodeCompiled(w.Compiled)
	if err != nil {
		return nil, fmt.Errorf("workflow %s version %s: %w", w.Name, w.Version, err)
	}
	return c, nil
}

// LaunchPlan is a registered launch-plan version, bound to one workflow
// version.
type LaunchPlan struct {
	Project         string    `json:"project"`
	Domain          string    `json:"domain"`
	Version         string    `json:"version"`
	WorkflowVersion string    `json:"workflow_version"`
	Digest          string    `json:"digest"` // of Plan and WorkflowVersion
	RegisteredAt    time.Time `json:"registered_at"`
	orchestrator.LaunchPlan
}

// Active is the content of a launch plan's active.json.
type Active struct {
	Version     string    `json:"version"`
	ActivatedAt time.Time `json:"activated_at"`
	// Paused keeps the launch plan active in name with its rule in place
	// but disabled: neither its schedule nor its triggers start runs.
	Paused bool `json:"paused,omitempty"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// CheckName reports whether s may be a project, domain, name or version
// (it becomes one segment of a key).
func CheckName(what, s string) error {
	if !nameRE.MatchString(s) || s == "active" || strings.Contains(s, "..") {
		return fmt.Errorf("%s %q: use 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit (and not \"active\")", what, s)
	}
	return nil
}

// WorkflowKey is where a workflow version lives.
func WorkflowKey(project, domain, name, version string) string {
	return layout.WorkflowKey(project, domain, name, version)
}

// LaunchPlanKey is where a launch-plan version lives.
func LaunchPlanKey(project, domain, name, version string) string {
	return layout.LaunchPlanKey(project, domain, name, version)
}

// putImmutable writes v at key if absent; an existing object with the same
// digest is fine (registration is idempotent), a different one is an error.
func putImmutable(ctx context.Context, st store.Store, key, what, digest string, v any) (created bool, err error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return false, err
	}
	_, err = store.PutBytes(ctx, st, key, b, store.PutOptions{IfAbsent: true})
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrConflict) {
		return false, fmt.Errorf("register %s: %w", what, err)
	}
	var old struct {
		Digest string `json:"digest"`
	}
	if _, err := store.GetJSON(ctx, st, key, &old); err != nil {
		return false, fmt.Errorf("register %s: %w", what, err)
	}
	if old.Digest != digest {
		return false, fmt.Errorf("%s is already registered with different content; versions are immutable: register under a new --version", what)
	}
	return false, nil
}

// PutWorkflow registers a compiled workflow version.
func PutWorkflow(ctx context.Context, st store.Store, project, domain, version string, wf *orchestrator.Compiled, now time.Time) (created bool, err error) {
	b, err := wf.Encode()
	if err != nil {
		return false, err
	}
	d, err := contentDigest(wf)
	if err != nil {
		return false, err
	}
	w := &Workflow{Project: project, Domain: domain, Name: wf.Name, Version: version, Digest: d,
		RegisteredAt: now.UTC(), Compiled: b}
	return putImmutable(ctx, st, WorkflowKey(project, domain, wf.Name, version),
		fmt.Sprintf("workflow %s version %s", wf.Name, version), d, w)
}

// contentDigest is the digest of what a workflow version means: the
// compiled workflow without where it was compiled (its Source file and each
// task's local Dir, absolute paths of the registering machine), so that the
// same spec registered from another checkout or machine is the same version
// rather than a conflict. The stored document keeps them (aloft dev runs
// tasks in Dir).
func contentDigest(wf *orchestrator.Compiled) (string, error) {
	c := *wf
	c.Source = ""
	c.Tasks = make(map[string]*orchestrator.TaskTemplate, len(wf.Tasks))
	for name, t := range wf.Tasks {
		portable := *t
		portable.Dir = ""
		c.Tasks[name] = &portable
	}
	return c.Digest()
}

// GetWorkflow reads a workflow version.
func GetWorkflow(ctx context.Context, st store.Store, project, domain, name, version string) (*Workflow, error) {
	var w Workflow
	if err := getJSON(ctx, st, WorkflowKey(project, domain, name, version), &w); err != nil {
		return nil, fmt.Errorf("workflow %s version %s in %s/%s: %w", name, version, project, domain, err)
	}
	return &w, nil
}

// PutLaunchPlan registers a launch-plan version bound to workflowVersion.
func PutLaunchPlan(ctx context.Context, st store.Store, project, domain, version, workflowVersion string, lp *orchestrator.LaunchPlan, now time.Time) (created bool, err error) {
	plan := *lp
	plan.Active = false // activation is the pointer, not the record
	b, err := json.Marshal(struct {
		Plan            orchestrator.LaunchPlan `json:"plan"`
		WorkflowVersion string                  `json:"workflow_version"`
	}{plan, workflowVersion})
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(b)
	d := "sha256:" + hex.EncodeToString(sum[:])
	rec := &LaunchPlan{Project: project, Domain: domain, Version: version, WorkflowVersion: workflowVersion,
		Digest: d, RegisteredAt: now.UTC(), LaunchPlan: plan}
	return putImmutable(ctx, st, LaunchPlanKey(project, domain, lp.Name, version),
		fmt.Sprintf("launch plan %s version %s", lp.Name, version), d, rec)
}

// GetLaunchPlan reads a launch-plan version; version "" means the active one.
func GetLaunchPlan(ctx context.Context, st store.Store, project, domain, name, version string) (*LaunchPlan, error) {
	if version == "" {
		a, err := GetActive(ctx, st, project, domain, name)
		if err != nil {
			return nil, err
		}
		version = a.Version
	}
	var lp LaunchPlan
	if err := getJSON(ctx, st, LaunchPlanKey(project, domain, name, version), &lp); err != nil {
		return nil, fmt.Errorf("launch plan %s version %s in %s/%s: %w", name, version, project, domain, err)
	}
	return &lp, nil
}

// SetActive points the launch plan's active.json at version (which must be
// registered). Its write is what makes or updates the schedule rule.
func SetActive(ctx context.Context, st store.Store, project, domain, name, version string, now time.Time) error {
	if _, err := st.Head(ctx, LaunchPlanKey(project, domain, name, version)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("activate launch plan %s version %s: %w", name, version, ErrNotFound)
		}
		return err
	}
	_, err := store.PutJSON(ctx, st, layout.PlanPointerKey(project, domain, name), Active{Version: version, ActivatedAt: now.UTC()}, store.PutOptions{})
	return err
}

// Deactivate removes the launch plan's active pointer (its rule is deleted).
func Deactivate(ctx context.Context, st store.Store, project, domain, name string) error {
	return st.Delete(ctx, layout.PlanPointerKey(project, domain, name))
}

// GetActive reads a launch plan's active pointer.
func GetActive(ctx context.Context, st store.Store, project, domain, name string) (*Active, error) {
	var a Active
	if err := getJSON(ctx, st, layout.PlanPointerKey(project, domain, name), &a); err != nil {
		return nil, fmt.Errorf("launch plan %s in %s/%s has no active version: %w", name, project, domain, err)
	}
	return &a, nil
}

// ActivePlans returns every active launch plan in the bucket (every
// project and domain) that is not paused, sorted by project, domain and
// name.
func ActivePlans(ctx context.Context, st store.Store) ([]*LaunchPlan, error) {
	objs, err := store.ListKeys(ctx, st, layout.RegistryRoot)
	if err != nil {
		return nil, err
	}
	var out []*LaunchPlan
	for _, o := range objs {
		p, d, n, ok := layout.ParsePlanPointerKey(o.Key)
		if !ok {
			continue
		}
		a, err := GetActive(ctx, st, p, d, n)
		if errors.Is(err, ErrNotFound) || err == nil && a.Paused {
			continue // deactivated meanwhile, or paused
		}
		if err != nil {
			return nil, err
		}
		lp, err := GetLaunchPlan(ctx, st, p, d, n, a.Version)
		if err != nil {
			return nil, err
		}
		out = append(out, lp)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Project+"/"+a.Domain+"/"+a.Name < b.Project+"/"+b.Domain+"/"+b.Name
	})
	return out, nil
}

// getJSON reads a JSON object; a missing key is ErrNotFound.
func getJSON(ctx context.Context, st store.Store, key string, v any) error {
	_, err := store.GetJSON(ctx, st, key, v)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return err
}
