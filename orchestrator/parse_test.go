package orchestrator

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseDiabetes(t *testing.T) *Spec {
	t.Helper()
	s, err := ParseFiles("testdata/spec/diabetes.yaml")
	require.NoError(t, err, "the architecture's example must parse unchanged")
	return s
}

func TestParseDiabetesWorkflow(t *testing.T) {
	s := parseDiabetes(t)
	wf := s.Workflow("diabetes_xgboost_model")
	require.NotNil(t, wf)
	require.Len(t, s.Workflows, 1)
	require.Len(t, s.LaunchPlans, 1)
	require.Empty(t, s.Tasks)
	assert.Equal(t, Pos{File: "testdata/spec/diabetes.yaml", Line: 3, Col: 7}, wf.Pos, "workflow Pos")
	var inputs []string
	for _, p := range wf.Inputs {
		inputs = append(inputs, p.Name+":"+p.Type.String()+"="+p.Default.Text())
	}
	want := "dataset:file=https://raw.githubusercontent.com/jbrownlee/Datasets/master/pima-indians-diabetes.data.csv " +
		"test_split_ratio:float=0.33 seed:int=7"
	assert.Equal(t, want, strings.Join(inputs, " "), "inputs")
	if assert.Len(t, wf.Outputs, 2) {
		assert.Equal(t, "fit", wf.Outputs[0].Ref.Node)
		assert.Equal(t, "model", wf.Outputs[0].Ref.Name)
		assert.Equal(t, "{{score.accuracy}}", wf.Outputs[1].Ref.Text)
	}
	d := wf.Defaults
	assert.Equal(t, "python:3.11-slim", d.Image.Value)
	assert.EqualValues(t, 1000, *d.Resources.CPUMilli)
	assert.EqualValues(t, 200<<20, *d.Resources.MemoryBytes)
	assert.Equal(t, "1.0", *d.Cache.Version)
	require.Len(t, wf.Tasks, 4)
	require.Len(t, wf.Nodes, 4)
	require.Equal(t, FailFast, wf.FailurePolicy)
}

func TestParseDiabetesTasksAndNodes(t *testing.T) {
	wf := parseDiabetes(t).Workflow("diabetes_xgboost_model")
	fit := wf.Tasks[1]
	assert.Equal(t, "fit", fit.Name)
	assert.Equal(t, 2, *fit.Retries)
	assert.Equal(t, 30*time.Minute, *fit.Timeout)
	assert.True(t, *fit.Interruptible)
	assert.Nil(t, fit.Image)
	assert.Equal(t, wf.Name, fit.Workflow)
	if assert.Len(t, fit.Command, 6) {
		assert.Equal(t, "{{inputs.x}}", fit.Command[2].Value)
	}
	assert.Len(t, fit.refs, 4)
	abs, _ := filepath.Abs("testdata/spec")
	assert.Equal(t, abs, fit.Dir)
	split := wf.Tasks[0]
	if assert.Len(t, split.Outputs, 4) {
		assert.Equal(t, "y_test", split.Outputs[3].Name)
		assert.Equal(t, KindFile, split.Outputs[3].Type.Kind)
	}
	n := wf.Nodes[1]
	require.Equal(t, "fit", n.Name)
	require.Equal(t, "fit", n.Task.Value)
	require.Len(t, n.Inputs, 3)
	x, hp := n.Inputs[0], n.Inputs[2]
	assert.Equal(t, "x", x.Input)
	if assert.NotNil(t, x.Ref) {
		assert.Equal(t, "split", x.Ref.Node)
		assert.Equal(t, "x_train", x.Ref.Name)
	}
	assert.Nil(t, hp.Ref)
	assert.Equal(t, int64(4), hp.Value.(map[string]any)["max_depth"])
	assert.Equal(t, `{"max_depth":4}`, hp.lit.Str)
	in := wf.Nodes[0].Inputs[0]
	assert.Equal(t, "", in.Ref.Node, "split binds dataset")
	assert.Equal(t, "dataset", in.Ref.Name, "split binds dataset")
}

func TestParseDiabetesLaunchPlan(t *testing.T) {
	s := parseDiabetes(t)
	lp := s.LaunchPlan("diabetes_nightly")
	require.NotNil(t, lp)
	require.Equal(t, "diabetes_xgboost_model", lp.Workflow.Value)
	require.True(t, lp.Active)
	assert.Equal(t, "cron", lp.Schedule.Kind)
	assert.Equal(t, "0 3 * * ? *", lp.Schedule.Expr)
	assert.Equal(t, "cron(0 3 * * ? *)", lp.Schedule.Canonical)
	if assert.Len(t, lp.Triggers, 1) {
		assert.Equal(t, TriggerSpec{Prefix: "incoming/diabetes/", Suffix: ".csv", Input: lp.Triggers[0].Input, Pos: lp.Triggers[0].Pos}, *lp.Triggers[0])
		assert.Equal(t, "dataset", lp.Triggers[0].Input.Value)
	}
	r, err := s.ResolveLaunchPlan("diabetes_nightly")
	require.NoError(t, err)
	assert.True(t, r.Fixed["seed"].Equal(Int(7)), "fixed seed = %v", r.Fixed["seed"])
	assert.True(t, r.Defaults["test_split_ratio"].Equal(Float(0.33)), "default test_split_ratio = %v", r.Defaults["test_split_ratio"])
	assert.Equal(t, "cron(0 3 * * ? *)", r.Schedule)
	if assert.NotEmpty(t, r.Triggers) {
		assert.Equal(t, Trigger{"incoming/diabetes/", ".csv", "dataset"}, r.Triggers[0])
	}
	assert.True(t, r.Active)
	_, err = s.ResolveLaunchPlan("diabetes_nighty")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `did you mean "diabetes_nightly"?`)
}

func TestParseLaunchPlanExtras(t *testing.T) {
	s := mustParse(t, `apiVersion: aloft/v1
kind: Workflow
name: wf
inputs: {at: datetime, n: {type: int, default: 1}}
tasks:
  t: {inputs: {at: datetime}, command: [t, "{{inputs.at}}"]}
nodes:
  a: {task: t, inputs: {at: "{{inputs.at}}"}}
---
apiVersion: aloft/v1
kind: LaunchPlan
name: hourly
workflow: wf
active: false
schedule: {rate: 2 hours, kickoff_time_input: at}
notifications:
  - {on: [failed, aborted], target: "sns"}
`)
	r, err := s.ResolveLaunchPlan("hourly")
	require.NoError(t, err)
	assert.False(t, r.Active)
	assert.Equal(t, "rate(2 hours)", r.Schedule)
	assert.Equal(t, "at", r.KickoffInput)
	assert.Empty(t, r.Fixed)
	assert.Equal(t, []Notification{{On: []string{"failed", "aborted"}, Target: "sns"}}, r.Notifications)
}

func TestParseStandaloneTaskAndShortForms(t *testing.T) {
	s := mustParse(t, `apiVersion: aloft/v1
kind: Task
name: echo
inputs:
  msg: string
  n: {type: "int?", description: how many}
outputs: {out: file}
image: alpine:3
command: [echo, "{{inputs.msg}}", "{{outputs.out}}"]
---
apiVersion: aloft/v1
kind: Workflow
name: wf
nodes:
  a: {task: echo, inputs: {msg: hi}}
`)
	task := s.Task("echo")
	require.NotNil(t, task)
	require.Equal(t, "", task.Workflow)
	require.Equal(t, "how many", task.Inputs[1].Description)
	require.True(t, task.Inputs[1].Type.Optional)
	assert.Nil(t, s.Workflow("nope"), "lookups of unknown names must give nil")
	assert.Nil(t, s.Task("nope"), "lookups of unknown names must give nil")
	assert.Nil(t, s.LaunchPlan("nope"), "lookups of unknown names must give nil")
}

func TestParseReportsEveryError(t *testing.T) {
	data, err := os.ReadFile("testdata/validate/all_at_once.yaml")
	require.NoError(t, err)
	_, err = Parse("all_at_once.yaml", data)
	var ds Diagnostics
	require.True(t, errors.As(err, &ds), "want diagnostics, got %v", err)
	require.GreaterOrEqual(t, len(ds), 10, "want at least 10 diagnostics at once")
	for i := 1; i < len(ds); i++ {
		assert.False(t, ds[i].Pos.less(ds[i-1].Pos), "diagnostics not sorted: %v before %v", ds[i-1].Pos, ds[i].Pos)
	}
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: aloft/v1\nkind: Workflow\nname: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		b.WriteString("a" + itoa10(i) + ": &a" + itoa10(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + itoa10(i-1))
		}
		b.WriteString("]\n")
	}
	b.WriteString("tasks:\n  t: {command: [t], inputs: {j: json}}\nnodes:\n  n: {task: t, inputs: {j: *a11}}\n")
	start := time.Now()
	_, err := Parse("bomb.yaml", []byte(b.String()))
	require.Error(t, err, "want a too-large error")
	assert.Contains(t, err.Error(), "document too large")
	// Expanded, the bomb is 10^11 values: hours. Refused early it takes
	// milliseconds; the bound leaves room for the race detector on a
	// loaded 2-core machine.
	assert.Less(t, time.Since(start), 60*time.Second, "alias bomb")
}

func itoa10(i int) string { return strconv.Itoa(i) }

func mustParse(t testing.TB, text string) *Spec {
	t.Helper()
	s, err := Parse("spec.yaml", []byte(text))
	require.NoError(t, err, "parse")
	return s
}
