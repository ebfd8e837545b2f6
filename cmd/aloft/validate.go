package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aloft-run/aloft/orchestrator"
)

const validateAbout = `
Parses and validates spec files (workflows, tasks and launch plans, which
may refer to each other across the files) and compiles every workflow.
Prints a one-line summary, or every error found as file:line:col: error:
message, and exits 2.`

func validateCmd(ctx context.Context, args []string, io Stdio) int {
	fs := newFlagSet("validate", "aloft validate FILE...", validateAbout, io)
	files, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(files) == 0 {
		return usageErr(io, "validate", "no spec file (usage: aloft validate FILE...)")
	}
	spec, err := orchestrator.ParseFiles(files...)
	if err != nil {
		fmt.Fprintln(io.Err, err)
		return exitUsage
	}
	if len(spec.Workflows)+len(spec.Tasks)+len(spec.LaunchPlans) == 0 {
		return usageErr(io, "validate", "%s: no specs (want YAML documents with apiVersion: aloft/v1 and kind Workflow, Task or LaunchPlan)", strings.Join(files, ", "))
	}
	var wfs []string
	for _, w := range spec.Workflows {
		if _, err := orchestrator.Compile(spec, w.Name); err != nil {
			fmt.Fprintln(io.Err, err)
			return exitUsage
		}
		wfs = append(wfs, fmt.Sprintf("%s, %s", w.Name, plural(len(w.Nodes), "node")))
	}
	parts := []string{plural(len(spec.Workflows), "workflow")}
	if len(wfs) > 0 {
		parts[0] += " (" + strings.Join(wfs, "; ") + ")"
	}
	if n := len(spec.Tasks); n > 0 {
		parts = append(parts, plural(n, "task"))
	}
	if n := len(spec.LaunchPlans); n > 0 {
		parts = append(parts, plural(n, "launch plan"))
	}
	fmt.Fprintf(io.Out, "ok: %s\n", strings.Join(parts, ", "))
	return exitOK
}

// loadWorkflow parses and validates the spec files and compiles the chosen
// workflow: the only one, or the one named. A problem is printed (spec
// errors compiler style) and gives the usage exit code.
func loadWorkflow(io Stdio, cmd string, files []string, name string) (*orchestrator.Compiled, int) {
	spec, err := orchestrator.ParseFiles(files...)
	if err != nil {
		fmt.Fprintln(io.Err, err)
		return nil, exitUsage
	}
	names := make([]string, len(spec.Workflows))
	for i, w := range spec.Workflows {
		names[i] = w.Name
	}
	sort.Strings(names)
	where := strings.Join(files, ", ")
	switch {
	case name == "" && len(names) == 0:
		return nil, usageErr(io, cmd, "%s defines no workflow", where)
	case name == "" && len(names) > 1:
		return nil, usageErr(io, cmd, "%s defines %d workflows (%s): choose one with --workflow NAME", where, len(names), strings.Join(names, ", "))
	case name == "":
		name = names[0]
	case spec.Workflow(name) == nil:
		return nil, usageErr(io, cmd, "%s defines no workflow %q (its workflows: %s)", where, name, strings.Join(names, ", "))
	}
	wf, err := orchestrator.Compile(spec, name)
	if err != nil {
		fmt.Fprintln(io.Err, err)
		return nil, exitUsage
	}
	return wf, exitOK
}
