package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aloft-run/aloft/console"
	"github.com/aloft-run/aloft/registry"
)

const workflowsAbout = `
  list   the registered workflows of every project and domain, with versions
  get    one workflow version: its inputs, outputs and nodes (the latest
         version unless --version V)`

func workflowsCmd(ctx context.Context, args []string, io Stdio) int {
	return subcommand(ctx, args, io, "workflows", workflowsAbout, []sub{
		{[]string{"list", "ls"}, workflowsList},
		{[]string{"get", "show"}, workflowsGet},
	})
}

func workflowsList(ctx context.Context, args []string, io Stdio) int {
	var sf storeFlags
	fs := newFlagSet("workflows list", "aloft workflows list [flags]", "Lists registered workflows and their versions.", io)
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print a JSON array")
	if _, code := parseFlags(fs, args); code >= 0 {
		return code
	}
	st, err := sf.openExisting(io.Env)
	if err != nil {
		return storeErr(io, "workflows list", err)
	}
	wfs, err := console.ListWorkflows(ctx, st)
	if err != nil {
		return failErr(io, "workflows list", err)
	}
	if sf.scoped() {
		kept := wfs[:0]
		for _, w := range wfs {
			if w.Project == sf.project && w.Domain == sf.domain {
				kept = append(kept, w)
			}
		}
		wfs = kept
	}
	if *asJSON {
		if wfs == nil {
			wfs = []console.WorkflowSummary{}
		}
		if err := writeJSON(io.Out, wfs); err != nil {
			return failErr(io, "workflows list", err)
		}
		return exitOK
	}
	if len(wfs) == 0 {
		fmt.Fprintln(io.Out, "no workflows registered (aloft register FILE --version V registers them)")
		return exitOK
	}
	t := &table{}
	t.add("WORKFLOW", "PROJECT", "DOMAIN", "VERSIONS")
	for _, w := range wfs {
		t.add(w.Name, w.Project, w.Domain, strings.Join(w.Versions, ", "))
	}
	t.write(io.Out)
	return exitOK
}

// workflowView is the --json form of aloft workflows get.
type workflowView struct {
	Project  string   `json:"project"`
	Domain   string   `json:"domain"`
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Digest   string   `json:"digest"`
	Inputs   []string `json:"inputs"`
	Outputs  []string `json:"outputs"`
	Nodes    []string `json:"nodes"`
	Versions []string `json:"versions"`
}

func workflowsGet(ctx context.Context, args []string, io Stdio) int {
	var sf storeFlags
	fs := newFlagSet("workflows get", "aloft workflows get NAME [--version V] [flags]", "Shows a registered workflow version.", io)
	sf.register(fs)
	version := fs.String("version", "", "the `version` (default: the latest registered)")
	asJSON := fs.Bool("json", false, "print a JSON object")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		return usageErr(io, "workflows get", "want one workflow name (aloft workflows list shows them)")
	}
	st, err := sf.openExisting(io.Env)
	if err != nil {
		return storeErr(io, "workflows get", err)
	}
	wfs, err := console.ListWorkflows(ctx, st)
	if err != nil {
		return failErr(io, "workflows get", err)
	}
	var versions []string
	for _, w := range wfs {
		if w.Project == sf.project && w.Domain == sf.domain && w.Name == pos[0] {
			versions = w.Versions
		}
	}
	if len(versions) == 0 {
		return failErr(io, "workflows get", fmt.Errorf("no workflow %q registered in %s/%s (aloft workflows list shows them)", pos[0], sf.project, sf.domain))
	}
	v := *version
	if v == "" {
		v = versions[len(versions)-1]
	}
	rw, err := registry.GetWorkflow(ctx, st, sf.project, sf.domain, pos[0], v)
	if err != nil {
		return failErr(io, "workflows get", fmt.Errorf("%w (its versions: %s)", err, strings.Join(versions, ", ")))
	}
	wf, err := rw.Decode()
	if err != nil {
		return failErr(io, "workflows get", err)
	}
	view := workflowView{Project: rw.Project, Domain: rw.Domain, Name: rw.Name, Version: rw.Version, Digest: rw.Digest, Versions: versions}
	for _, p := range wf.Inputs {
		view.Inputs = append(view.Inputs, p.Name+": "+p.Type.String())
	}
	for _, o := range wf.Outputs {
		view.Outputs = append(view.Outputs, o.Name+": "+o.Type.String())
	}
	for _, n := range wf.Nodes {
		deps := make([]string, len(n.Deps))
		for i, d := range n.Deps {
			deps[i] = wf.Nodes[d].Name
		}
		line := n.Name
		if len(deps) > 0 {
			line += " <- " + strings.Join(deps, ", ")
		}
		view.Nodes = append(view.Nodes, line)
	}
	if *asJSON {
		if err := writeJSON(io.Out, view); err != nil {
			return failErr(io, "workflows get", err)
		}
		return exitOK
	}
	t := &table{}
	t.add("workflow", fmt.Sprintf("%s version %s (%s/%s)", view.Name, view.Version, view.Project, view.Domain))
	t.add("digest", shortDigest(view.Digest))
	t.add("versions", strings.Join(versions, ", "))
	t.add("inputs", strings.Join(view.Inputs, ", "))
	t.add("outputs", strings.Join(view.Outputs, ", "))
	t.write(io.Out)
	fmt.Fprintln(io.Out, "\nNodes (<- upstream):")
	for _, n := range view.Nodes {
		fmt.Fprintln(io.Out, "  "+n)
	}
	return exitOK
}
