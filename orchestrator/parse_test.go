package orchestrator

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func parseDiabetes(t *testing.T) *Spec {
	t.Helper()
	s, err := ParseFiles("testdata/spec/diabetes.yaml")
	if err != nil {
		t.Fatalf("the architecture's example must parse unchanged:\n%v", err)
	}
	return s
}

func TestParseDiabetesWorkflow(t *testing.T) {
	s := parseDiabetes(t)
	wf := s.Workflow("diabetes_xgboost_model")
	if wf == nil || len(s.Workflows) != 1 || len(s.LaunchPlans) != 1 || len(s.Tasks) != 0 {
		t.Fatalf("got %d workflows, %d launch plans, %d tasks", len(s.Workflows), len(s.LaunchPlans), len(s.Tasks))
	}
	if wf.Pos != (Pos{File: "testdata/spec/diabetes.yaml", Line: 3, Col: 7}) {
		t.Errorf("workflow Pos = %v", wf.Pos)
	}
	var inputs []string
	for _, p := range wf.Inputs {
		inputs = append(inputs, p.Name+":"+p.Type.String()+"="+p.Default.Text())
	}
	want := "dataset:file=https://raw.githubusercontent.com/jbrownlee/Datasets/master/pima-indians-diabetes.data.csv " +
		"test_split_ratio:float=0.33 seed:int=7"
	if got := strings.Join(inputs, " "); got != want {
		t.Errorf("inputs = %s\nwant     %s", got, want)
	}
	if len(wf.Outputs) != 2 || wf.Outputs[0].Ref.Node != "fit" || wf.Outputs[0].Ref.Name != "model" ||
		wf.Outputs[1].Ref.Text != "{{score.accuracy}}" {
		t.Errorf("outputs = %+v %+v", wf.Outputs[0], wf.Outputs[1])
	}
	d := wf.Defaults
	if d.Image.Value != "python:3.11-slim" || *d.Resources.CPUMilli != 1000 || *d.Resources.MemoryBytes != 200<<20 ||
		*d.Cache.Version != "1.0" {
		t.Errorf("defaults = %+v", d)
	}
	if len(wf.Tasks) != 4 || len(wf.Nodes) != 4 || wf.FailurePolicy != FailFast {
		t.Fatalf("%d tasks, %d nodes, policy %q", len(wf.Tasks), len(wf.Nodes), wf.FailurePolicy)
	}
}

func TestParseDiabetesTasksAndNodes(t *testing.T) {
	wf := parseDiabetes(t).Workflow("diabetes_xgboost_model")
	fit := wf.Tasks[1]
	if fit.Name != "fit" || *fit.Retries != 2 || *fit.Timeout != 30*time.Minute || !*fit.Interruptible ||
		fit.Image != nil || fit.Workflow != wf.Name {
		t.Errorf("fit = %+v", fit)
	}
	if len(fit.Command) != 6 || fit.Command[2].Value != "{{inputs.x}}" || len(fit.refs) != 4 {
		t.Errorf("fit command = %v, refs %v", fit.Command, fit.refs)
	}
	abs, _ := filepath.Abs("testdata/spec")
	if fit.Dir != abs {
		t.Errorf("fit.Dir = %q, want %q", fit.Dir, abs)
	}
	split := wf.Tasks[0]
	if len(split.Outputs) != 4 || split.Outputs[3].Name != "y_test" || split.Outputs[3].Type.Kind != KindFile {
		t.Errorf("split outputs = %+v", split.Outputs)
	}
	n := wf.Nodes[1]
	if n.Name != "fit" || n.Task.Value != "fit" || len(n.Inputs) != 3 {
		t.Fatalf("node fit = %+v", n)
	}
	x, hp := n.Inputs[0], n.Inputs[2]
	if x.Input != "x" || x.Ref == nil || x.Ref.Node != "split" || x.Ref.Name != "x_train" {
		t.Errorf("binding x = %+v", x)
	}
	if hp.Ref != nil || hp.Value.(map[string]any)["max_depth"] != int64(4) || hp.lit.Str != `{"max_depth":4}` {
		t.Errorf("binding hyperparams = %+v", hp)
	}
	if in := wf.Nodes[0].Inputs[0]; in.Ref.Node != "" || in.Ref.Name != "dataset" {
		t.Errorf("split binds dataset to %+v", in.Ref)
	}
}

func TestParseDiabetesLaunchPlan(t *testing.T) {
	s := parseDiabetes(t)
	lp := s.LaunchPlan("diabetes_nightly")
	if lp == nil || lp.Workflow.Value != "diabetes_xgboost_model" || !lp.Active {
		t.Fatalf("launch plan = %+v", lp)
	}
	if lp.Schedule.Kind != "cron" || lp.Schedule.Expr != "0 3 * * ? *" || lp.Schedule.Canonical != "cron(0 3 * * ? *)" {
		t.Errorf("schedule = %+v", lp.Schedule)
	}
	if len(lp.Triggers) != 1 || *lp.Triggers[0] != (TriggerSpec{Prefix: "incoming/diabetes/", Suffix: ".csv",
		Input: lp.Triggers[0].Input, Pos: lp.Triggers[0].Pos}) || lp.Triggers[0].Input.Value != "dataset" {
		t.Errorf("triggers = %+v", lp.Triggers)
	}
	r, err := s.ResolveLaunchPlan("diabetes_nightly")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Fixed["seed"].Equal(Int(7)) || !r.Defaults["test_split_ratio"].Equal(Float(0.33)) ||
		r.Schedule != "cron(0 3 * * ? *)" || r.Triggers[0] != (Trigger{"incoming/diabetes/", ".csv", "dataset"}) || !r.Active {
		t.Errorf("resolved = %+v", r)
	}
	if _, err := s.ResolveLaunchPlan("diabetes_nighty"); err == nil || !strings.Contains(err.Error(), `did you mean "diabetes_nightly"?`) {
		t.Errorf("unknown launch plan: %v", err)
	}
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
  - {on: [failed, aborted], target: "sns:ops"}
`)
	r, err := s.ResolveLaunchPlan("hourly")
	if err != nil {
		t.Fatal(err)
	}
	if r.Active || r.Schedule != "rate(2 hours)" || r.KickoffInput != "at" || len(r.Fixed) != 0 ||
		len(r.Notifications) != 1 || strings.Join(r.Notifications[0].On, ",") != "failed,aborted" || r.Notifications[0].Target != "sns:ops" {
		t.Errorf("resolved = %+v", r)
	}
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
	if task == nil || task.Workflow != "" || task.Inputs[1].Description != "how many" || !task.Inputs[1].Type.Optional {
		t.Fatalf("task = %+v", task)
	}
	if s.Workflow("nope") != nil || s.Task("nope") != nil || s.LaunchPlan("nope") != nil {
		t.Error("lookups of unknown names must give nil")
	}
}

func TestParseReportsEveryError(t *testing.T) {
	data, err := os.ReadFile("testdata/validate/all_at_once.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse("all_at_once.yaml", data)
	var ds Diagnostics
	if !errors.As(err, &ds) || len(ds) < 10 {
		t.Fatalf("want at least 10 diagnostics at once, got %v", err)
	}
	for i := 1; i < len(ds); i++ {
		if ds[i].Pos.less(ds[i-1].Pos) {
			t.Errorf("diagnostics not sorted: %v before %v", ds[i-1].Pos, ds[i].Pos)
		}
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
	if err == nil || !strings.Contains(err.Error(), "document too large") {
		t.Errorf("want a too-large error, got %v", err)
	}
	// Expanded, the bomb is 10^11 values: hours. Refused early it takes
	// milliseconds; the bound leaves room for the race detector on a
	// loaded 2-core machine.
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("alias bomb took %v", d)
	}
}

func itoa10(i int) string { return strconv.Itoa(i) }

func mustParse(t testing.TB, text string) *Spec {
	t.Helper()
	s, err := Parse("spec.yaml", []byte(text))
	if err != nil {
		t.Fatalf("parse:\n%v", err)
	}
	return s
}
