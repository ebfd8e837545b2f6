package main

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	aloftreg "github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store/dirstore"
)

// TestRegisterBuildsAndPinsImages registers a spec whose task has build:
// against an in-memory registry: the registered workflow names the built
// image by digest, a second registration pushes nothing, and a missing
// base tag is a clear error.
func TestRegisterBuildsAndPinsImages(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	base, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := base.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	base, _ = mutate.ConfigFile(base, cf)
	ref, _ := name.ParseReference(host + "/python:3.11")
	if err := remote.Write(ref, base); err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t)
	if err := os.MkdirAll(filepath.Join(s.dir, "code"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.write(t, "code/task.sh", "echo hi > \"$1\"\n")
	spec := s.write(t, "wf.yaml", `apiVersion: aloft/v1
kind: Workflow
name: built
outputs: {x: "{{t.x}}"}
tasks:
  t:
    outputs: {x: string}
    build: {base: `+host+`/python:3.11, code: code}
    target: aws-batch
    resources: {cpu: 300m, memory: 100Mi}
    command: [sh, task.sh, "{{outputs.x}}"]
nodes:
  t: {task: t}
`)
	r := s.run(t, "register", spec, "--version", "v1", "--pin", "--repo", host+"/tasks").check(t, exitOK)
	if !strings.Contains(r.out, "build ") || !strings.Contains(r.out, host+"/tasks@sha256:") {
		t.Fatalf("register output:\n%s", r.out)
	}
	// The requests as AWS Batch will size them (Decision 14).
	if !strings.Contains(r.out, "0.5 vCPU, 1024 MiB (FARGATE)") || !strings.Contains(r.out, "ROUNDED") {
		t.Errorf("no resources table with the Fargate rounding:\n%s", r.out)
	}
	st, _ := dirstore.Open(s.store)
	w, err := aloftreg.GetWorkflow(context.Background(), st, "default", "development", "built", "v1")
	if err != nil {
		t.Fatal(err)
	}
	wf, _ := w.Decode()
	task := wf.Tasks["t"]
	if !strings.HasPrefix(task.Image, host+"/tasks@sha256:") || task.Build != nil {
		t.Fatalf("registered task image %q build %+v: want the built image by digest", task.Image, task.Build)
	}
	// Unchanged code: the same digest, nothing pushed, the version unchanged.
	r = s.run(t, "register", spec, "--version", "v1", "--pin", "--repo", host+"/tasks").check(t, exitOK)
	if !strings.Contains(r.out, "unchanged") || !strings.Contains(r.out, "nothing new") {
		t.Fatalf("second register:\n%s", r.out)
	}
	// A base tag that is not there.
	bad := s.write(t, "bad.yaml", strings.Replace(string(mustRead(t, spec)), "python:3.11", "python:9.9", 1))
	r = s.run(t, "register", bad, "--version", "v2", "--pin", "--repo", host+"/tasks").check(t, exitFailed)
	if !strings.Contains(r.err, "not found") || !strings.Contains(r.err, "python") {
		t.Fatalf("missing tag: %s", r.err)
	}
	// Kept as given.
	r = s.run(t, "register", bad, "--version", "v3", "--no-pin").check(t, exitOK)
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
