package images

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aloft-run/aloft/orchestrator"
)

// compile parses and compiles a one-file workflow named wf.
func compile(t testing.TB, dir, spec string) *orchestrator.Compiled {
	t.Helper()
	s, err := orchestrator.Parse(filepath.Join(dir, "workflow.yaml"), []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	c, err := orchestrator.Compile(s, "wf")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const planSpec = `
apiVersion: aloft/v1
kind: Workflow
name: wf
defaults:
  image: python:3.11-slim
tasks:
  a: {command: [true]}
  b: {command: [true]}
  train: {command: [true], resources: {gpu: 1}}
  pkg1: {command: [true], build: {base: python:3.11-slim, code: ./tasks}}
  pkg2: {command: [true], build: {base: python:3.11-slim, code: ./tasks}}
  pkg3: {command: [true], build: {base: python:3.11-slim, code: ./tasks}, env: {MODE: fast}}
nodes:
  a: {task: a}
  b: {task: b}
  train: {task: train}
  pkg1: {task: pkg1}
  pkg2: {task: pkg2}
  pkg3: {task: pkg3}
`

func TestPlan(t *testing.T) {
	dir := t.TempDir()
	c := compile(t, dir, planSpec)
	var got []string
	for _, w := range Plan(c, LinuxARM64) {
		got = append(got, w.String()+" <- "+strings.Join(w.Tasks, ","))
	}
	code := filepath.Join(dir, "tasks")
	want := []string{
		"pin python:3.11-slim for linux/amd64 <- train",
		"pin python:3.11-slim for linux/arm64 <- a,b",
		"build " + code + " on python:3.11-slim for linux/arm64 <- pkg1,pkg2",
		"build " + code + " on python:3.11-slim for linux/arm64 <- pkg3",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDoAndApplyPinned(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	digests := reg.pushBase(t, "py:3", LinuxAMD64, LinuxARM64)
	dir := codeDir(t, map[string]string{"tasks/fit.py": "fit"})
	c := compile(t, dir, strings.ReplaceAll(planSpec, "python:3.11-slim", reg.host+"/py:3"))
	bc := BuildConfig{Repo: reg.host + "/tasks", Runner: func(_ context.Context, arch string) ([]byte, error) { return fakeRunner(arch), nil }}
	out, done, err := PinAll(ctx, c, LinuxAMD64, bc)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 3 || done[0].Built != nil || done[1].Built == nil || done[1].Built.Uploaded == 0 {
		t.Errorf("done %+v, want a pin and two builds", done)
	}
	pinned := reg.host + "/py@" + digests[LinuxAMD64].String()
	for _, name := range []string{"a", "b", "train"} {
		if got := out.Tasks[name].Image; got != pinned {
			t.Errorf("task %s image %s, want %s", name, got, pinned)
		}
	}
	for _, name := range []string{"pkg1", "pkg2", "pkg3"} {
		tt := out.Tasks[name]
		if !strings.HasPrefix(tt.Image, reg.host+"/tasks@sha256:") || tt.Build != nil {
			t.Errorf("task %s: image %q build %+v, want a built image and no build", name, tt.Image, tt.Build)
		}
	}
	if out.Tasks["pkg1"].Image != out.Tasks["pkg2"].Image || out.Tasks["pkg1"].Image == out.Tasks["pkg3"].Image {
		t.Errorf("pkg1 %s, pkg2 %s, pkg3 %s: want pkg1 = pkg2 (same build) and pkg3 apart (its env)",
			out.Tasks["pkg1"].Image, out.Tasks["pkg2"].Image, out.Tasks["pkg3"].Image)
	}
	if c.Tasks["a"].Image != reg.host+"/py:3" || c.Tasks["pkg1"].Build == nil {
		t.Error("ApplyPinned changed its input")
	}
}

func TestDoExplains(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	reg.pushBase(t, "arm:1", LinuxARM64)
	c := compile(t, t.TempDir(), strings.ReplaceAll(planSpec, "python:3.11-slim", reg.host+"/arm:1"))
	works := Plan(c, LinuxARM64) // train alone on amd64, a and b on arm64
	_, err := Do(ctx, works[0], BuildConfig{})
	want := "task train: image " + reg.host + "/arm:1 offers linux/arm64, not linux/amd64; GPU tasks need linux/amd64"
	if !errors.Is(err, ErrPlatform) || err.Error() != want {
		t.Errorf("Do(GPU task on an arm64 image) = %v\nwant %s", err, want)
	}
	if _, err := Do(ctx, works[1], BuildConfig{}); err != nil {
		t.Errorf("Do(arm64 image for arm64) = %v", err)
	}
	c2 := compile(t, t.TempDir(), strings.ReplaceAll(strings.ReplaceAll(planSpec, "python:3.11-slim", reg.host+"/arm:1"), "gpu: 1", "gpu: 0"))
	_, err = Do(ctx, Plan(c2, LinuxAMD64)[0], BuildConfig{})
	want = "tasks a, b, train: image " + reg.host + "/arm:1 offers linux/arm64, not linux/amd64; tasks without a GPU run on the default platform, linux/amd64"
	if !errors.Is(err, ErrPlatform) || err.Error() != want {
		t.Errorf("Do(arm64 image, default amd64) = %v\nwant %s", err, want)
	}
	_, err = Do(ctx, works[2], BuildConfig{})
	if err == nil || !strings.Contains(err.Error(), "needs a registry repository") {
		t.Errorf("Do(build without repo) = %v", err)
	}
}

// TestDoAddRunner: with AddRunner an image: task gets its image plus the
// runner layer, pushed to the repository, with the image's own working
// directory.
func TestDoAddRunner(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	digests := reg.pushBase(t, "py:3", LinuxAMD64, LinuxARM64)
	c := compile(t, t.TempDir(), strings.ReplaceAll(planSpec, "python:3.11-slim", reg.host+"/py:3"))
	bc := BuildConfig{Repo: reg.host + "/tasks", AddRunner: true,
		Runner: func(_ context.Context, arch string) ([]byte, error) { return fakeRunner(arch), nil }}
	w := Plan(c, LinuxARM64)[1] // a, b on arm64
	d, err := Do(ctx, w, bc)
	if err != nil {
		t.Fatal(err)
	}
	if d.Built == nil || d.Built.Base != reg.host+"/py@"+digests[LinuxARM64].String() || !strings.HasPrefix(d.Ref, reg.host+"/tasks@") {
		t.Fatalf("Do(AddRunner) = %+v", d)
	}
	img := pulled(t, d.Ref)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{RunnerPath}) || cf.Config.WorkingDir != "" || len(layers) != 3 {
		t.Errorf("runner-only image: Entrypoint %q WorkingDir %q, %d layers; want the runner, the base's working directory, 2+1 layers",
			cf.Config.Entrypoint, cf.Config.WorkingDir, len(layers))
	}
}
