package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// wcSpec is a one-node workflow with a file input, and a launch plan that
// fixes one input and defaults another.
const wcSpec = `apiVersion: aloft/v1
kind: Workflow
name: wc
inputs:
  text: file
  times: {type: int, default: 1}
  label: {type: string, default: x}
outputs:
  words: "{{count.words}}"
tasks:
  words:
    inputs: {text: file, times: int, label: string}
    outputs: {words: int}
    command: [sh, -c, 'echo $(( $(wc -w < "$1") * $2 )) > "$4"', words, "{{inputs.text}}", "{{inputs.times}}", "{{inputs.label}}", "{{outputs.words}}"]
nodes:
  count:
    task: words
    inputs: {text: "{{inputs.text}}", times: "{{inputs.times}}", label: "{{inputs.label}}"}
---
apiVersion: aloft/v1
kind: LaunchPlan
name: wc_daily
workflow: wc
fixed_inputs: {label: daily}
default_inputs: {times: 2}
`

// launchSandbox is a sandbox with wcSpec registered as v1 and activated.
func launchSandbox(t *testing.T) (*sandbox, *dirstore.Store) {
	t.Helper()
	s := newSandbox(t)
	s.env.Now = fixedClock()
	s.env.NewID = ids()
	s.run(t, "register", s.write(t, "wc.yaml", wcSpec), "--version", "v1", "--activate").check(t, exitOK)
	st, err := dirstore.Open(s.store)
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func TestLaunchWritesRequest(t *testing.T) {
	t.Parallel()
	s, st := launchSandbox(t)
	ctx := context.Background()
	s.write(t, "words.txt", "one two three\n")

	r := s.run(t, "launch", "wc_daily", "--input", "text=words.txt", "--input", "times=3").check(t, exitOK)
	if r.out != "rtest1\n" || !strings.Contains(r.err, "launched execution rtest1: launch plan wc_daily version v1 (workflow wc)") ||
		!strings.Contains(r.err, "aloft executions get rtest1") {
		t.Errorf("launch: stdout %q stderr %q", r.out, r.err)
	}
	req, err := registry.GetLaunchRequest(ctx, st, "rtest1")
	if err != nil {
		t.Fatal(err)
	}
	if req.LaunchPlan != "wc_daily" || req.Version != "v1" || req.Project != "default" || req.Domain != "development" ||
		req.Cause != "cli" || !req.RequestedAt.Equal(fixedClock()()) || len(req.Inputs) != 2 {
		t.Errorf("launch request: %+v", req)
	}
	if got := req.Inputs["times"]; !got.Equal(orchestrator.Int(3)) {
		t.Errorf("times = %+v, want int 3", got)
	}
	// The local file went to the bucket, where the cloud can read it.
	text := req.Inputs["text"]
	sum := sha256.Sum256([]byte("one two three\n"))
	key := "data/rtest1/inputs/text/words.txt"
	if text.Kind != orchestrator.KindFile || text.Blob.URI != st.URI(key) || text.Blob.Digest != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("text = %+v, want the uploaded %s", text.Blob, st.URI(key))
	}
	if b, _, err := store.ReadAll(ctx, st, key); err != nil || string(b) != "one two three\n" {
		t.Errorf("uploaded input: %q, %v", b, err)
	}
	// What the advance function makes of it: the plan's fixed input, its
	// default overridden.
	wf, in, lp, err := registry.Resolve(ctx, st, req)
	if err != nil || wf.Name != "wc" || lp.Name != "wc_daily" || !in["label"].Equal(orchestrator.String("daily")) || !in["times"].Equal(orchestrator.Int(3)) {
		t.Errorf("resolve: %v %v", in, err)
	}

	// A bare workflow version, with a URL input passed as it is.
	r = s.run(t, "launch", "--workflow", "wc", "--workflow-version", "v1", "--input", "text=https://example.com/t.txt").check(t, exitOK)
	if r.out != "rtest2\n" {
		t.Errorf("launch --workflow: %q", r.out)
	}
	req, err = registry.GetLaunchRequest(ctx, st, "rtest2")
	if err != nil || req.LaunchPlan != "" || req.Workflow != "wc" || req.WorkflowVersion != "v1" || req.Inputs["text"].Blob.URI != "https://example.com/t.txt" {
		t.Errorf("launch --workflow request: %+v %v", req, err)
	}
}

func TestLaunchRejects(t *testing.T) {
	t.Parallel()
	s, st := launchSandbox(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"wc_daily", "--input", "text=https://x/y", "--input", "label=z"}, exitUsage, `input "label" is fixed by launch plan wc_daily`},
		{[]string{"wc_daily"}, exitUsage, "missing required input \"text\""},
		{[]string{"wc_daily"}, exitUsage, "label  string  fixed daily"},
		{[]string{"wc_daily", "--input", "text=https://x/y", "--input", "times=many"}, exitUsage, `input "times" expects int`},
		{[]string{"wc_daily", "--input", "nosuch=1"}, exitUsage, `no input "nosuch"`},
		{[]string{"wc_daily", "--input", "text=missing.txt"}, exitUsage, "missing.txt"},
		{[]string{"nosuch"}, exitFailed, "aloft launchplans activate nosuch"},
		{[]string{"wc_daily", "--version", "v9"}, exitFailed, "not registered"},
		{[]string{"--workflow", "wc"}, exitUsage, "--workflow-version"},
		{[]string{"wc_daily", "--workflow-version", "v1"}, exitUsage, "goes with --workflow"},
		{nil, exitUsage, "want one launch plan name"},
	} {
		r := s.run(t, append([]string{"launch"}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.err, tc.want) {
			t.Errorf("launch %q: exit %d, stderr %q; want exit %d and %q", tc.args, r.code, r.err, tc.code, tc.want)
		}
	}
	if objs, err := st.List(context.Background(), registry.LaunchPrefix); err != nil || len(objs) != 0 {
		t.Errorf("a rejected launch wrote requests: %v %v", objs, err)
	}
}

// fakeAdvance plays the advance function for launch --wait: each poll
// (a call of Env.Sleep) moves the execution one step further: not started,
// started with its node running, then ended in phase end.
type fakeAdvance struct {
	t     *testing.T
	st    store.Store
	id    string
	end   orchestrator.ExecPhase
	polls int
}

func (f *fakeAdvance) sleep(ctx context.Context, d time.Duration) error {
	if d != time.Second {
		f.t.Errorf("poll interval %v, want 1s", d)
	}
	f.polls++
	if f.polls == 1 {
		return nil // the request is not consumed yet
	}
	req, err := registry.GetLaunchRequest(ctx, f.st, f.id)
	if err != nil {
		return err
	}
	wf, in, lp, err := registry.Resolve(ctx, f.st, req)
	if err != nil {
		return err
	}
	digest, _ := wf.Digest()
	ref := engine.Ref{Project: req.Project, Domain: req.Domain, Exec: req.ID}
	t0 := fixedClock()()
	s := orchestrator.NewState(wf, digest, orchestrator.Options{Exec: req.ID, Project: req.Project, Domain: req.Domain, LaunchPlan: lp.Name}, t0)
	s.Inputs, s.Phase, s.Started, s.Seq = in, orchestrator.ExecRunning, t0.UnixMilli(), 1
	s.Nodes[0] = orchestrator.NodeState{Phase: orchestrator.Running, Attempt: 1, Start: t0.UnixMilli()}
	if f.polls >= 3 {
		end := t0.Add(90 * time.Second).UnixMilli()
		s.Phase, s.Ended, s.Done, s.Seq = f.end, end, 1, 2
		s.Nodes[0].End = end
		if f.end == orchestrator.ExecSucceeded {
			s.Nodes[0].Phase = orchestrator.Succeeded
			s.Nodes[0].Outputs = map[string]orchestrator.Literal{"words": orchestrator.Int(6)}
			s.Outputs = map[string]orchestrator.Literal{"words": orchestrator.Int(6)}
		} else {
			s.Nodes[0].Phase, s.Nodes[0].Err = orchestrator.Failed, "user: exit code 1"
			s.Error = "node count failed"
		}
	}
	wb, _ := wf.Encode()
	sb, _ := s.Encode()
	if _, err := store.PutBytes(ctx, f.st, ref.WorkflowKey(), wb, store.PutOptions{}); err != nil {
		return err
	}
	_, err = store.PutBytes(ctx, f.st, ref.StateKey(), sb, store.PutOptions{})
	return err
}

func TestLaunchWait(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		end  orchestrator.ExecPhase
		code int
		want []string
	}{
		{orchestrator.ExecSucceeded, exitOK, []string{"phase", "succeeded"}},
		{orchestrator.ExecFailed, exitFailed, []string{"phase", "failed"}},
	} {
		s, st := launchSandbox(t)
		fake := &fakeAdvance{t: t, st: st, id: "rtest1", end: tc.end}
		s.env.Sleep = fake.sleep
		r := s.run(t, "launch", "wc_daily", "--input", "text=https://example.com/t.txt", "--wait").check(t, tc.code)
		for _, want := range []string{
			"execution rtest1: waiting for the control plane to start it",
			"execution rtest1 running: 0/1 nodes done",
			"count  running (attempt 1)",
			"execution rtest1 " + tc.end.String() + ": 1/1 nodes done",
		} {
			if !strings.Contains(r.err, want) {
				t.Errorf("--wait (%s) progress lacks %q:\n%s", tc.end, want, r.err)
			}
		}
		if !hasRow(r.out, tc.want...) || !hasRow(r.out, "launch", "plan", "wc_daily") || !hasRow(r.out, "NODE", "PHASE") {
			t.Errorf("--wait (%s) report:\n%s", tc.end, r.out)
		}
		if tc.end == orchestrator.ExecSucceeded && !hasRow(r.out, "words", "int", "6") {
			t.Errorf("--wait report lacks the outputs:\n%s", r.out)
		}
		if fake.polls != 3 {
			t.Errorf("polled %d times, want 3", fake.polls)
		}
	}

	// Never started (the control plane is not there): say so after a
	// minute; interrupted: stop waiting, say the run goes on.
	s, _ := launchSandbox(t)
	polls := 0
	s.env.Sleep = func(ctx context.Context, d time.Duration) error {
		if polls++; polls > 60 {
			return context.Canceled
		}
		return nil
	}
	r := s.run(t, "launch", "wc_daily", "--input", "text=https://example.com/t.txt", "--wait").check(t, exitAborted)
	if !strings.Contains(r.err, "stopped waiting; execution rtest1 goes on") || strings.Count(r.err, "has not started after 1m0s") != 1 {
		t.Errorf("interrupted --wait: %q", r.err)
	}
}

func TestExecutionsTerminate(t *testing.T) {
	t.Parallel()
	s, st := launchSandbox(t)
	ctx := context.Background()
	s.run(t, "launch", "wc_daily", "--input", "text=https://example.com/t.txt").check(t, exitOK)

	// Launched, not yet started: the cancel request waits for it.
	r := s.run(t, "executions", "terminate", "rtest1").check(t, exitOK)
	if !strings.Contains(r.out, "cancel requested for execution rtest1 (launched, not started yet)") {
		t.Errorf("terminate before start: %q", r.out)
	}
	if err := st.Delete(ctx, registry.CancelRequestKey("rtest1")); err != nil {
		t.Fatal(err)
	}

	// Running: a cancel request with the reason.
	fake := &fakeAdvance{t: t, st: st, id: "rtest1", end: orchestrator.ExecSucceeded, polls: 1}
	if err := fake.sleep(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	r = s.run(t, "executions", "terminate", "rtest1", "--reason", "wrong data").check(t, exitOK)
	if !strings.Contains(r.out, "cancel requested for execution rtest1 (running)") {
		t.Errorf("terminate: %q", r.out)
	}
	c, err := registry.GetCancelRequest(ctx, st, "rtest1")
	if err != nil || c.Exec != "rtest1" || c.Project != "default" || c.Domain != "development" || c.Reason != "wrong data" || !c.RequestedAt.Equal(fixedClock()()) {
		t.Errorf("cancel request: %+v %v", c, err)
	}
	if err := st.Delete(ctx, registry.CancelRequestKey("rtest1")); err != nil {
		t.Fatal(err)
	}

	// Ended: nothing to do.
	if err := fake.sleep(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	r = s.run(t, "executions", "terminate", "rtest1").check(t, exitOK)
	if r.out != "execution rtest1 already succeeded; nothing to terminate\n" {
		t.Errorf("terminate an ended execution: %q", r.out)
	}
	if _, err := registry.GetCancelRequest(ctx, st, "rtest1"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("terminate of an ended execution wrote a request: %v", err)
	}
	r = s.run(t, "executions", "terminate", "nosuch").check(t, exitFailed)
	if !strings.Contains(r.err, "no such execution") {
		t.Errorf("terminate unknown: %q", r.err)
	}
	s.run(t, "executions", "terminate").check(t, exitUsage)
}

func TestUploadInputs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := dirstore.Open(filepath.Join(dir, "bucket"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"d/a.txt": "a\n", "d/sub/b.txt": "b\n", "one.csv": "1,2\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	inBucket, err := store.PutBytes(ctx, st, "incoming/x.csv", []byte("x"), store.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]orchestrator.Literal{
		"dir":    orchestrator.Directory(orchestrator.Blob{URI: "d"}),
		"files":  orchestrator.List(orchestrator.File(orchestrator.Blob{URI: "file://" + filepath.Join(dir, "one.csv")})),
		"bucket": orchestrator.File(orchestrator.Blob{URI: st.URI(inBucket.Key)}),
		"url":    orchestrator.File(orchestrator.Blob{URI: "s3://elsewhere/k"}),
		"n":      orchestrator.Int(1),
	}
	out, err := engine.UploadLocalInputs(ctx, st, "r1abc", in, dir)
	if err != nil {
		t.Fatal(err)
	}
	digest := func(s string) string { sum := sha256.Sum256([]byte(s)); return "sha256:" + hex.EncodeToString(sum[:]) }
	d := out["dir"]
	wantDir := batchrunner.DirectoryDigest(map[string]string{"a.txt": digest("a\n"), "sub/b.txt": digest("b\n")})
	if d.Kind != orchestrator.KindDirectory || d.Blob.URI != st.URI("data/r1abc/inputs/dir/d") || d.Blob.Digest != wantDir || d.Blob.Size != 4 {
		t.Errorf("dir = %+v", d.Blob)
	}
	if b, _, err := store.ReadAll(ctx, st, "data/r1abc/inputs/dir/d/sub/b.txt"); err != nil || string(b) != "b\n" {
		t.Errorf("uploaded dir file: %q %v", b, err)
	}
	if f := out["files"].List[0]; f.Blob.URI != st.URI("data/r1abc/inputs/files/0/one.csv") || f.Blob.Digest != digest("1,2\n") {
		t.Errorf("list item = %+v", f.Blob)
	}
	for _, name := range []string{"bucket", "url", "n"} {
		if !out[name].Equal(in[name]) || (out[name].Blob != nil && out[name].Blob.Digest != "") {
			t.Errorf("%s changed: %+v", name, out[name])
		}
	}
	_, err = engine.UploadLocalInputs(ctx, st, "r1abc", map[string]orchestrator.Literal{"f": orchestrator.File(orchestrator.Blob{URI: "d"})}, dir)
	if !errors.Is(err, engine.ErrLocalInput) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory for a file input: %v", err)
	}
}
