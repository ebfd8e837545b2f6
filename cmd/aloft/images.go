package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/aloft-run/aloft/batchrunner/awsbatch"
	"github.com/aloft-run/aloft/images"
	"github.com/aloft-run/aloft/images/ecrauth"
	"github.com/aloft-run/aloft/internal/runnerbin"
	"github.com/aloft-run/aloft/orchestrator"
)

// imageFlags are register's settings for task images.
type imageFlags struct {
	pin, noPin    bool
	repo          string
	platform      string
	runner        string
	batchPlatform string
}

func (f *imageFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.pin, "pin", false, "pin (and build) images even for a directory bucket")
	fs.BoolVar(&f.noPin, "no-pin", false, "store images as given in the spec")
	fs.StringVar(&f.repo, "repo", "", "the registry `repository` built task images are pushed to (default: the config file's registry)")
	fs.StringVar(&f.platform, "platform", string(images.LinuxAMD64), "the `platform` of tasks that do not ask for a GPU (GPU tasks are linux/amd64)")
	fs.StringVar(&f.runner, "runner", "", "the Linux aloft-runner `binary` to add to images (default: the one built into aloft)")
	fs.StringVar(&f.batchPlatform, "batch-platform", awsbatch.Fargate, "the AWS Batch `platform` of CPU tasks, to show their sizes (FARGATE or EC2; GPU tasks run on EC2)")
}

// imageRow is one line of register's image table.
type imageRow struct{ tasks, what, ref, pushed string }

// sizeRow is one line of register's resources table.
type sizeRow struct{ task, requested, sized, note string }

// prepare returns register's Prepare hook: unless images are kept as given
// (--no-pin, or a directory bucket without --pin: aloft dev runs tasks as
// processes), every image of a task bound for the cloud is pinned to the
// digest of its platform's manifest, build: tasks are built (code layer and
// runner layer on the base) and pushed, and with a repository image: tasks
// get the runner layer too. rows collects what was done.
func (f *imageFlags) prepare(ctx context.Context, env Env, storeLoc string, rows *[]imageRow, sizes *[]sizeRow) (func(context.Context, *orchestrator.Compiled) error, error) {
	if f.noPin || (!f.pin && !strings.HasPrefix(storeLoc, "s3://") && !strings.HasPrefix(storeLoc, "gs://")) {
		return nil, nil
	}
	plat, err := images.ParsePlatform(f.platform)
	if err != nil {
		return nil, fmt.Errorf("--platform: %w", err)
	}
	repo := f.repo
	if repo == "" {
		if c, found, _ := loadConfig(env); found {
			repo = c.Registry
		}
	}
	var kc authn.Keychain = authn.DefaultKeychain
	if cfg, err := awsConfig(ctx, env); err == nil {
		kc = ecrauth.New(cfg)
	}
	bc := images.BuildConfig{Repo: repo, AddRunner: repo != "",
		Runner: func(ctx context.Context, arch string) ([]byte, error) { return runnerbin.Get(ctx, arch, f.runner) }}
	opts := append([]images.Option{images.WithKeychain(kc)}, env.Images...)
	return func(ctx context.Context, wf *orchestrator.Compiled) error {
		cloud := *wf
		cloud.Tasks = maps.Clone(wf.Tasks)
		for n, t := range cloud.Tasks {
			if t.Target == "local" {
				delete(cloud.Tasks, n) // runs as a process wherever the plan runs
			}
		}
		if err := f.size(&cloud, sizes); err != nil {
			return err
		}
		_, done, err := images.PinAll(ctx, &cloud, plat, bc, opts...)
		for _, d := range done {
			r := imageRow{tasks: strings.Join(d.Work.Tasks, ","), what: d.Work.String(), ref: d.Ref, pushed: "-"}
			if d.Built != nil {
				r.pushed = fmt.Sprintf("%d blobs", d.Built.Uploaded)
				if !d.Built.Pushed {
					r.pushed = "nothing new"
				}
			}
			*rows = append(*rows, r)
		}
		if err != nil {
			return err
		}
		*wf = *images.ApplyPinned(wf, done)
		return nil
	}, nil
}

// size rounds the cloud tasks' requests to what AWS Batch accepts
// (Decision 14) for the table; a request no size can hold is an error here,
// not a failed job later.
func (f *imageFlags) size(wf *orchestrator.Compiled, rows *[]sizeRow) error {
	for _, name := range slices.Sorted(maps.Keys(wf.Tasks)) {
		t := wf.Tasks[name]
		plat := f.batchPlatform
		if t.Resources.GPU > 0 {
			plat = awsbatch.EC2
		}
		sized, note, err := awsbatch.Size(t.Resources, plat)
		if err != nil {
			return fmt.Errorf("task %s: %w", name, err)
		}
		req := fmt.Sprintf("cpu %dm, memory %d MiB", t.Resources.CPUMilli, t.Resources.MemoryBytes>>20)
		if t.Resources.GPU > 0 {
			req += fmt.Sprintf(", %d GPU", t.Resources.GPU)
		}
		*rows = append(*rows, sizeRow{task: name, requested: req, sized: sized.String(), note: note})
	}
	return nil
}

// writeSizes prints the resources table.
func writeSizes(io Stdio, rows []sizeRow) {
	if len(rows) == 0 {
		return
	}
	t := &table{}
	t.add("TASK", "REQUESTS", "AWS BATCH", "ROUNDED")
	for _, r := range rows {
		note := r.note
		if note == "" {
			note = "-"
		}
		t.add(r.task, r.requested, r.sized, note)
	}
	fmt.Fprintln(io.Out)
	t.write(io.Out)
}

// writeImages prints the image table.
func writeImages(io Stdio, rows []imageRow) {
	if len(rows) == 0 {
		return
	}
	t := &table{}
	t.add("TASKS", "IMAGE", "PINNED TO", "PUSHED")
	for _, r := range rows {
		t.add(r.tasks, r.what, r.ref, r.pushed)
	}
	fmt.Fprintln(io.Out)
	t.write(io.Out)
}
