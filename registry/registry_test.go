package registry

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/layout"
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
	require.NoError(t, os.MkdirAll(dir, 0o777))
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o666))
	spec, err := orchestrator.ParseFiles(p)
	require.NoError(t, err)
	return spec
}

func newStore(t *testing.T) *dirstore.Store {
	t.Helper()
	st, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)
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
	require.NoError(t, err)
	want := []Registered{
		{Kind: "workflow", Name: "wc", Version: "v1", Created: true, Detail: "1 node, 1 task"},
		{Kind: "launch plan", Name: "wc_daily", Version: "v1", Created: true, Detail: "workflow wc, on incoming/wc/*.txt"},
		{Kind: "launch plan", Name: "wc_manual", Version: "v1", Created: true, Detail: "workflow wc"},
		{Kind: "launch plan", Name: "wc_nightly", Version: "v1", Created: true, Detail: "workflow wc, cron(0 3 * * ? *)"},
	}
	assert.Equal(t, want, rows)
	for _, k := range []string{WorkflowKey("default", "development", "wc", "v1"), LaunchPlanKey("default", "development", "wc_daily", "v1")} {
		_, err := st.Head(ctx, k)
		assert.NoError(t, err, k)
	}

	// Again, even from another directory (another checkout): unchanged.
	again := specAt(t, t.TempDir(), "moved.yaml", planSpec)
	later := opts("v1")
	later.Now = t0.Add(time.Hour)
	rows, err = Register(ctx, st, again, later)
	require.NoError(t, err, "registering the same spec from elsewhere")
	for _, r := range rows {
		assert.False(t, r.Created, "%s %s registered again", r.Kind, r.Name)
	}
	w, err := GetWorkflow(ctx, st, "default", "development", "wc", "v1")
	require.NoError(t, err)
	assert.True(t, w.RegisteredAt.Equal(t0), "the first registration was replaced: %+v", w)

	// Other content under v1: refused, nothing replaced.
	changed := specAt(t, t.TempDir(), "wc.yaml", strings.Replace(planSpec, "echo 1", "echo 2", 1))
	_, err = Register(ctx, st, changed, opts("v1"))
	assert.ErrorContains(t, err, "workflow wc version v1 is already registered with different content")
	// A launch plan's content counts too.
	planChanged := specAt(t, t.TempDir(), "wc.yaml", strings.Replace(planSpec, "default_inputs: {times: 2}", "default_inputs: {times: 3}", 1))
	_, err = Register(ctx, st, planChanged, opts("v1"))
	assert.ErrorContains(t, err, "launch plan wc_daily version v1 is already registered with different content")
	_, err = Register(ctx, st, changed, opts("v2"))
	assert.NoError(t, err, "new content under a new version")
	wf, err := w.Decode()
	if assert.NoError(t, err, "decode") {
		assert.Equal(t, "wc", wf.Name)
		assert.Len(t, wf.Nodes, 1)
	}

	for _, bad := range []RegisterOptions{opts(""), opts("a/b"), opts("active"), {Project: "p", Domain: "..", Version: "v"}} {
		_, err := Register(ctx, st, spec, bad)
		assert.Error(t, err, "Register with %+v", bad)
	}
}

func TestActivation(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	spec := specAt(t, t.TempDir(), "wc.yaml", planSpec)
	o := opts("v1")
	o.Activate = true
	rows, err := Register(ctx, st, spec, o)
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, []bool{true, false, true}, []bool{rows[1].Active, rows[2].Active, rows[3].Active},
		"activate: wc_daily, wc_manual (active: false), wc_nightly")
	a, err := GetActive(ctx, st, "default", "development", "wc_daily")
	if assert.NoError(t, err, "active pointer") {
		assert.Equal(t, "v1", a.Version)
		assert.True(t, a.ActivatedAt.Equal(t0), "activated at %v", a.ActivatedAt)
	}
	_, err = GetActive(ctx, st, "default", "development", "wc_manual")
	assert.ErrorIs(t, err, ErrNotFound, "wc_manual active")
	// The record does not say active: activation is the pointer.
	lp, err := GetLaunchPlan(ctx, st, "default", "development", "wc_daily", "")
	if assert.NoError(t, err, "active launch plan") {
		assert.Equal(t, "v1", lp.Version)
		assert.Equal(t, "v1", lp.WorkflowVersion)
		assert.False(t, lp.Active)
		assert.True(t, lp.Fixed["label"].Equal(orchestrator.String("daily")), "fixed label %v", lp.Fixed["label"])
	}

	assert.ErrorIs(t, SetActive(ctx, st, "default", "development", "wc_daily", "v9", t0), ErrNotFound, "activate an unregistered version")
	other := RegisterOptions{Project: "team", Domain: "prod", Version: "v1", Activate: true, Now: t0}
	_, err = Register(ctx, st, spec, other)
	require.NoError(t, err)
	plans, err := ActivePlans(ctx, st)
	require.NoError(t, err)
	var got []string
	for _, p := range plans {
		got = append(got, p.Project+"/"+p.Domain+"/"+p.Name+"@"+p.Version)
	}
	assert.Equal(t, []string{"default/development/wc_daily@v1", "default/development/wc_nightly@v1", "team/prod/wc_daily@v1", "team/prod/wc_nightly@v1"}, got, "active plans")
	require.NoError(t, Deactivate(ctx, st, "team", "prod", "wc_daily"))
	assert.NoError(t, Deactivate(ctx, st, "team", "prod", "wc_daily"), "deactivate twice")
	plans, err = ActivePlans(ctx, st)
	assert.NoError(t, err)
	assert.Len(t, plans, 3, "after deactivate")
	_, err = GetLaunchPlan(ctx, st, "team", "prod", "wc_daily", "")
	assert.ErrorIs(t, err, ErrNotFound, "deactivated plan")
}

// The key cases that were here (active pointers, request ids) are
// layout's tests now.
func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{"v1": true, "1.2.3-rc_1": true, "a": true, "": false, "-v": false, "a/b": false, "a..b": false, "active": false, strings.Repeat("x", 129): false} {
		err := CheckName("version", name)
		assert.Equal(t, ok, err == nil, "CheckName(%q) = %v", name, err)
	}
}

func TestDerivedIDs(t *testing.T) {
	a := TriggerID("p", "d", "lp", "incoming/x.csv", "etag1")
	assert.Equal(t, a, TriggerID("p", "d", "lp", "incoming/x.csv", "etag1"), "TriggerID is deterministic")
	for _, other := range []string{
		TriggerID("p", "d", "lp", "incoming/x.csv", "etag2"),
		TriggerID("p", "d", "lp2", "incoming/x.csv", "etag1"),
		TriggerID("p", "d", "l", "pincoming/x.csv", "etag1"), // parts are length-prefixed
	} {
		assert.NotEqual(t, a, other, "TriggerID collision")
	}
	s1 := ScheduleID("p", "d", "lp", t0)
	assert.Equal(t, s1, ScheduleID("p", "d", "lp", t0.In(time.FixedZone("x", 3600))), "ScheduleID follows the instant, not the zone")
	assert.NotEqual(t, s1, ScheduleID("p", "d", "lp", t0.Add(time.Hour)), "ScheduleID follows the instant")
	for _, id := range []string{a, s1} {
		assert.NoError(t, validID(id), "derived id %q", id)
	}
	assert.Equal(t, []byte{'t', 's'}, []byte{a[0], s1[0]}, "tags: %s %s", a, s1)
}

func TestRequestsAndResolve(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	spec := specAt(t, t.TempDir(), "wc.yaml", planSpec)
	o := opts("v1")
	o.Activate = true
	_, err := Register(ctx, st, spec, o)
	require.NoError(t, err)
	text := orchestrator.File(orchestrator.Blob{URI: "https://example.com/t.txt"})
	r := &LaunchRequest{ID: "r1abc", Project: "default", Domain: "development", LaunchPlan: "wc_daily",
		Inputs: map[string]orchestrator.Literal{"text": text}, RequestedAt: t0, Cause: "cli"}
	created, err := PutLaunchRequest(ctx, st, r)
	require.NoError(t, err, "put")
	require.True(t, created, "put")
	created, err = PutLaunchRequest(ctx, st, r)
	assert.NoError(t, err, "put again")
	assert.False(t, created, "put again")
	bad := *r
	bad.ID = "R-1"
	_, err = PutLaunchRequest(ctx, st, &bad)
	assert.Error(t, err, "an invalid id was accepted")
	got, err := GetLaunchRequest(ctx, st, "r1abc")
	require.NoError(t, err, "get")
	require.Equal(t, "wc_daily", got.LaunchPlan)
	require.True(t, got.RequestedAt.Equal(t0), "requested at %v", got.RequestedAt)
	require.True(t, got.Inputs["text"].Equal(text), "text %v", got.Inputs["text"])
	wf, in, lp, err := Resolve(ctx, st, got)
	require.NoError(t, err, "resolve")
	require.Equal(t, "wc", wf.Name)
	require.Equal(t, "wc_daily", lp.Name)
	want := map[string]orchestrator.Literal{"text": text, "times": orchestrator.Int(2), "label": orchestrator.String("daily")}
	assert.Len(t, in, len(want), "resolved inputs %v", in)
	for k, v := range want {
		assert.True(t, in[k].Equal(v), "input %s = %v, want %v", k, in[k], v)
	}

	// A bare workflow version.
	bare := &LaunchRequest{ID: "r2abc", Project: "default", Domain: "development", Workflow: "wc", WorkflowVersion: "v1", Inputs: got.Inputs}
	wf, in, lp, err = Resolve(ctx, st, bare)
	if assert.NoError(t, err, "resolve a bare workflow") {
		assert.Equal(t, "wc", wf.Name)
		assert.Nil(t, lp)
		assert.Len(t, in, 1)
	}
	for _, r := range []*LaunchRequest{
		{ID: "r3abc", Project: "default", Domain: "development"},
		{ID: "r3abc", Project: "default", Domain: "development", LaunchPlan: "nosuch"},
		{ID: "r3abc", Project: "default", Domain: "development", LaunchPlan: "wc_daily", Version: "v9"},
		{ID: "r3abc", Project: "default", Domain: "development", Workflow: "wc", WorkflowVersion: "v9"},
	} {
		_, _, _, err := Resolve(ctx, st, r)
		assert.Error(t, err, "resolve %+v", r)
	}

	c := &CancelRequest{Project: "default", Domain: "development", Exec: "r1abc", Reason: "oops", RequestedAt: t0}
	require.NoError(t, PutCancelRequest(ctx, st, c))
	cr, err := GetCancelRequest(ctx, st, "r1abc")
	if assert.NoError(t, err, "cancel request") {
		assert.Equal(t, "oops", cr.Reason)
	}
	assert.Error(t, PutCancelRequest(ctx, st, &CancelRequest{Exec: "../x"}), "a cancel request for an invalid id was written")
	_, err = GetCancelRequest(ctx, st, "r9abc")
	assert.ErrorIs(t, err, ErrNotFound, "missing cancel request")
	_, _, err = store.ReadAll(ctx, st, CancelRequestKey("x"))
	assert.ErrorIs(t, err, store.ErrNotFound, "stray request")
}

func TestMergeInputs(t *testing.T) {
	lp := &orchestrator.LaunchPlan{Name: "lp",
		Fixed:    map[string]orchestrator.Literal{"a": orchestrator.Int(1), "b": orchestrator.Int(2)},
		Defaults: map[string]orchestrator.Literal{"c": orchestrator.Int(3), "d": orchestrator.Int(4)}}
	in, err := MergeInputs(lp, map[string]orchestrator.Literal{"c": orchestrator.Int(30), "e": orchestrator.Int(5)})
	require.NoError(t, err)
	want := map[string]int64{"a": 1, "b": 2, "c": 30, "d": 4, "e": 5}
	assert.Len(t, in, len(want), "merged %v", in)
	for k, v := range want {
		assert.Equal(t, v, in[k].Int, "%s = %v", k, in[k])
	}
	_, err = MergeInputs(lp, map[string]orchestrator.Literal{"b": orchestrator.Int(0), "a": orchestrator.Int(0)})
	assert.EqualError(t, err, "input \"a\" is fixed by launch plan lp and cannot be given\ninput \"b\" is fixed by launch plan lp and cannot be given", "fixed inputs given")
}

func TestAgainRequests(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	r := &AgainRequest{Kind: layout.RequestRecover, ID: "r9new", Project: "default", Domain: "development", From: "r1old", RequestedAt: t0}
	created, err := PutAgainRequest(ctx, st, r)
	require.NoError(t, err)
	assert.True(t, created)
	created, err = PutAgainRequest(ctx, st, r)
	require.NoError(t, err)
	assert.False(t, created, "a duplicate starts nothing new")
	got, err := GetAgainRequest(ctx, st, layout.RequestRecover, "r9new")
	require.NoError(t, err)
	assert.Equal(t, "r1old", got.From)
	_, err = GetAgainRequest(ctx, st, layout.RequestRelaunch, "r9new")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = PutAgainRequest(ctx, st, &AgainRequest{Kind: "launch", ID: "r9new"})
	assert.ErrorContains(t, err, "want recover or relaunch")
	_, err = PutAgainRequest(ctx, st, &AgainRequest{Kind: layout.RequestRelaunch, ID: "R-1"})
	assert.ErrorContains(t, err, "lowercase")

	for id, want := range map[string]bool{"r9new": true, "r1old": false} {
		got, err := Requested(ctx, st, id)
		require.NoError(t, err)
		assert.Equal(t, want, got, "requested %s", id)
	}
	_, err = PutLaunchRequest(ctx, st, &LaunchRequest{ID: "r1old", RequestedAt: t0})
	require.NoError(t, err)
	got2, err := Requested(ctx, st, "r1old")
	require.NoError(t, err)
	assert.True(t, got2, "a launched execution is the control plane's")
}
