package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
)

const launchPlansAbout = `
Turns registered launch plans on and off. An active launch plan's schedule
and S3 triggers start runs (the registrar function makes its EventBridge
rule when the active pointer is written), and aloft launch NAME runs its
active version.

  aloft launchplans activate NAME [--version V]
      makes version V active (default: the version registered last)
  aloft launchplans deactivate NAME [--version V]
      stops its schedule and triggers (with --version, only if V is active)
  aloft launchplans list [--json]
      the active launch plans: NAME VERSION WORKFLOW SCHEDULE TRIGGERS`

func launchPlansCmd(ctx context.Context, args []string, io Stdio) int {
	return subcommand(ctx, args, io, "launchplans", launchPlansAbout, []sub{
		{[]string{"activate"}, launchPlansActivate},
		{[]string{"deactivate"}, launchPlansDeactivate},
		{[]string{"list", "ls"}, launchPlansList},
	})
}

// launchPlanArgs parses the flags of activate and deactivate and opens the
// bucket; code >= 0 means return it.
func launchPlanArgs(name string, args []string, io Stdio) (sf *storeFlags, plan, version string, st store.Store, code int) {
	sf = &storeFlags{}
	fs := newFlagSet("launchplans "+name, "aloft launchplans "+name+" NAME [--version V] [flags]", launchPlansAbout, io)
	fs.StringVar(&version, "version", "", "the launch plan's `version`")
	sf.register(fs)
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return nil, "", "", nil, code
	}
	if len(pos) != 1 {
		return nil, "", "", nil, usageErr(io, "launchplans "+name, "want one launch plan name")
	}
	plan = pos[0]
	if err := registry.CheckName("launch plan", plan); err != nil {
		return nil, "", "", nil, usageErr(io, "launchplans "+name, "%v", err)
	}
	st, err := sf.openExisting(io.Env)
	if err != nil {
		return nil, "", "", nil, storeErr(io, "launchplans "+name, err)
	}
	return sf, plan, version, st, -1
}

func launchPlansActivate(ctx context.Context, args []string, io Stdio) int {
	sf, plan, version, st, code := launchPlanArgs("activate", args, io)
	if code >= 0 {
		return code
	}
	if version == "" {
		lp, err := latestLaunchPlan(ctx, st, sf.project, sf.domain, plan)
		if err != nil {
			return failErr(io, "launchplans activate", err)
		}
		version = lp.Version
	}
	prev, err := registry.GetActive(ctx, st, sf.project, sf.domain, plan)
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return failErr(io, "launchplans activate", err)
	}
	if err == nil && prev.Version == version {
		fmt.Fprintf(io.Out, "launch plan %s version %s is already active\n", plan, version)
		return exitOK
	}
	if err := registry.SetActive(ctx, st, sf.project, sf.domain, plan, version, io.Env.now()); err != nil {
		if errors.Is(err, registry.ErrNotFound) {
			err = fmt.Errorf("%w (aloft register FILE --version %s registers it)", err, version)
		}
		return failErr(io, "launchplans activate", err)
	}
	msg := fmt.Sprintf("launch plan %s version %s is active", plan, version)
	if prev != nil {
		msg += " (was " + prev.Version + ")"
	}
	fmt.Fprintln(io.Out, msg)
	return exitOK
}

func launchPlansDeactivate(ctx context.Context, args []string, io Stdio) int {
	sf, plan, version, st, code := launchPlanArgs("deactivate", args, io)
	if code >= 0 {
		return code
	}
	a, err := registry.GetActive(ctx, st, sf.project, sf.domain, plan)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		if _, err := latestLaunchPlan(ctx, st, sf.project, sf.domain, plan); err != nil {
			return failErr(io, "launchplans deactivate", err)
		}
		fmt.Fprintf(io.Out, "launch plan %s is not active\n", plan)
		return exitOK
	case err != nil:
		return failErr(io, "launchplans deactivate", err)
	case version != "" && a.Version != version:
		return failErr(io, "launchplans deactivate", fmt.Errorf("launch plan %s: version %s is active, not %s (left as it is)", plan, a.Version, version))
	}
	if err := registry.Deactivate(ctx, st, sf.project, sf.domain, plan); err != nil {
		return failErr(io, "launchplans deactivate", err)
	}
	fmt.Fprintf(io.Out, "launch plan %s is no longer active (was version %s)\n", plan, a.Version)
	return exitOK
}

// latestLaunchPlan is the launch plan's version registered last.
func latestLaunchPlan(ctx context.Context, st store.Store, project, domain, name string) (*registry.LaunchPlan, error) {
	objs, err := store.ListKeys(ctx, st, layout.LaunchPlanDir(project, domain, name))
	if err != nil {
		return nil, err
	}
	var last *registry.LaunchPlan
	for _, o := range objs {
		_, _, n, version, ok := layout.ParseLaunchPlanKey(o.Key)
		if !ok || n != name {
			continue
		}
		lp, err := registry.GetLaunchPlan(ctx, st, project, domain, name, version)
		if err != nil {
			return nil, err
		}
		if last == nil || lp.RegisteredAt.After(last.RegisteredAt) {
			last = lp
		}
	}
	if last == nil {
		return nil, fmt.Errorf("launch plan %s in %s/%s: %w (aloft register registers it)", name, project, domain, registry.ErrNotFound)
	}
	return last, nil
}

// planView is the --json form of one row of launchplans list.
type planView struct {
	Project         string   `json:"project"`
	Domain          string   `json:"domain"`
	Name            string   `json:"name"`
	Version         string   `json:"version"`
	Workflow        string   `json:"workflow"`
	WorkflowVersion string   `json:"workflow_version"`
	Schedule        string   `json:"schedule,omitempty"`
	Triggers        []string `json:"triggers,omitempty"`
}

func launchPlansList(ctx context.Context, args []string, io Stdio) int {
	var sf storeFlags
	fs := newFlagSet("launchplans list", "aloft launchplans list [flags]", "Lists the active launch plans of the project and domain.", io)
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print a JSON array")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		return usageErr(io, "launchplans list", "unexpected argument %q", pos[0])
	}
	var rows []planView
	st, err := sf.openExisting(io.Env)
	switch {
	case errors.Is(err, errNoStore):
	case err != nil:
		return storeErr(io, "launchplans list", err)
	default:
		plans, err := registry.ActivePlans(ctx, st)
		if err != nil {
			return failErr(io, "launchplans list", err)
		}
		for _, lp := range plans {
			if lp.Project != sf.project || lp.Domain != sf.domain {
				continue
			}
			v := planView{Project: lp.Project, Domain: lp.Domain, Name: lp.Name, Version: lp.Version,
				Workflow: lp.Workflow, WorkflowVersion: lp.WorkflowVersion, Schedule: lp.Schedule}
			for _, t := range lp.Triggers {
				v.Triggers = append(v.Triggers, fmt.Sprintf("%s*%s -> %s", t.Prefix, t.Suffix, t.Input))
			}
			rows = append(rows, v)
		}
	}
	if *asJSON {
		if rows == nil {
			rows = []planView{}
		}
		if err := writeJSON(io.Out, rows); err != nil {
			return failErr(io, "launchplans list", err)
		}
		return exitOK
	}
	if len(rows) == 0 {
		fmt.Fprintf(io.Err, "no active launch plans in %s/%s\n", sf.project, sf.domain)
		return exitOK
	}
	t := &table{}
	t.add("NAME", "VERSION", "WORKFLOW", "SCHEDULE", "TRIGGERS")
	for _, r := range rows {
		t.add(r.Name, r.Version, r.Workflow, orDash(r.Schedule), orDash(strings.Join(r.Triggers, "; ")))
	}
	t.write(io.Out)
	return exitOK
}
