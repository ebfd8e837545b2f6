package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

const againAbout = `
Starts a new execution from an ended one, on the same workflow version and
launch plan, with the same inputs, in its project and domain. recover
reuses the outputs of every node (and map item) that succeeded in the
failed or aborted original, cached or not, and reruns the rest; relaunch
reruns everything (cached nodes still hit the cache). The new execution
records recovered_from (or relaunched_from), shown by aloft executions get.

Who runs it:
  - an s3:// bucket: the control plane. aloft writes
    requests/recover/<new id>.json (or requests/relaunch/...), which the
    advance function turns into the execution, as for aloft launch.
  - a directory bucket, original started by a request (aloft launch, a
    trigger or a schedule, under aloft dev): the same request, for
    aloft dev to start.
  - a directory bucket, original started by aloft run: this process runs
    it, like aloft run --resume, and waits for it.
--request and --local override the choice (--local only for a directory
bucket). With a request, aloft prints the new id and returns; --wait
follows the run and exits 0 if it succeeded, 1 if not.

Exit codes: 0 started (or, when waiting, succeeded); 1 an unknown id, a
failed run, or aloft's own failure; 2 an execution that is still running,
or (recover) one that succeeded: nothing to start.`

func executionsRecover(ctx context.Context, args []string, io Stdio) int {
	return againCmd(ctx, args, io, engine.Recover)
}

func executionsRelaunch(ctx context.Context, args []string, io Stdio) int {
	return againCmd(ctx, args, io, engine.Relaunch)
}

func againCmd(ctx context.Context, args []string, io Stdio, how string) int {
	cmd := "executions " + how
	var f runFlags
	fs := newFlagSet(cmd, "aloft executions "+how+" ID [--wait] [--request|--local] [flags]", againAbout, io)
	f.storeFlags.register(fs)
	wait := fs.Bool("wait", false, "with a request: follow the run until it ends; the exit code says how it ended")
	request := fs.Bool("request", false, "write a request for the control plane, whatever the bucket")
	inProcess := fs.Bool("local", false, "run it in this process (a directory bucket only)")
	fs.BoolVar(&f.quiet, "quiet", false, "show no progress, only the result")
	fs.IntVar(&f.maxParallel, "max-parallel", 0, "with a run in this process: at most `N` tasks at once")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	switch {
	case len(pos) != 1:
		return usageErr(io, cmd, "want one execution id (aloft executions list shows them)")
	case *request && *inProcess:
		return usageErr(io, cmd, "--request and --local contradict each other: pick who runs it")
	case f.maxParallel < 0:
		return usageErr(io, cmd, "--max-parallel %d: want a positive number of tasks", f.maxParallel)
	}
	st, err := f.storeFlags.openExisting(io.Env)
	if err != nil {
		return storeErr(io, cmd, err)
	}
	ref, err := f.findExecution(ctx, st, pos[0])
	if err != nil {
		return failErr(io, cmd, err)
	}
	var prev orchestrator.State // the header is enough
	if _, err := store.GetJSON(ctx, st, ref.StateKey(), &prev); err != nil {
		return failErr(io, cmd, err)
	}
	switch {
	case !prev.Phase.Terminal():
		return usageErr(io, cmd, "execution %s is %s: wait for it to end, or stop it with aloft executions terminate %s", ref.Exec, prev.Phase, ref.Exec)
	case how == engine.Recover && prev.Phase == orchestrator.ExecSucceeded:
		return usageErr(io, cmd, "execution %s succeeded: there is nothing to recover (aloft executions relaunch %s runs it again)", ref.Exec, ref.Exec)
	}
	dir, local := st.(*dirstore.Store)
	if *inProcess && !local {
		return usageErr(io, cmd, "--local runs tasks on this machine over a directory bucket; %s is not one", st.URI(""))
	}
	viaRequest := !local || *request
	if local && !*request && !*inProcess {
		if viaRequest, err = registry.Requested(ctx, st, ref.Exec); err != nil {
			return failErr(io, cmd, err)
		}
	}
	if !viaRequest {
		return againHere(ctx, io, &f, dir, ref, how)
	}
	return againRequest(ctx, io, st, ref, how, *wait, f.quiet)
}

// againHere runs the new execution in this process, as aloft run --resume
// does.
func againHere(ctx context.Context, io Stdio, f *runFlags, st *dirstore.Store, from engine.Ref, how string) int {
	engineGC()
	f.executor = "process"
	s, err := newSession(st, f, io)
	if err != nil {
		return failErr(io, "executions "+how, err)
	}
	next, err := s.eng.Again(ctx, how, from, engine.StartOptions{BaseDir: io.Env.Dir})
	if err != nil {
		s.view.close()
		if errors.Is(err, engine.ErrNotRecoverable) {
			return usageErr(io, "executions "+how, "%v", err)
		}
		return failErr(io, "executions "+how, err)
	}
	s.announce(fmt.Sprintf("execution %s: %s of %s, running here", next.Exec, how, from.Exec))
	s.started(next)
	return s.drive(ctx, next, false)
}

// againRequest writes the request the control plane starts the new
// execution from.
func againRequest(ctx context.Context, io Stdio, st store.Store, from engine.Ref, how string, wait, quiet bool) int {
	newID := io.Env.NewID
	if newID == nil {
		newID = engine.NewExecID(io.Env.now)
	}
	kind := layout.RequestRecover
	if how == engine.Relaunch {
		kind = layout.RequestRelaunch
	}
	req := &registry.AgainRequest{Kind: kind, ID: newID(), Project: from.Project, Domain: from.Domain,
		From: from.Exec, RequestedAt: io.Env.now().UTC(), Cause: "cli"}
	created, err := registry.PutAgainRequest(ctx, st, req)
	if err != nil {
		return failErr(io, "executions "+how, err)
	}
	if !created {
		return failErr(io, "executions "+how, fmt.Errorf("a %s request %s exists already; try again", kind, req.ID))
	}
	fmt.Fprintf(io.Err, "requested execution %s: %s of %s (the control plane starts it)\n", req.ID, how, from.Exec)
	if !wait {
		fmt.Fprintln(io.Out, req.ID)
		fmt.Fprintf(io.Err, "follow it with: aloft executions get %s (or add --wait)\n", req.ID)
		return exitOK
	}
	return waitExecution(ctx, io, st, engine.Ref{Project: from.Project, Domain: from.Domain, Exec: req.ID}, quiet)
}
