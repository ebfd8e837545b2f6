package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/internal/runnerbin"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store/dirstore"
)

const runAbout = `
Runs a workflow on this machine, like pyflyte run: every task runs locally
as a process (or in Docker with --executor docker), whatever its target.
Task outputs are memoized in the bucket, so a second run with the same
inputs is served from the cache. Inputs are given as --input name=value
(typed by the workflow's declaration: JSON text for list, map and json;
a path or https:// URL for file and directory), or all at once with
--inputs-file (JSON or YAML); --input wins over the file.

Ctrl-C cancels the run: running tasks are stopped and the execution ends
aborted. --resume ID continues an execution an aloft process left behind,
or reruns a failed or aborted one with the same workflow and inputs (nodes
whose outputs are cached are not run again). A run's execution belongs to
its aloft run process: aloft dev leaves it alone, and once the process is
gone aloft executions shows it interrupted until --resume takes it over.

--notify TARGET tells TARGET when the run fails or is aborted:
webhook:https://URL (a POST of JSON with the execution's id, phase, error
and a link; a Slack incoming-webhook URL works as is), eventbridge (an
event on the default bus) or sns (the topic in $ALOFT_NOTIFY_TOPIC_ARN);
the last two use the AWS configuration. on=succeeded,failed:TARGET picks
the phases. A notification that cannot be sent is a warning, never a
failed run.`

// runFlags are the settings of aloft run.
type runFlags struct {
	storeFlags
	workflow       string
	inputs         listFlag
	inputsFile     string
	noCache        bool
	overwriteCache bool
	resume         string
	maxParallel    int
	executor       string
	runner         string
	json           bool
	quiet          bool
	notify         listFlag
}

func runCmd(ctx context.Context, args []string, io Stdio) int {
	engineGC()
	var f runFlags
	fs := newFlagSet("run", "aloft run FILE... [--input name=value ...] [flags]\n       aloft run --resume ID [flags]", runAbout, io)
	fs.StringVar(&f.workflow, "workflow", "", "the `name` of the workflow to run, when the files define several")
	fs.Var(&f.inputs, "input", "an input value, `name=value` (repeatable)")
	fs.StringVar(&f.inputsFile, "inputs-file", "", "a JSON or YAML `file` of input values")
	f.register(fs)
	fs.BoolVar(&f.noCache, "no-cache", false, "neither read nor write the cache")
	fs.BoolVar(&f.overwriteCache, "overwrite-cache", false, "run every task and replace its cache entry")
	fs.StringVar(&f.resume, "resume", "", "continue (or rerun) the execution `ID`")
	fs.IntVar(&f.maxParallel, "max-parallel", 0, "run at most `N` tasks at once (default 2×CPUs, at least 4)")
	fs.StringVar(&f.executor, "executor", "process", "how tasks run: `process|docker`")
	fs.StringVar(&f.runner, "runner", "", "the Linux aloft-runner `binary` for --executor docker (default: next to aloft, or on PATH)")
	fs.BoolVar(&f.json, "json", false, "print the result as one JSON object on stdout")
	fs.BoolVar(&f.quiet, "quiet", false, "show no progress, only the result")
	fs.Var(&f.notify, "notify", notifyUsage)
	files, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	notifications, err := parseNotify(f.notify)
	if err != nil {
		return usageErr(io, "run", "%v", err)
	}
	switch {
	case f.noCache && f.overwriteCache:
		return usageErr(io, "run", "--no-cache and --overwrite-cache contradict each other (--overwrite-cache writes the cache)")
	case f.executor != "process" && f.executor != "docker":
		return usageErr(io, "run", "--executor %q: want process or docker", f.executor)
	case f.maxParallel < 0 || f.maxParallel == 0 && flagSet(fs, "max-parallel"):
		return usageErr(io, "run", "--max-parallel %d: want a positive number of tasks (leave it out for the default)", f.maxParallel)
	case f.resume != "" && (len(f.inputs) > 0 || f.inputsFile != "" || f.workflow != ""):
		return usageErr(io, "run", "--resume continues an execution with its own workflow and inputs: drop --workflow, --input and --inputs-file")
	case f.resume != "":
		return resumeRun(ctx, &f, notifications, io)
	case len(files) == 0:
		return usageErr(io, "run", "no spec file (usage: aloft run FILE [--input name=value ...])")
	}

	wf, code := loadWorkflow(io, "run", files, f.workflow)
	if code != exitOK {
		return code
	}
	given, err := readInputs(wf, f.inputsFile, f.inputs, io.Env.Dir)
	if err != nil {
		fmt.Fprintf(io.Err, "aloft run: %v\n", err)
		return exitUsage
	}
	st, err := f.open(io.Env)
	if err != nil {
		return storeErr(io, "run", err)
	}
	s, err := newSession(st, &f, io)
	if err != nil {
		return failErr(io, "run", err)
	}
	ref, err := s.eng.Start(ctx, wf, given, engine.StartOptions{
		Project: f.project, Domain: f.domain, NoCache: f.noCache, OverwriteCache: f.overwriteCache, BaseDir: io.Env.Dir, Cause: "cli",
		Notifications: notifications,
	})
	if err != nil {
		s.view.close()
		var ie *engine.InputError
		switch {
		case ctx.Err() != nil:
			fmt.Fprintln(io.Err, "aloft run: interrupted before the run started")
			return exitAborted
		case errors.As(err, &ie):
			fmt.Fprintf(io.Err, "aloft run: %v\n", err)
			return exitUsage
		}
		return failErr(io, "run", err)
	}
	s.started(ref)
	return s.drive(ctx, ref, false)
}

// resumeRun carries on with execution f.resume: an unfinished one is driven
// on from its saved state; a failed or aborted one is started again as a
// new execution of the same compiled workflow and inputs, so that nodes
// whose outputs are cached are not run again; a succeeded one is reported.
func resumeRun(ctx context.Context, f *runFlags, notifications []orchestrator.Notification, io Stdio) int {
	st, err := f.openExisting(io.Env)
	if err != nil {
		return usageErr(io, "run", "--resume %s: %v", f.resume, err)
	}
	ref, err := f.findExecution(ctx, st, f.resume)
	if err != nil {
		return usageErr(io, "run", "--resume: %v", err)
	}
	s, err := newSession(st, f, io)
	if err != nil {
		return failErr(io, "run", err)
	}
	prev, err := s.eng.Load(ctx, ref)
	if err != nil {
		s.view.close()
		return failErr(io, "run", err)
	}
	switch prev.Phase {
	case orchestrator.ExecSucceeded:
		s.view.close()
		s.announce(fmt.Sprintf("execution %s already succeeded", ref.Exec))
		return s.report(ctx, ref, prev, nil)
	case orchestrator.ExecFailed, orchestrator.ExecAborted:
		next, err := s.eng.Start(ctx, prev.Compiled(), prev.Inputs, engine.StartOptions{
			Project: ref.Project, Domain: ref.Domain, LaunchPlan: prev.LaunchPlan,
			NoCache: f.noCache, OverwriteCache: f.overwriteCache, BaseDir: io.Env.Dir,
			Notifications: append(slices.Clone(prev.Notifications), notifications...),
			Cause:         "rerun of " + ref.Exec,
		})
		if err != nil {
			s.view.close()
			return failErr(io, "run", err)
		}
		s.announce(fmt.Sprintf("execution %s %s; running it again with the same inputs (nodes with cached outputs are not rerun)", ref.Exec, prev.Phase))
		s.started(next)
		return s.drive(ctx, next, false)
	}
	if len(notifications) > 0 {
		fmt.Fprintf(io.Err, "warning: --notify ignored: execution %s keeps the notifications it started with\n", ref.Exec)
	}
	s.announce(fmt.Sprintf("resuming execution %s", ref.Exec))
	return s.drive(ctx, ref, true)
}

// session is one aloft run: the bucket, the progress view, the local
// executor and the engine over them.
type session struct {
	io   Stdio
	f    *runFlags
	st   *dirstore.Store
	view progress
	exec *local.Executor
	eng  *engine.Engine
}

func newSession(st *dirstore.Store, f *runFlags, io Stdio) (*session, error) {
	view := newProgress(io, f.quiet)
	opt := local.Options{MaxParallel: f.maxParallel, Log: view}
	if f.executor == "docker" {
		// The containers mount the Linux runner for this machine's
		// architecture: --runner, else the copy embedded in (or beside) aloft.
		runner, err := runnerbin.Path(context.Background(), runtime.GOARCH, f.runner, "")
		if err != nil {
			view.close()
			return nil, fmt.Errorf("--executor docker: %w", err)
		}
		opt.Docker, opt.RunnerPath = true, runner
	}
	ex, err := local.New(st, opt)
	if err != nil {
		view.close()
		return nil, err
	}
	warn := func(msg string) { fmt.Fprintf(io.Err, "warning: %s\n", msg) }
	if !f.quiet {
		warn = func(msg string) { fmt.Fprintf(view, "aloft | warning: %s\n", msg) }
	}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: ex, Now: io.Env.Now, NewID: io.Env.NewID,
		Observe: view.observe, Warn: warn, Notifier: newCLINotifier(io.Env)})
	if err != nil {
		view.close()
		return nil, err
	}
	return &session{io: io, f: f, st: st, view: view, exec: ex, eng: eng}, nil
}

// announce prints a line about the run on stderr, unless --quiet. The live
// view has drawn nothing yet when it is called.
func (s *session) announce(msg string) {
	if !s.f.quiet {
		fmt.Fprintln(s.io.Err, msg)
	}
}

// started names the new execution on stderr as soon as it exists, with
// --quiet too: after a crash or kill, it is what --resume needs.
func (s *session) started(ref engine.Ref) {
	fmt.Fprintf(s.io.Err, "execution %s (resume with: aloft run --resume %s)\n", ref.Exec, ref.Exec)
}

// drive runs the execution to its end, waits for the executor's jobs and
// reports the result.
func (s *session) drive(ctx context.Context, ref engine.Ref, resume bool) int {
	// The execution is this process's (Decision 22): aloft dev leaves it
	// alone, and listings show it interrupted once this process is gone.
	release, err := s.eng.Own(ctx, ref, selfProcess(), s.io.Env.Heartbeat)
	if err != nil {
		s.view.close()
		return failErr(s.io, "run", err)
	}
	defer release()
	stop := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			s.view.note("interrupted: cancelling the running tasks…")
		case <-stop:
		}
	}()
	state, err := s.eng.Run(ctx, ref, resume)
	close(stop)
	if err != nil {
		// Our machinery failed mid-run: stop what we started.
		for _, a := range orchestrator.ActiveAttempts(state) {
			if a.JobID != "" {
				_ = s.exec.Cancel(context.WithoutCancel(ctx), a.JobID)
			}
		}
	}
	s.exec.Wait()
	s.view.close()
	return s.report(ctx, ref, state, err)
}

// runResult is the --json result of aloft run.
type runResult struct {
	Execution string         `json:"execution"`
	Phase     string         `json:"phase"`
	Outputs   map[string]any `json:"outputs"`
	Error     any            `json:"error"` // a string, or null
}

// finalRows is how many nodes the node table at the end of a run shows at
// most: failed ones first (see pickRows). A fan-out of a thousand nodes
// gets a summary line, not a thousand rows; `aloft executions get` lists
// every node.
const finalRows = 30

// report prints the end of a run: the node table, a summary and the
// outputs on stdout (or one JSON object with --json); for a failed node,
// its error and the tail of its log on stderr. It returns the exit code.
func (s *session) report(ctx context.Context, ref engine.Ref, state orchestrator.State, runErr error) int {
	io := s.io
	if runErr != nil {
		fmt.Fprintf(io.Err, "aloft run: %v\n", runErr)
		if ctx.Err() != nil {
			return exitAborted
		}
		return exitFailed
	}
	wf := state.Compiled()
	snap := takeSnapshot(&state)
	if s.f.json {
		res := runResult{Execution: ref.Exec, Phase: state.Phase.String(), Outputs: jsonValues(state.Outputs)}
		if state.Error != "" {
			res.Error = state.Error
		}
		if err := writeJSON(io.Out, res); err != nil {
			return failErr(io, "run", err)
		}
	} else {
		now := io.Env.now().UnixMilli()
		shown := snap
		if len(snap.Nodes) > finalRows {
			shown.Nodes = pickRows(snap.Nodes, finalRows)
		}
		nodeTable(shown, now, false).write(io.Out)
		if hidden := len(snap.Nodes) - len(shown.Nodes); hidden > 0 {
			fmt.Fprintf(io.Out, "… %d more nodes (aloft executions get %s lists them all)\n", hidden, ref.Exec)
		}
		fmt.Fprintf(io.Out, "\n%s\n", summary(snap))
		fmt.Fprintf(io.Out, "execution %s %s in %s\n", ref.Exec, state.Phase, fmtDuration(endOr(state.Ended, now)-state.Created))
		if state.Phase == orchestrator.ExecSucceeded && len(wf.Outputs) > 0 {
			fmt.Fprintln(io.Out)
			valuesTable(outputParams(wf), state.Outputs).write(io.Out)
		}
	}
	if state.Phase != orchestrator.ExecSucceeded {
		fmt.Fprintf(io.Err, "\nerror: %s\n", state.Error)
		writeFailures(ctx, io.Err, s.st, state, state.Error)
		fmt.Fprintf(io.Err, "see more: aloft executions get %s\n", ref.Exec)
	}
	switch {
	case state.Phase == orchestrator.ExecSucceeded:
		return exitOK
	case state.Phase == orchestrator.ExecAborted && ctx.Err() != nil:
		return exitAborted
	}
	return exitFailed
}

func endOr(end, now int64) int64 {
	if end != 0 {
		return end
	}
	return now
}

// selfProcess is this process's identity for owner markers; where /proc
// cannot tell, the pid alone (readers then go by the heartbeat).
func selfProcess() batchrunner.ProcessID {
	id, err := batchrunner.ProcFS{}.Identify(os.Getpid())
	if err != nil {
		return batchrunner.ProcessID{PID: os.Getpid()}
	}
	return id
}
