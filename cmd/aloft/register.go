package main

import (
	"context"
	"fmt"

	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
)

const registerAbout = `
Registers the workflows and launch plans of spec files in the bucket under
one version (each launch plan bound to its workflow's version), so that the
control plane can run them: aloft launch, S3 triggers and schedules.
Registered versions are immutable: registering the same content again
changes nothing and reports "unchanged"; different content under a used
version is refused (register it under a new --version).

Images: for an s3:// bucket (or with --pin) every image of a task bound for
the cloud (target other than local) is pinned to the digest of the manifest
for its platform (linux/amd64 by default and for GPU tasks), so a run uses
exactly the bytes that were registered; a missing image or platform is an
error. A task with build: {base, code} gets an image made without Docker:
the base plus the aloft-runner binary and the code directory as layers,
pushed to --repo (default: the stack's repository from aloft config
from-stack); with a repository, image: tasks get the runner layer too.
A second registration of unchanged code pushes nothing. --no-pin keeps
images as given.

--activate also makes the launch plans active (their schedules and
triggers start firing), except those whose spec says active: false.
Spec errors are printed as file:line:col: error: message, exit code 2.`

func registerCmd(ctx context.Context, args []string, io Stdio) int {
	var sf storeFlags
	fs := newFlagSet("register", "aloft register FILE... --version V [--activate] [flags]", registerAbout, io)
	version := fs.String("version", "", "the `version` to register under (required)")
	activate := fs.Bool("activate", false, "make the launch plans active")
	var imf imageFlags
	imf.register(fs)
	sf.register(fs)
	files, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	switch {
	case len(files) == 0:
		return usageErr(io, "register", "no spec file (usage: aloft register FILE... --version V)")
	case *version == "":
		return usageErr(io, "register", "say which version to register with --version V (versions are immutable)")
	}
	for what, v := range map[string]string{"--version": *version, "--project": sf.project, "--domain": sf.domain} {
		if err := registry.CheckName(what, v); err != nil {
			return usageErr(io, "register", "%v", err)
		}
	}
	spec, code := loadSpec(io, files)
	if code != exitOK {
		return code
	}
	st, err := sf.openBucket(ctx, io.Env)
	if err != nil {
		return storeErr(io, "register", err)
	}
	loc, _ := sf.location(io.Env)
	var imageRows []imageRow
	var sizeRows []sizeRow
	prepare, err := imf.prepare(ctx, io.Env, loc, &imageRows, &sizeRows)
	if err != nil {
		return usageErr(io, "register", "%v", err)
	}
	rows, regErr := registry.Register(ctx, st, spec, registry.RegisterOptions{
		Project: sf.project, Domain: sf.domain, Version: *version, Activate: *activate, Now: io.Env.now(),
		Prepare: prepare,
	})
	if regErr == nil {
		if err := makeDropFolders(st, spec); err != nil {
			return failErr(io, "register", err)
		}
	}
	defer writeImages(io, imageRows)
	defer writeSizes(io, sizeRows)
	t := &table{}
	t.add("KIND", "NAME", "VERSION", "STATUS", "ACTIVE", "DETAIL")
	plans := 0
	for _, r := range rows {
		status, active := "registered", "-"
		if !r.Created {
			status = "unchanged"
		}
		if r.Kind == "launch plan" {
			plans++
			active = activeText(ctx, st, sf.project, sf.domain, r)
		}
		t.add(r.Kind, r.Name, r.Version, status, active, r.Detail)
	}
	if len(rows) > 0 {
		t.write(io.Out)
	}
	if regErr != nil {
		return failErr(io, "register", regErr)
	}
	fmt.Fprintf(io.Err, "registered in %s (%s/%s)\n", st.URI(""), sf.project, sf.domain)
	if plans > 0 && !*activate {
		fmt.Fprintf(io.Err, "activate a launch plan with: aloft launchplans activate NAME --version %s\n", *version)
	}
	return exitOK
}

// activeText is the ACTIVE cell of a launch plan row: "yes" when this
// version is the active one, else "no", naming the active version if any.
func activeText(ctx context.Context, st store.Store, project, domain string, r registry.Registered) string {
	if r.Active {
		return "yes"
	}
	a, err := registry.GetActive(ctx, st, project, domain, r.Name)
	switch {
	case err != nil:
		return "no"
	case a.Version == r.Version:
		return "yes"
	}
	return "no (" + a.Version + " is)"
}

// loadSpec parses and validates spec files and compiles every workflow,
// printing the errors compiler style (exit code 2) as aloft validate does.
func loadSpec(io Stdio, files []string) (*orchestrator.Spec, int) {
	spec, err := orchestrator.ParseFiles(files...)
	if err != nil {
		fmt.Fprintln(io.Err, err)
		return nil, exitUsage
	}
	for _, w := range spec.Workflows {
		if _, err := orchestrator.Compile(spec, w.Name); err != nil {
			fmt.Fprintln(io.Err, err)
			return nil, exitUsage
		}
	}
	if len(spec.Workflows) == 0 && len(spec.LaunchPlans) == 0 {
		return nil, usageErr(io, "register", "the files define no workflow and no launch plan")
	}
	return spec, exitOK
}

// makeDropFolders makes the drop folder of every trigger of the spec's
// launch plans in a directory bucket (Decision 27), so that the first
// `cp data.csv .aloft/bucket/incoming/NAME/` needs no mkdir. Other stores
// have no folders to make.
func makeDropFolders(st store.Store, spec *orchestrator.Spec) error {
	fm, ok := st.(interface{ MakeFolder(prefix string) error })
	if !ok {
		return nil
	}
	for _, lp := range spec.LaunchPlans {
		for _, t := range lp.Triggers {
			if err := fm.MakeFolder(t.Prefix); err != nil {
				return fmt.Errorf("drop folder of %s: %w", lp.Name, err)
			}
		}
	}
	return nil
}
