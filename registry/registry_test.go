package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// planSpec is a workflow with two launch plans, one of them inactive.
const planSpec = `apiVersion: aloft/v1
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
    command: [sh, -c, 'echo 1 > "$4"', words, "{{inputs.text}}", "{{inputs.times}}", "{{inputs.label}}", "{{outputs.words}}"]
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
triggers:
  - s3: {prefix: incoming/wc/, suffix: .txt, input: text}
---
apiVersion: aloft/v1
kind: LaunchPlan
name: wc_manual
workflow: wc
active: false
---
apiVersion: aloft/v1
kind: LaunchPlan
name: wc_nightly
workflow: wc
default_inputs: {text: "https://example.com/nightly.txt"}
schedule: {cron: "0 3 * * ? *"}
`

// specAt writes text to dir/name and parses it.
func specAt(t *testing.T, dir, name, text string) *orchestrator.Spec {
	t.Helper()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o666); err != nil {
		t.Fatal(err)
	}
	spec, err := orchestrator.ParseFiles(p)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func newStore(t *testing.T) *dirstore.Store {
	t.Helper()
	st, err := dirstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func opts(version string) RegisterOptions {
	return RegisterOptions{Project: "default", Domain: "development", Version: version, Now: t0}
}

func TestRegisterIsIdempotentAndImmutable(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	spec := specAt(t, t.TempDir(), "wc.yaml", planSpec)

	rows, err := Register(ctx, st, spec, opts("v1"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Registered{
		{Kind: "workflow", Name: "wc", Version: "v1", Created: true, Detail: "1 node, 1 task"},
		{Kind: "launch plan", Name: "wc_daily", Version: "v1", Created: true, Detail: "workflow wc, on incoming/wc/*.txt"},
		{Kind: "launch plan", Name: "wc_manual", Version: "v1", Created: true, Detail: "workflow wc"},
		{Kind: "launch plan", Name: "wc_nightly", Version: "v1", Created: true, Detail: "workflow wc, cron(0 3 * * ? *)"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v", rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
	for _, k := range []string{WorkflowKey("default", "development", "wc", "v1"), LaunchPlanKey("default", "development", "wc_daily", "v1")} {
		if _, err := st.Head(ctx, k); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}

	// Again, even from another directory (another checkout): unchanged.
	again := specAt(t, t.TempDir(), "moved.yaml", planSpec)
	later := opts("v1")
	later.Now = t0.Add(time.Hour)
	rows, err = Register(ctx, st, again, later)
	if err != nil {
		t.Fatalf("registering the same spec from elsewhere: %v", err)
	}
	for _, r := range rows {
		if r.Created {
			t.Errorf("%s %s registered again", r.Kind, r.Name)
		}
	}
	w, err := GetWorkflow(ctx, st, "default", "development", "wc", "v1")
	if err != nil || !w.RegisteredAt.Equal(t0) {
		t.Errorf("the first registration was replaced: %+v %v", w, err)
	}

	// Other content under v1: refused, nothing replaced.
	changed := specAt(t, t.TempDir(), "wc.yaml", strings.Replace(planSpec, "echo 1", "echo 2", 1))
	_, err = Register(ctx, st, changed, opts("v1"))
	if err == nil || !strings.Contains(err.Error(), "workflow wc version v1 is already registered with different content") {
		t.Errorf("conflicting content: %v", err)
	}
	// A launch plan's content counts too.
	planChanged := specAt(t, t.TempDir(), "wc.yaml", strings.Replace(planSpec, "default_inputs: {times: 2}", "default_inputs: {times: 3}", 1))
	_, err = Register(ctx, st, planChanged, opts("v1"))
	if err == nil || !strings.Contains(err.Error(), "launch plan wc_daily version v1 is already registered with different content") {
		t.Errorf("conflicting launch plan: %v", err)
	}
	if _, err := Register(ctx, st, changed, opts("v2")); err != nil {
		t.Errorf("new content under a new version: %v", err)
	}
	wf, err := w.Decode()
	if err != nil || wf.Name != "wc" || len(wf.Nodes) != 1 {
		t.Errorf("decode: %v %v", wf, err)
	}

	for _, bad := range []RegisterOptions{opts(""), opts("a/b"), opts("active"), {Project: "p", Domain: "..", Version: "v"}} {
		if _, err := Register(ctx, st, spec, bad); err == nil {
			t.Errorf("Register with %+v: no error", bad)
		}
	}
}

func TestActivation(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	spec := specAt(t, t.TempDir(), "wc.yaml", planSpec)
	o := opts("v1")
	o.Activate = true
	rows, err := Register(ctx, st, spec, o)
	if err != nil {
		t.Fatal(err)
	}
	if !rows[1].Active || rows[2].Active || !rows[3].Active {
		t.Errorf("activate: wc_daily %v, wc_manual (active: false) %v, wc_nightly %v", rows[1].Active, rows[2].Active, rows[3].Active)
	}
	a, err := GetActive(ctx, st, "default", "development", "wc_daily")
	if err != nil || a.Version != "v1" || !a.ActivatedAt.Equal(t0) {
		t.Errorf("active pointer: %+v %v", a, err)
	}
	if _, err := GetActive(ctx, st, "default", "development", "wc_manual"); !errors.Is(err, ErrNotFound) {
		t.Errorf("wc_manual active: %v", err)
	}
	// The record does not say active: activation is the pointer.
	lp, err := GetLaunchPlan(ctx, st, "default", "development", "wc_daily", "")
	if err != nil || lp.Version != "v1" || lp.WorkflowVersion != "v1" || lp.Active || !lp.Fixed["label"].Equal(orchestrator.String("daily")) {
		t.Errorf("active launch plan: %+v %v", lp, err)
	}

	if err := SetActive(ctx, st, "default", "development", "wc_daily", "v9", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("activate an unregistered version: %v", err)
	}
	other := RegisterOptions{Project: "team", Domain: "prod", Version: "v1", Activate: true, Now: t0}
	if _, err := Register(ctx, st, spec, other); err != nil {
		t.Fatal(err)
	}
	plans, err := ActivePlans(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range plans {
		got = append(got, p.Project+"/"+p.Domain+"/"+p.Name+"@"+p.Version)
	}
	if strings.Join(got, " ") != "default/development/wc_daily@v1 default/development/wc_nightly@v1 team/prod/wc_daily@v1 team/prod/wc_nightly@v1" {
		t.Errorf("active plans: %q", got)
	}
	if err := Deactivate(ctx, st, "team", "prod", "wc_daily"); err != nil {
		t.Fatal(err)
	}
	if err := Deactivate(ctx, st, "team", "prod", "wc_daily"); err != nil {
		t.Errorf("deactivate twice: %v", err)
	}
	if plans, err := ActivePlans(ctx, st); err != nil || len(plans) != 3 {
		t.Errorf("after deactivate: %d plans, %v", len(plans), err)
	}
	if _, err := GetLaunchPlan(ctx, st, "team", "prod", "wc_daily", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("deactivated plan: %v", err)
	}
}

// The key cases that were here (active pointers, request ids) are
// layout's tests now.
func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{"v1": true, "1.2.3-rc_1": true, "a": true, "": false, "-v": false, "a/b": false, "a..b": false, "active": false, strings.Repeat("x", 129): false} {
		if err := CheckName("version", name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
}

func TestDerivedIDs(t *testing.T) {
	a := TriggerID("p", "d", "lp", "incoming/x.csv", "etag1")
	if a != TriggerID("p", "d", "lp", "incoming/x.csv", "etag1") {
		t.Error("TriggerID is not deterministic")
	}
	for _, other := range []string{
		TriggerID("p", "d", "lp", "incoming/x.csv", "etag2"),
		TriggerID("p", "d", "lp2", "incoming/x.csv", "etag1"),
		TriggerID("p", "d", "l", "pincoming/x.csv", "etag1"), // parts are length-prefixed
	} {
		if other == a {
			t.Errorf("TriggerID collision: %s", a)
		}
	}
	s1 := ScheduleID("p", "d", "lp", t0)
	if s1 != ScheduleID("p", "d", "lp", t0.In(time.FixedZone("x", 3600))) || s1 == ScheduleID("p", "d", "lp", t0.Add(time.Hour)) {
		t.Error("ScheduleID does not follow the instant")
	}
	for _, id := range []string{a, s1} {
		if err := validID(id); err != nil {
			t.Errorf("derived id %q: %v", id, err)
		}
	}
	if a[0] != 't' || s1[0] != 's' {
		t.Errorf("tags: %s %s", a, s1)
	}
}

func TestRequestsAndResolve(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	spec := specAt(t, t.TempDir(), "wc.yaml", planSpec)
	o := opts("v1")
	o.Activate = true
	if _, err := Register(ctx, st, spec, o); err != nil {
		t.Fatal(err)
	}
	text := orchestrator.File(orchestrator.Blob{URI: "https://example.com/t.txt"})
	r := &LaunchRequest{ID: "r1abc", Project: "default", Domain: "development", LaunchPlan: "wc_daily",
		Inputs: map[string]orchestrator.Literal{"text": text}, RequestedAt: t0, Cause: "cli"}
	if created, err := PutLaunchRequest(ctx, st, r); !created || err != nil {
		t.Fatalf("put: %v %v", created, err)
	}
	if created, err := PutLaunchRequest(ctx, st, r); created || err != nil {
		t.Errorf("put again: created %v, %v", created, err)
	}
	bad := *r
	bad.ID = "R-1"
	if _, err := PutLaunchRequest(ctx, st, &bad); err == nil {
		t.Error("an invalid id was accepted")
	}
	got, err := GetLaunchRequest(ctx, st, "r1abc")
	if err != nil || got.LaunchPlan != "wc_daily" || !got.RequestedAt.Equal(t0) || !got.Inputs["text"].Equal(text) {
		t.Fatalf("get: %+v %v", got, err)
	}
	wf, in, lp, err := Resolve(ctx, st, got)
	if err != nil || wf.Name != "wc" || lp.Name != "wc_daily" {
		t.Fatalf("resolve: %v", err)
	}
	want := map[string]orchestrator.Literal{"text": text, "times": orchestrator.Int(2), "label": orchestrator.String("daily")}
	if len(in) != len(want) {
		t.Errorf("resolved inputs %v", in)
	}
	for k, v := range want {
		if !in[k].Equal(v) {
			t.Errorf("input %s = %v, want %v", k, in[k], v)
		}
	}

	// A bare workflow version.
	bare := &LaunchRequest{ID: "r2abc", Project: "default", Domain: "development", Workflow: "wc", WorkflowVersion: "v1", Inputs: got.Inputs}
	wf, in, lp, err = Resolve(ctx, st, bare)
	if err != nil || wf.Name != "wc" || lp != nil || len(in) != 1 {
		t.Errorf("resolve a bare workflow: %v %v %v", in, lp, err)
	}
	for _, r := range []*LaunchRequest{
		{ID: "r3abc", Project: "default", Domain: "development"},
		{ID: "r3abc", Project: "default", Domain: "development", LaunchPlan: "nosuch"},
		{ID: "r3abc", Project: "default", Domain: "development", LaunchPlan: "wc_daily", Version: "v9"},
		{ID: "r3abc", Project: "default", Domain: "development", Workflow: "wc", WorkflowVersion: "v9"},
	} {
		if _, _, _, err := Resolve(ctx, st, r); err == nil {
			t.Errorf("resolve %+v: no error", r)
		}
	}

	c := &CancelRequest{Project: "default", Domain: "development", Exec: "r1abc", Reason: "oops", RequestedAt: t0}
	if err := PutCancelRequest(ctx, st, c); err != nil {
		t.Fatal(err)
	}
	if got, err := GetCancelRequest(ctx, st, "r1abc"); err != nil || got.Reason != "oops" {
		t.Errorf("cancel request: %+v %v", got, err)
	}
	if err := PutCancelRequest(ctx, st, &CancelRequest{Exec: "../x"}); err == nil {
		t.Error("a cancel request for an invalid id was written")
	}
	if _, err := GetCancelRequest(ctx, st, "r9abc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing cancel request: %v", err)
	}
	if _, _, err := store.ReadAll(ctx, st, "requests/cancel/x.json"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("stray request: %v", err)
	}
}

func TestMergeInputs(t *testing.T) {
	lp := &orchestrator.LaunchPlan{Name: "lp",
		Fixed:    map[string]orchestrator.Literal{"a": orchestrator.Int(1), "b": orchestrator.Int(2)},
		Defaults: map[string]orchestrator.Literal{"c": orchestrator.Int(3), "d": orchestrator.Int(4)}}
	in, err := MergeInputs(lp, map[string]orchestrator.Literal{"c": orchestrator.Int(30), "e": orchestrator.Int(5)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"a": 1, "b": 2, "c": 30, "d": 4, "e": 5}
	if len(in) != len(want) {
		t.Errorf("merged %v", in)
	}
	for k, v := range want {
		if in[k].Int != v {
			t.Errorf("%s = %v, want %d", k, in[k], v)
		}
	}
	_, err = MergeInputs(lp, map[string]orchestrator.Literal{"b": orchestrator.Int(0), "a": orchestrator.Int(0)})
	if err == nil || err.Error() != "input \"a\" is fixed by launch plan lp and cannot be given\ninput \"b\" is fixed by launch plan lp and cannot be given" {
		t.Errorf("fixed inputs given: %v", err)
	}
}
