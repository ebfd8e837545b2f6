package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/console"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
)

const executionsAbout = `
Looks at executions recorded in the bucket.

  aloft executions list [--project P] [--domain D] [--limit N] [--json]
      newest first: EXECUTION WORKFLOW PHASE STARTED DURATION; an
      unfinished execution whose aloft run process is gone shows as
      interrupted (aloft run --resume ID carries it on)
  aloft executions get ID [--json]
      the node table (phases, attempts, durations, cache hits, errors),
      the inputs and outputs, and the log tail of each failed node
  aloft executions terminate ID [--reason R]
      asks the control plane to stop a running execution (it writes a
      cancel request to the bucket; the execution ends aborted)
  aloft executions recover ID [--wait]
      a new execution that reuses what succeeded in a failed or aborted
      one and reruns the rest (see aloft executions recover --help)
  aloft executions relaunch ID [--wait]
      a new execution with the same workflow version and inputs`

func executionsCmd(ctx context.Context, args []string, io Stdio) int {
	return subcommand(ctx, args, io, "executions", executionsAbout, []sub{
		{[]string{"list", "ls"}, executionsList},
		{[]string{"get", "show"}, executionsGet},
		{[]string{"terminate", "cancel"}, executionsTerminate},
		{[]string{"recover"}, executionsRecover},
		{[]string{"relaunch"}, executionsRelaunch},
	})
}

// execSummary is one row of aloft executions list (and its --json form).
type execSummary struct {
	Execution string `json:"execution"`
	Project   string `json:"project"`
	Domain    string `json:"domain"`
	Workflow  string `json:"workflow"`
	Phase     string `json:"phase"`
	Created   string `json:"created"`
	Ended     string `json:"ended,omitempty"`
	Error     string `json:"error,omitempty"`

	created, ended int64
}

func executionsList(ctx context.Context, args []string, io Stdio) int {
	var sf storeFlags
	fs := newFlagSet("executions list", "aloft executions list [flags]", "Lists executions, newest first.", io)
	sf.register(fs)
	limit := fs.Int("limit", 20, "show at most `N` executions (0: all)")
	asJSON := fs.Bool("json", false, "print a JSON array")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		return usageErr(io, "executions list", "unexpected argument %q", pos[0])
	}
	var rows []execSummary
	st, err := sf.openExisting(io.Env)
	switch {
	case errors.Is(err, errNoStore):
	case err != nil:
		return storeErr(io, "executions list", err)
	default:
		rows, err = listExecutions(ctx, st, sf.project, sf.domain, *limit, io.Env.now(), skipWarner(io))
		if err != nil {
			return failErr(io, "executions list", err)
		}
	}
	if *asJSON {
		if rows == nil {
			rows = []execSummary{}
		}
		if err := writeJSON(io.Out, rows); err != nil {
			return failErr(io, "executions list", err)
		}
		return exitOK
	}
	if len(rows) == 0 {
		fmt.Fprintf(io.Err, "no executions in %s/%s\n", sf.project, sf.domain)
		return exitOK
	}
	now := io.Env.now().UnixMilli()
	t := &table{}
	t.add("EXECUTION", "WORKFLOW", "PHASE", "STARTED", "DURATION")
	for _, r := range rows {
		t.add(r.Execution, r.Workflow, r.Phase, fmtTime(r.created), fmtDuration(endOr(r.ended, now)-r.created))
	}
	t.write(io.Out)
	for _, r := range rows {
		if r.Phase == phaseInterrupted {
			fmt.Fprintf(io.Err, "%s is interrupted (%s): %s\n", r.Execution, r.Error, resumeHint(r.Execution))
		}
	}
	return exitOK
}

// phaseInterrupted is the phase listings show for an unfinished execution
// of an `aloft run` process that is gone (Decision 22).
const phaseInterrupted = "interrupted"

// interrupted says why an unfinished execution is interrupted (its owner,
// an aloft run process, is gone); "" when it is not.
func interrupted(ctx context.Context, st store.Store, ref engine.Ref, phase orchestrator.ExecPhase, now time.Time) string {
	if phase.Terminal() {
		return ""
	}
	o, err := engine.CheckOwner(ctx, st, ref, batchrunner.ProcFS{}, now)
	if err != nil || !o.Gone {
		return ""
	}
	return o.Why
}

// resumeHint says how to carry on with an interrupted execution.
func resumeHint(exec string) string { return "resume with: aloft run --resume " + exec }

// listExecutions reads the newest-first index of project/domain
// (layout.IndexKey): each entry's summary (Decision 34), or the state of an
// execution whose entry has none. An execution whose state cannot be read
// or decoded is left out and reported to skip (issue 14: one corrupt record
// must not break the listing).
func listExecutions(ctx context.Context, st store.Store, project, domain string, limit int, now time.Time, skip func(key string, err error)) ([]execSummary, error) {
	objs, err := store.ListKeys(ctx, st, layout.IndexPrefix(project, domain))
	if err != nil {
		return nil, fmt.Errorf("list executions: %w", err)
	}
	var rows []execSummary
	for _, o := range objs {
		if limit > 0 && len(rows) >= limit {
			break
		}
		_, _, id, ok := layout.ParseIndexKey(o.Key)
		if !ok {
			continue
		}
		ref := engine.Ref{Project: project, Domain: domain, Exec: id}
		// The entry carries the row's summary (Decision 34); entries
		// written before it did hold only the id, and the state says.
		if b, _, err := store.ReadAll(ctx, st, o.Key); err == nil {
			if e, ok := engine.DecodeIndexEntry(b); ok {
				row := execSummary{
					Execution: id, Project: project, Domain: domain, Workflow: e.Workflow, Phase: e.Phase,
					Created: isoTime(e.Started), Ended: isoTime(e.Ended), Error: e.Error,
					created: e.Started, ended: e.Ended,
				}
				if e.Ended == 0 {
					if why := interrupted(ctx, st, ref, orchestrator.ExecRunning, now); why != "" {
						row.Phase, row.Error = phaseInterrupted, why
					}
				}
				rows = append(rows, row)
				continue
			}
		}
		b, _, err := store.ReadAll(ctx, st, ref.StateKey())
		if errors.Is(err, store.ErrNotFound) {
			continue // indexed before its state was written, or deleted
		}
		if err != nil {
			skip(ref.StateKey(), err)
			continue
		}
		var s orchestrator.State // read without its workflow: only the header is needed
		if err := json.Unmarshal(b, &s); err != nil {
			skip(ref.StateKey(), fmt.Errorf("decode: %w", err))
			continue
		}
		row := execSummary{
			Execution: id, Project: project, Domain: domain, Workflow: s.Workflow, Phase: s.Phase.String(),
			Created: isoTime(s.Created), Ended: isoTime(s.Ended), Error: s.Error,
			created: s.Created, ended: s.Ended,
		}
		if why := interrupted(ctx, st, ref, s.Phase, now); why != "" {
			row.Phase, row.Error = phaseInterrupted, why
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// skipWarner reports a record a listing skips: one warning line on stderr
// naming it.
func skipWarner(io Stdio) func(key string, err error) {
	return func(key string, err error) {
		fmt.Fprintf(io.Err, "warning: skipped unreadable %s: %v\n", key, err)
	}
}

// execView is the --json form of aloft executions get.
type execView struct {
	Execution string `json:"execution"`
	Project   string `json:"project"`
	Domain    string `json:"domain"`
	Workflow  string `json:"workflow"`
	Phase     string `json:"phase"`
	// RecoveredFrom and RelaunchedFrom name the execution this one
	// recovers or reruns.
	RecoveredFrom  string         `json:"recovered_from,omitempty"`
	RelaunchedFrom string         `json:"relaunched_from,omitempty"`
	Error          *string        `json:"error"`
	Created        *string        `json:"created"`
	Ended          *string        `json:"ended"`
	Inputs         map[string]any `json:"inputs"`
	Outputs        map[string]any `json:"outputs"`
	Nodes          []nodeView     `json:"nodes"`
}

// nodeView is one node (or, under Items, one map item) in execView.
type nodeView struct {
	Name     string `json:"name,omitempty"`
	Index    *int   `json:"index,omitempty"` // map items
	Phase    string `json:"phase"`
	Attempts int    `json:"attempts"`
	Cached   bool   `json:"cached"`
	// Recovered: its outputs were reused from the execution recovered.
	Recovered bool       `json:"recovered,omitempty"`
	Error     *string    `json:"error"`
	Started   *string    `json:"started"`
	Ended     *string    `json:"ended"`
	Items     []nodeView `json:"items,omitempty"`
}

func executionsGet(ctx context.Context, args []string, io Stdio) int {
	var sf storeFlags
	fs := newFlagSet("executions get", "aloft executions get ID [flags]", "Shows one execution.", io)
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print a JSON object")
	node := fs.String("node", "", "show this `node`: its inputs, outputs and attempts")
	item := fs.Int("item", -1, "with --node of a map node: show this `item`")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageErr(io, "executions get", "want one execution id (aloft executions list shows them)")
	}
	if *item >= 0 && *node == "" {
		return usageErr(io, "executions get", "--item goes with --node NAME")
	}
	st, err := sf.openExisting(io.Env)
	if err != nil {
		return storeErr(io, "executions get", err)
	}
	ref, err := sf.findExecution(ctx, st, pos[0])
	if err != nil {
		return failErr(io, "executions get", err)
	}
	eng, err := engine.New(engine.Config{Store: st})
	if err != nil {
		return failErr(io, "executions get", err)
	}
	s, err := eng.Load(ctx, ref)
	if err != nil {
		return failErr(io, "executions get", err)
	}
	if *node != "" {
		return writeNode(ctx, io, st, &s, *node, *item, *asJSON)
	}
	why := interrupted(ctx, st, ref, s.Phase, io.Env.now())
	if *asJSON {
		v := viewOf(s)
		if why != "" {
			v.Phase, v.Error = phaseInterrupted, &why
		}
		if err := writeJSON(io.Out, v); err != nil {
			return failErr(io, "executions get", err)
		}
		return exitOK
	}
	writeExecution(ctx, io.Out, st, s, io.Env.now().UnixMilli())
	return exitOK
}

// writeExecution prints an execution: its header, the node table, the
// inputs and outputs, and the log tail of each failed node.
func writeExecution(ctx context.Context, w io.Writer, st store.Store, s orchestrator.State, now int64) {
	wf := s.Compiled()
	snap := takeSnapshot(&s)
	head := &table{}
	head.add("execution", fmt.Sprintf("%s (%s/%s)", s.Exec, s.Project, s.Domain))
	head.add("workflow", s.Workflow)
	if s.LaunchPlan != "" {
		head.add("launch plan", s.LaunchPlan)
	}
	if s.RecoveredFrom != "" {
		head.add("recovered from", s.RecoveredFrom)
	}
	if s.RelaunchedFrom != "" {
		head.add("relaunched from", s.RelaunchedFrom)
	}
	if why := interrupted(ctx, st, engine.Ref{Project: s.Project, Domain: s.Domain, Exec: s.Exec}, s.Phase, time.UnixMilli(now)); why != "" {
		head.add("phase", fmt.Sprintf("%s (%s; %s)", phaseInterrupted, why, resumeHint(s.Exec)))
	} else {
		head.add("phase", s.Phase.String())
	}
	head.add("started", fmtTime(s.Created))
	head.add("duration", fmtDuration(endOr(s.Ended, now)-s.Created))
	if s.Error != "" {
		head.add("error", oneLine(s.Error, 200))
	}
	head.write(w)
	fmt.Fprintln(w)
	nodeTable(snap, now, true).write(w)
	fmt.Fprintf(w, "\n%s\n", summary(snap))
	if len(wf.Inputs) > 0 {
		fmt.Fprintln(w, "\nInputs:")
		valuesTable(wf.Inputs, s.Inputs).write(w)
	}
	if len(wf.Outputs) > 0 && s.Phase == orchestrator.ExecSucceeded {
		fmt.Fprintln(w, "\nOutputs:")
		valuesTable(outputParams(wf), s.Outputs).write(w)
	}
	shown := make([]string, len(snap.Nodes))
	for i, r := range snap.Nodes {
		shown[i] = r.Err // the ERROR column has them
	}
	writeFailures(ctx, w, st, s, strings.Join(shown, "\n"))
}

// viewOf builds the stable JSON view of an execution.
func viewOf(s orchestrator.State) execView {
	wf := s.Compiled()
	v := execView{
		Execution: s.Exec, Project: s.Project, Domain: s.Domain, Workflow: s.Workflow, Phase: s.Phase.String(),
		RecoveredFrom: s.RecoveredFrom, RelaunchedFrom: s.RelaunchedFrom, Error: strOrNil(s.Error), Created: strOrNil(isoTime(s.Created)), Ended: strOrNil(isoTime(s.Ended)),
		Inputs: jsonValues(s.Inputs), Outputs: jsonValues(s.Outputs), Nodes: make([]nodeView, len(s.Nodes)),
	}
	snap := takeSnapshot(&s)
	for i := range s.Nodes {
		ns := &s.Nodes[i]
		r := snap.Nodes[i]
		nv := itemView(ns)
		nv.Name, nv.Attempts, nv.Cached = r.Name, r.Attempts, r.cached()
		if wf.Nodes[i].Kind == orchestrator.NodeMap {
			nv.Items = make([]nodeView, len(ns.Items))
			for j := range ns.Items {
				iv := itemView(&ns.Items[j])
				iv.Index = &j
				nv.Items[j] = iv
			}
		}
		v.Nodes[i] = nv
	}
	return v
}

func itemView(ns *orchestrator.NodeState) nodeView {
	return nodeView{
		Phase: ns.Phase.String(), Attempts: ns.Attempt, Cached: ns.Phase == orchestrator.Cached, Recovered: ns.Recovered,
		Error: strOrNil(ns.Err), Started: strOrNil(isoTime(ns.Start)), Ended: strOrNil(isoTime(ns.End)),
	}
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func executionsTerminate(ctx context.Context, args []string, io Stdio) int {
	var sf storeFlags
	fs := newFlagSet("executions terminate", "aloft executions terminate ID [--reason R] [flags]",
		"Asks the control plane to stop an execution: running tasks are cancelled and it ends aborted.", io)
	sf.register(fs)
	reason := fs.String("reason", "", "why, recorded with the request")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageErr(io, "executions terminate", "want one execution id (aloft executions list shows them)")
	}
	id := pos[0]
	st, err := sf.openExisting(io.Env)
	if err != nil {
		return storeErr(io, "executions terminate", err)
	}
	req := &registry.CancelRequest{Project: sf.project, Domain: sf.domain, Exec: id, Reason: *reason, RequestedAt: io.Env.now().UTC()}
	ref, err := sf.findExecution(ctx, st, id)
	switch {
	case errors.Is(err, errNoExecution):
		// Launched but not yet started by the control plane?
		lr, lerr := registry.GetLaunchRequest(ctx, st, id)
		if lerr != nil {
			return failErr(io, "executions terminate", err)
		}
		req.Project, req.Domain = lr.Project, lr.Domain
		if err := registry.PutCancelRequest(ctx, st, req); err != nil {
			return failErr(io, "executions terminate", err)
		}
		fmt.Fprintf(io.Out, "cancel requested for execution %s (launched, not started yet)\n", id)
		return exitOK
	case err != nil:
		return failErr(io, "executions terminate", err)
	}
	var s orchestrator.State // the header is enough
	if _, err := store.GetJSON(ctx, st, ref.StateKey(), &s); err != nil {
		return failErr(io, "executions terminate", err)
	}
	if s.Phase.Terminal() {
		fmt.Fprintf(io.Out, "execution %s already %s; nothing to terminate\n", id, s.Phase)
		return exitOK
	}
	req.Project, req.Domain = ref.Project, ref.Domain
	if err := registry.PutCancelRequest(ctx, st, req); err != nil {
		return failErr(io, "executions terminate", err)
	}
	fmt.Fprintf(io.Out, "cancel requested for execution %s (%s); it ends aborted once its running tasks are stopped\n", id, s.Phase)
	fmt.Fprintf(io.Err, "follow it with: aloft executions get %s\n", id)
	return exitOK
}

// writeNode prints one node (or map item) of an execution: its inputs,
// outputs and every attempt with its times, error and log tail.
func writeNode(ctx context.Context, io Stdio, st store.Store, s *orchestrator.State, node string, item int, asJSON bool) int {
	d, err := console.DescribeNode(ctx, st, s, node, item)
	if err != nil {
		return failErr(io, "executions get", err)
	}
	if asJSON {
		if err := writeJSON(io.Out, d); err != nil {
			return failErr(io, "executions get", err)
		}
		return exitOK
	}
	head := &table{}
	label := d.Name
	if d.Item >= 0 {
		label = fmt.Sprintf("%s[%d]", d.Name, d.Item)
	}
	head.add("node", label+" ("+d.Kind+")")
	head.add("phase", d.Phase)
	if d.Items > 0 {
		head.add("items", fmt.Sprintf("%d %v", d.Items, d.ItemCount))
	}
	if d.Error != "" {
		head.add("error", oneLine(d.Error, 200))
	}
	head.write(io.Out)
	for _, part := range []struct {
		title string
		vals  []console.Value
	}{{"Inputs", d.Inputs}, {"Outputs", d.Outputs}} {
		if len(part.vals) == 0 {
			continue
		}
		fmt.Fprintf(io.Out, "\n%s:\n", part.title)
		t := &table{}
		for _, v := range part.vals {
			t.add(v.Name, v.Type, v.Text)
		}
		t.write(io.Out)
	}
	for _, a := range d.AttemptList {
		fmt.Fprintf(io.Out, "\nAttempt %d: queued %s, started %s, ended %s", a.Attempt, fmtTime(a.Queued), fmtTime(a.Started), fmtTime(a.Ended))
		if a.JobID != "" {
			fmt.Fprintf(io.Out, ", job %s", a.JobID)
		}
		fmt.Fprintln(io.Out)
		if a.Error != "" {
			fmt.Fprintf(io.Out, "  error: %s\n", oneLine(a.Error, 300))
		}
		if a.LogTail != "" {
			fmt.Fprintf(io.Out, "  log tail:\n%s\n", indent(a.LogTail, "    "))
		}
	}
	return exitOK
}

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pre)
}
