package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// RegisterOptions are the settings of Register.
type RegisterOptions struct {
	Project, Domain, Version string
	// Activate makes the spec's launch plans active, except those whose
	// spec says `active: false`.
	Activate bool
	Now      time.Time
	// Prepare, if set, may rewrite each compiled workflow before it is
	// stored (pinning images to digests, building code images).
	Prepare func(ctx context.Context, wf *orchestrator.Compiled) error
}

// Registered is one row of Register's report.
type Registered struct {
	Kind    string // "workflow" or "launch plan"
	Name    string
	Version string
	Created bool // false: the same content was registered before
	Active  bool // launch plans: made active
	Detail  string
}

// Register compiles every workflow of a validated spec and registers it,
// and every launch plan bound to the workflow version registered with it,
// all under one version. It stops at the first error; what it registered
// before stays (versions are immutable and registering again is a no-op).
func Register(ctx context.Context, st store.Store, spec *orchestrator.Spec, opt RegisterOptions) ([]Registered, error) {
	for what, v := range map[string]string{"project": opt.Project, "domain": opt.Domain, "version": opt.Version} {
		if err := CheckName(what, v); err != nil {
			return nil, err
		}
	}
	var out []Registered
	for _, w := range spec.Workflows {
		wf, err := orchestrator.Compile(spec, w.Name)
		if err != nil {
			return out, err
		}
		if opt.Prepare != nil {
			if err := opt.Prepare(ctx, wf); err != nil {
				return out, fmt.Errorf("workflow %s: %w", w.Name, err)
			}
		}
		created, err := PutWorkflow(ctx, st, opt.Project, opt.Domain, opt.Version, wf, opt.Now)
		if err != nil {
			return out, err
		}
		out = append(out, Registered{Kind: "workflow", Name: w.Name, Version: opt.Version, Created: created,
			Detail: count(len(wf.Nodes), "node") + ", " + count(len(wf.Tasks), "task")})
	}
	for _, l := range spec.LaunchPlans {
		lp, err := spec.ResolveLaunchPlan(l.Name)
		if err != nil {
			return out, err
		}
		if spec.Workflow(lp.Workflow) == nil {
			return out, fmt.Errorf("launch plan %s: workflow %s is not in this spec", lp.Name, lp.Workflow)
		}
		created, err := PutLaunchPlan(ctx, st, opt.Project, opt.Domain, opt.Version, opt.Version, lp, opt.Now)
		if err != nil {
			return out, err
		}
		row := Registered{Kind: "launch plan", Name: lp.Name, Version: opt.Version, Created: created, Detail: describePlan(lp)}
		if opt.Activate && lp.Active {
			if err := SetActive(ctx, st, opt.Project, opt.Domain, lp.Name, opt.Version, opt.Now); err != nil {
				return out, err
			}
			row.Active = true
		}
		out = append(out, row)
	}
	return out, nil
}

// count is "1 node", "3 nodes".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func describePlan(lp *orchestrator.LaunchPlan) string {
	s := "workflow " + lp.Workflow
	if lp.Schedule != "" {
		s += ", " + lp.Schedule
	}
	for _, t := range lp.Triggers {
		s += fmt.Sprintf(", on %s*%s", t.Prefix, t.Suffix)
	}
	return s
}
