package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
)

const launchAbout = `
Starts a run of a registered launch plan (its active version unless
--version) through the control plane: it writes a launch request to the
bucket, which the advance function turns into an execution. With
--workflow, NAME is a registered workflow run at --workflow-version
without a launch plan.

Inputs are typed by the workflow as for aloft run: --input name=value, or
--inputs-file (JSON or YAML); the launch plan's defaults fill the rest and
its fixed inputs cannot be given. A local file or directory given for a
file or directory input cannot be read by the cloud, so aloft uploads it
first, to data/<execution>/inputs/<input>/ in the bucket (where aloft run
would put it); https:// URLs and objects already in the bucket are passed
as they are.

Prints the execution id. --wait follows the run, polling its state every
second, and exits 0 if it succeeded, 1 if it failed or was aborted
(Ctrl-C stops waiting, not the run).`

// launchFlags are the settings of aloft launch.
type launchFlags struct {
	storeFlags
	inputs          listFlag
	inputsFile      string
	version         string
	workflow        bool
	workflowVersion string
	wait, quiet     bool
	notify          listFlag
}

// launchTarget is what a launch runs: a launch-plan version (nil for a
// bare workflow) and its compiled workflow.
type launchTarget struct {
	plan *registry.LaunchPlan
	wf   *orchestrator.Compiled
	// wfVersion is the workflow's registered version.
	wfVersion string
}

func launchCmd(ctx context.Context, args []string, io Stdio) int {
	var f launchFlags
	fs := newFlagSet("launch", "aloft launch NAME [--input name=value ...] [flags]\n       aloft launch --workflow NAME --workflow-version V [--input name=value ...] [flags]", launchAbout, io)
	fs.Var(&f.inputs, "input", "an input value, `name=value` (repeatable)")
	fs.StringVar(&f.inputsFile, "inputs-file", "", "a JSON or YAML `file` of input values")
	fs.StringVar(&f.inputsFile, "inputs", "", "a JSON or YAML `file` of input values (the same as --inputs-file)")
	fs.StringVar(&f.version, "version", "", "the launch plan's `version` (default: the active one)")
	fs.BoolVar(&f.workflow, "workflow", false, "NAME is a registered workflow, run without a launch plan")
	fs.StringVar(&f.workflowVersion, "workflow-version", "", "with --workflow: the workflow's `version`")
	fs.BoolVar(&f.wait, "wait", false, "follow the run until it ends; the exit code says how it ended")
	fs.BoolVar(&f.quiet, "quiet", false, "with --wait: show no progress, only the result")
	fs.Var(&f.notify, "notify", notifyUsage+"; added to the launch plan's notifications")
	f.register(fs)
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	notifications, err := parseNotify(f.notify)
	if err != nil {
		return usageErr(io, "launch", "%v", err)
	}
	switch {
	case len(pos) != 1:
		return usageErr(io, "launch", "want one launch plan name (aloft launchplans list shows the active ones)")
	case f.workflow && f.workflowVersion == "":
		return usageErr(io, "launch", "--workflow needs --workflow-version V")
	case f.workflow && f.version != "":
		return usageErr(io, "launch", "--version is a launch plan's version: with --workflow, give --workflow-version")
	case !f.workflow && f.workflowVersion != "":
		return usageErr(io, "launch", "--workflow-version goes with --workflow (a launch plan is bound to its workflow's version)")
	}
	name := pos[0]
	st, err := f.openExisting(io.Env)
	if err != nil {
		return storeErr(io, "launch", err)
	}
	target, err := loadTarget(ctx, st, &f, name)
	if err != nil {
		return failErr(io, "launch", err)
	}
	given, err := readInputs(target.wf, f.inputsFile, f.inputs, io.Env.Dir)
	if err != nil {
		return usageErr(io, "launch", "%v", err)
	}
	merged := given
	if target.plan != nil {
		if merged, err = registry.MergeInputs(&target.plan.LaunchPlan, given); err != nil {
			return usageErr(io, "launch", "%v", err)
		}
	}
	if _, err := orchestrator.ResolveInputs(target.wf, merged); err != nil {
		return usageErr(io, "launch", "%v\nthe inputs of %s:\n%s", err, name, target.describeInputs())
	}

	newID := io.Env.NewID
	if newID == nil {
		newID = engine.NewExecID(io.Env.now)
	}
	id := newID()
	sent, err := engine.UploadLocalInputs(ctx, st, id, given, io.Env.Dir)
	if err != nil {
		if errors.Is(err, engine.ErrLocalInput) {
			return usageErr(io, "launch", "%v", err)
		}
		return failErr(io, "launch", err)
	}
	req := &registry.LaunchRequest{
		ID: id, Project: f.project, Domain: f.domain, Inputs: sent, RequestedAt: io.Env.now().UTC(), Cause: "cli",
		Notifications: notifications,
	}
	what := fmt.Sprintf("workflow %s version %s", name, target.wfVersion)
	if target.plan != nil {
		// The inputs were typed against this version: pin it, so that an
		// activation meanwhile does not change what runs.
		req.LaunchPlan, req.Version = name, target.plan.Version
		what = fmt.Sprintf("launch plan %s version %s (workflow %s)", name, target.plan.Version, target.wf.Name)
	} else {
		req.Workflow, req.WorkflowVersion = name, target.wfVersion
	}
	created, err := registry.PutLaunchRequest(ctx, st, req)
	if err != nil {
		return failErr(io, "launch", err)
	}
	if !created {
		return failErr(io, "launch", fmt.Errorf("a launch request %s exists already; launch again", id))
	}
	fmt.Fprintf(io.Err, "launched execution %s: %s\n", id, what)
	if !f.wait {
		fmt.Fprintln(io.Out, id)
		fmt.Fprintf(io.Err, "follow it with: aloft executions get %s (or launch with --wait)\nstop it with:   aloft executions terminate %s\n", id, id)
		return exitOK
	}
	return waitExecution(ctx, io, st, engine.Ref{Project: f.project, Domain: f.domain, Exec: id}, f.quiet)
}

// describeInputs lists the inputs a launch may give, with their types and
// what the launch plan fixes or defaults, indented, one a line.
func (t *launchTarget) describeInputs() string {
	if t.plan == nil {
		return describeInputs(t.wf, nil)
	}
	return describeInputs(t.wf, &t.plan.LaunchPlan)
}

// loadTarget reads the launch plan (or workflow) to launch from the registry.
func loadTarget(ctx context.Context, st store.Store, f *launchFlags, name string) (*launchTarget, error) {
	var t launchTarget
	wfName, wfVersion := name, f.workflowVersion
	if !f.workflow {
		lp, err := registry.GetLaunchPlan(ctx, st, f.project, f.domain, name, f.version)
		if errors.Is(err, registry.ErrNotFound) {
			if f.version == "" {
				return nil, fmt.Errorf("%w (aloft launchplans activate %s activates it; --version V launches an inactive version)", err, name)
			}
			return nil, fmt.Errorf("%w (aloft register FILE --version %s registers it)", err, f.version)
		}
		if err != nil {
			return nil, err
		}
		t.plan, wfName, wfVersion = lp, lp.Workflow, lp.WorkflowVersion
	}
	w, err := registry.GetWorkflow(ctx, st, f.project, f.domain, wfName, wfVersion)
	if err != nil {
		return nil, err
	}
	if t.wf, err = w.Decode(); err != nil {
		return nil, err
	}
	t.wfVersion = wfVersion
	return &t, nil
}

// pollInterval is how often launch --wait reads the execution's state.
const pollInterval = time.Second

// notStartedPolls is after how many polls launch --wait remarks that the
// execution has not started.
const notStartedPolls = 60

// sleep waits d, or until ctx ends; Env.Sleep replaces it in tests.
func sleep(ctx context.Context, env Env, d time.Duration) error {
	if env.Sleep != nil {
		return env.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitExecution follows an execution the control plane runs, polling its
// state, showing its progress on stderr, until it ends; then it prints the
// execution as aloft executions get does. Exit code 0 when it succeeded,
// 1 when it failed or was aborted, 130 when interrupted (the run goes on).
func waitExecution(ctx context.Context, io Stdio, st store.Store, ref engine.Ref, quiet bool) int {
	eng, err := engine.New(engine.Config{Store: st})
	if err != nil {
		return failErr(io, "launch", err)
	}
	view := newProgress(io, quiet)
	seq, phase, unstarted := int64(-1), orchestrator.ExecPhase(255), 0
	for {
		s, err := eng.Load(ctx, ref)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if rej, rerr := registry.GetRejection(ctx, st, ref.Project, ref.Domain, ref.Exec); rerr == nil {
				view.close()
				fmt.Fprintf(io.Err, "aloft launch: execution %s was not started: %s\n", ref.Exec, rej.Reason)
				return exitFailed
			}
			unstarted++
			switch unstarted {
			case 1:
				view.note(fmt.Sprintf("execution %s: waiting for the control plane to start it…", ref.Exec))
			case notStartedPolls:
				view.note(fmt.Sprintf("execution %s has not started after %s: is the stack deployed, and does the advance function's log say why?", ref.Exec, notStartedPolls*pollInterval))
			}
		case err != nil && ctx.Err() == nil:
			view.close()
			return failErr(io, "launch", err)
		case err == nil && s.Seq != seq:
			seq = s.Seq
			view.observe(&s)
			if s.Phase != phase {
				phase = s.Phase
				view.note(fmt.Sprintf("execution %s %s: %d/%d nodes done", ref.Exec, s.Phase, s.Done, len(s.Nodes)))
			}
			if s.Phase.Terminal() {
				view.close()
				writeExecution(ctx, io.Out, st, s, io.Env.now().UnixMilli())
				if s.Phase != orchestrator.ExecSucceeded {
					return exitFailed
				}
				return exitOK
			}
		}
		if err := sleep(ctx, io.Env, pollInterval); err != nil {
			view.close()
			fmt.Fprintf(io.Err, "stopped waiting; execution %s goes on (aloft executions terminate %s stops it)\n", ref.Exec, ref.Exec)
			return exitAborted
		}
	}
}
