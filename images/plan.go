package images

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aloft-run/aloft/orchestrator"
)

// Work is one image to pin or build for a platform, shared by every task
// that needs the same one. Plan lists it; Do carries it out.
type Work struct {
	Image    string            // pin this reference ("" for a build)
	Build    *BuildSource      // or build this image
	Env      map[string]string // builds: the environment set in the image
	Platform Platform
	GPU      bool     // a task asks for a GPU (which is why Platform is linux/amd64)
	Tasks    []string // the tasks that use the image, sorted
}

// BuildSource is what a build starts from.
type BuildSource struct {
	Base    string // base image reference
	CodeDir string // code directory: the task's Build.Code joined to its Dir
}

// String describes the work in a line, for a table.
func (w Work) String() string {
	if w.Build != nil {
		return fmt.Sprintf("build %s on %s for %s", w.Build.CodeDir, w.Build.Base, w.Platform)
	}
	return fmt.Sprintf("pin %s for %s", w.Image, w.Platform)
}

// PlatformFor is the platform a task's image must offer: linux/amd64 when
// it asks for a GPU (Decision 14), def otherwise.
func PlatformFor(t *orchestrator.TaskTemplate, def Platform) Platform {
	if t.Resources.GPU > 0 {
		return LinuxAMD64
	}
	return def
}

// Plan lists the images a compiled workflow's tasks need: one Work per
// distinct image reference and platform, or per distinct build (base, code
// directory, environment) and platform, in a stable order. Tasks with
// neither an image nor a build are left out.
func Plan(c *orchestrator.Compiled, def Platform) []Work {
	byKey := map[string]*Work{}
	for _, name := range slices.Sorted(maps.Keys(c.Tasks)) {
		t := c.Tasks[name]
		w := Work{Platform: PlatformFor(t, def)}
		switch {
		case t.Build != nil:
			code := t.Build.Code
			if !filepath.IsAbs(code) {
				code = filepath.Join(t.Dir, code)
			}
			w.Build, w.Env = &BuildSource{Base: t.Build.Base, CodeDir: code}, t.Env
		case t.Image != "":
			w.Image = t.Image
		default:
			continue
		}
		k := w.key()
		if byKey[k] == nil {
			byKey[k] = &w
		}
		byKey[k].Tasks = append(byKey[k].Tasks, name)
		byKey[k].GPU = byKey[k].GPU || t.Resources.GPU > 0
	}
	out := make([]Work, 0, len(byKey))
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		out = append(out, *byKey[k])
	}
	return out
}

// key identifies work that gives the same image; pins sort before builds.
func (w Work) key() string {
	if w.Build == nil {
		return "1\x00" + w.Image + "\x00" + string(w.Platform)
	}
	var env strings.Builder
	for _, k := range slices.Sorted(maps.Keys(w.Env)) {
		env.WriteString(k + "=" + w.Env[k] + "\x00")
	}
	return "2\x00" + w.Build.Base + "\x00" + w.Build.CodeDir + "\x00" + string(w.Platform) + "\x00" + env.String()
}

// BuildConfig is what builds need beyond the Work.
type BuildConfig struct {
	// Repo is the repository built images are pushed to (the stack's ECR
	// repository, or any registry).
	Repo string
	// Runner returns the aloft-runner binary for linux/arch, e.g.
	// func(ctx, arch) { return runnerbin.Get(ctx, arch, runnerFlag) }.
	Runner func(ctx context.Context, arch string) ([]byte, error)
	// AddRunner also gives image: tasks an image of their own: their
	// image, pinned, plus the runner layer, pushed to Repo (see Build with
	// no CodeDir). A cloud job runs /aloft/bin/aloft-runner, so tasks bound
	// for AWS or GCP Batch need it; without it image: tasks are only pinned.
	AddRunner bool
}

// Done is work carried out.
type Done struct {
	Work  Work
	Ref   string  // repository@sha256:... for the tasks' image
	Built *Result // builds only: the digest, tag and what was uploaded
}

// Do pins or builds w's image. Errors name the tasks and, for a missing
// platform, why the platform is needed; they wrap the sentinels of Pin and
// Build.
func Do(ctx context.Context, w Work, bc BuildConfig, opts ...Option) (Done, error) {
	if w.Build == nil && !bc.AddRunner {
		ref, err := Pin(ctx, w.Image, w.Platform, opts...)
		if err != nil {
			return Done{}, w.explain(err)
		}
		return Done{Work: w, Ref: ref}, nil
	}
	if bc.Repo == "" {
		return Done{}, w.explain(errors.New("its image is built (build:, or the runner added), so it needs a registry repository to push to"))
	}
	if bc.Runner == nil {
		return Done{}, w.explain(errors.New("build: no runner source given"))
	}
	runner, err := bc.Runner(ctx, w.Platform.Arch())
	if err != nil {
		return Done{}, w.explain(err)
	}
	spec := BuildSpec{Base: w.Image, Runner: runner, Platform: w.Platform, Repo: bc.Repo}
	if w.Build != nil {
		spec.Base, spec.CodeDir, spec.Env = w.Build.Base, w.Build.CodeDir, w.Env
	}
	res, err := Build(ctx, spec, opts...)
	if err != nil {
		return Done{}, w.explain(err)
	}
	return Done{Work: w, Ref: res.Ref, Built: &res}, nil
}

// explain prefixes err with the tasks and says why the platform was asked.
func (w Work) explain(err error) error {
	who := w.String()
	switch len(w.Tasks) {
	case 0:
	case 1:
		who = "task " + w.Tasks[0]
	default:
		who = "tasks " + strings.Join(w.Tasks, ", ")
	}
	if errors.Is(err, ErrPlatform) {
		why := fmt.Sprintf("tasks without a GPU run on the default platform, %s", w.Platform)
		if w.GPU {
			why = "GPU tasks need " + string(LinuxAMD64)
		}
		return fmt.Errorf("%s: %w; %s", who, err, why)
	}
	return fmt.Errorf("%s: %w", who, err)
}

// ApplyPinned returns a copy of c in which each task named by a Done has
// that Done's Ref as its Image (a built task's Build is cleared, keeping
// Image and Build exclusive). Other tasks are unchanged; c is not modified.
func ApplyPinned(c *orchestrator.Compiled, done []Done) *orchestrator.Compiled {
	refs := map[string]string{}
	for _, d := range done {
		for _, t := range d.Work.Tasks {
			refs[t] = d.Ref
		}
	}
	out := *c
	out.Tasks = make(map[string]*orchestrator.TaskTemplate, len(c.Tasks))
	for name, t := range c.Tasks {
		if ref, ok := refs[name]; ok && ref != "" {
			t2 := *t
			t2.Image, t2.Build = ref, nil
			t = &t2
		}
		out.Tasks[name] = t
	}
	return &out
}

// PinAll plans c's images, carries out each Work in order and returns c
// with its tasks' images pinned (ApplyPinned), with what was done for a
// table. It stops at the first error, returning what was done before it.
// It fits registry.RegisterOptions.Prepare:
//
//	out, done, err := images.PinAll(ctx, wf, platform, bc, opts...)
//	if err == nil { *wf = *out }
func PinAll(ctx context.Context, c *orchestrator.Compiled, def Platform, bc BuildConfig, opts ...Option) (*orchestrator.Compiled, []Done, error) {
	var done []Done
	for _, w := range Plan(c, def) {
		d, err := Do(ctx, w, bc, opts...)
		if err != nil {
			return nil, done, err
		}
		done = append(done, d)
	}
	return ApplyPinned(c, done), done, nil
}
