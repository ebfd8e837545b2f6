package functions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

const bucket = "aloft-test-bucket"

var clock = time.Date(2026, 11, 28, 2, 0, 5, 0, time.UTC)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recorder is a dispatcher that only records submissions.
type recorder struct {
	mu   sync.Mutex
	jobs []batchrunner.Job
}

func (r *recorder) Submit(_ context.Context, j batchrunner.Job) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs = append(r.jobs, j)
	return fmt.Sprintf("job-%d", len(r.jobs)), nil
}

func (r *recorder) Cancel(context.Context, string) error { return nil }

// rules records what the registrar asks of EventBridge.
type rules struct {
	put     []functions.Rule
	deleted []string
}

func (r *rules) PutRule(_ context.Context, x functions.Rule) error {
	r.put = append(r.put, x)
	return nil
}
func (r *rules) DeleteRule(_ context.Context, n string) error {
	r.deleted = append(r.deleted, n)
	return nil
}

type world struct {
	st    store.Store
	dir   *dirstore.Store
	c     *functions.Control
	d     *recorder
	rules *rules
}

// newWorld is the control plane over a directory bucket whose events name
// the bucket of the fixtures, with the diabetes example registered and its
// launch plan active.
func newWorld(t *testing.T, wrap func(store.Store) store.Store) *world {
	t.Helper()
	dir, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	if err != nil {
		t.Fatal(err)
	}
	var st store.Store = dir
	if wrap != nil {
		st = wrap(dir)
	}
	d := &recorder{}
	n := 0
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, Now: func() time.Time { return clock },
		NewID: func() string { n++; return fmt.Sprintf("n%d", n) }})
	if err != nil {
		t.Fatal(err)
	}
	r := &rules{}
	c := &functions.Control{Store: st, Engine: eng, Bucket: bucket, Now: func() time.Time { return clock }, Rules: r,
		JobEvents: functions.BatchJobEvents(st)}
	spec, err := orchestrator.ParseFiles("../examples/diabetes/workflow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Register(context.Background(), dir, spec, registry.RegisterOptions{
		Project: "default", Domain: "development", Version: "v1", Activate: true, Now: clock}); err != nil {
		t.Fatal(err)
	}
	return &world{st: st, dir: dir, c: c, d: d, rules: r}
}

func TestTriggerStartsOneRunPerObjectVersion(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	ev := fixture(t, "s3-object-created-incoming.json")
	got, err := w.c.Trigger(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	key := "incoming/diabetes/pima-2026-11-28.csv"
	want := registry.TriggerID("default", "development", "diabetes_nightly", key, "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e")
	if len(got) != 1 || got[0].Execution != want || !got[0].New || got[0].LaunchPlan != "diabetes_nightly" {
		t.Fatalf("trigger: %+v, want one new run %s", got, want)
	}
	r, err := registry.GetLaunchRequest(ctx, w.st, want)
	if err != nil {
		t.Fatal(err)
	}
	if in := r.Inputs["dataset"]; in.Kind != orchestrator.KindFile || in.Blob.URI != w.st.URI(key) {
		t.Errorf("dataset input %+v, want the object %s", in, w.st.URI(key))
	}
	if r.Version != "v1" || !strings.HasPrefix(r.Cause, "trigger ") {
		t.Errorf("request %+v", r)
	}
	// The same event again (EventBridge delivers at least once): nothing new.
	again, err := w.c.Trigger(ctx, ev)
	if err != nil || len(again) != 1 || again[0].New || again[0].Execution != want {
		t.Fatalf("duplicate: %+v %v", again, err)
	}
	// Another key that no trigger matches starts nothing; another bucket is refused.
	other := strings.Replace(string(ev), "incoming/diabetes/pima-2026-11-28.csv", "incoming/other/pima.csv", 1)
	if got, err := w.c.Trigger(ctx, []byte(other)); err != nil || len(got) != 0 {
		t.Errorf("unmatched key: %+v %v", got, err)
	}
	wrongSuffix := strings.Replace(string(ev), "pima-2026-11-28.csv", "pima-2026-11-28.parquet", 1)
	if got, err := w.c.Trigger(ctx, []byte(wrongSuffix)); err != nil || len(got) != 0 {
		t.Errorf("unmatched suffix: %+v %v", got, err)
	}
	otherBucket := strings.Replace(string(ev), `"name": "aloft-test-bucket"`, `"name": "someone-else"`, 1)
	if _, err := w.c.Trigger(ctx, []byte(otherBucket)); err == nil {
		t.Error("an object of another bucket was accepted")
	}
}

func TestTriggerSchedule(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	got, err := w.c.Trigger(ctx, fixture(t, "scheduled-trigger-input.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := registry.ScheduleID("default", "development", "diabetes_nightly", time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	if len(got) != 1 || got[0].Execution != want || !got[0].New {
		t.Fatalf("schedule: %+v, want %s", got, want)
	}
	if again, _ := w.c.Trigger(ctx, fixture(t, "scheduled-trigger-input.json")); len(again) != 1 || again[0].New {
		t.Fatalf("duplicate schedule event started a run: %+v", again)
	}
	// A schedule of a launch plan deactivated meanwhile starts nothing.
	if err := registry.Deactivate(ctx, w.st, "default", "development", "diabetes_nightly"); err != nil {
		t.Fatal(err)
	}
	if got, err := w.c.Trigger(ctx, fixture(t, "scheduled-trigger-input.json")); err != nil || len(got) != 0 {
		t.Fatalf("inactive plan: %+v %v", got, err)
	}
}

func TestRegistrar(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	got, err := w.c.Registrar(ctx, fixture(t, "s3-object-created-active.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	rule := "aloft-lp-default-development-diabetes_nightly"
	if got.Action != "put" || got.Rule != rule || len(w.rules.put) != 1 {
		t.Fatalf("created: %+v %+v", got, w.rules.put)
	}
	r := w.rules.put[0]
	if r.Schedule != "cron(0 3 * * ? *)" || !r.Enabled {
		t.Errorf("rule %+v", r)
	}
	// The rule's input, with the time an input transformer puts in, is
	// what trigger takes.
	in := strings.Replace(r.Input, functions.TimePlaceholder, "2026-11-28T02:00:00Z", 1)
	var si functions.ScheduleInput
	if err := json.Unmarshal([]byte(in), &si); err != nil || si.Schedule == nil || si.Schedule.LaunchPlan != "diabetes_nightly" {
		t.Fatalf("rule input %s: %v", r.Input, err)
	}
	var want, have any
	_ = json.Unmarshal(fixture(t, "scheduled-trigger-input.json"), &want)
	_ = json.Unmarshal([]byte(in), &have)
	if fmt.Sprint(want) != fmt.Sprint(have) {
		t.Errorf("rule input %s differs from the fixture trigger is tested with", in)
	}
	got, err = w.c.Registrar(ctx, fixture(t, "s3-object-deleted-active.json"), "")
	if err != nil || got.Action != "deleted" || len(w.rules.deleted) != 1 || w.rules.deleted[0] != rule {
		t.Fatalf("deleted: %+v %v %v", got, err, w.rules.deleted)
	}
}

func TestRuleNames(t *testing.T) {
	short := functions.RuleName("aloft-lp-", "default", "development", "nightly")
	if short != "aloft-lp-default-development-nightly" {
		t.Errorf("short name %q", short)
	}
	long := functions.RuleName("aloft-lp-", "a-very-long-project-name", "production", "the_launch_plan_with_a_long_name")
	long2 := functions.RuleName("aloft-lp-", "a-very-long-project-name", "production", "the_launch_plan_with_a_long_name2")
	if len(long) > 64 || long == long2 || !strings.HasPrefix(long, "aloft-lp-") {
		t.Errorf("long names %q %q", long, long2)
	}
}

// startExec starts an execution of the registered diabetes workflow under id.
func (w *world) startExec(t *testing.T, id string) engine.Ref {
	t.Helper()
	ctx := context.Background()
	r := &registry.LaunchRequest{ID: id, Project: "default", Domain: "development", LaunchPlan: "diabetes_nightly",
		Inputs: map[string]orchestrator.Literal{"dataset": orchestrator.File(orchestrator.Blob{URI: "examples/diabetes/data/pima-indians-diabetes.data.csv"})}}
	wf, in, _, err := registry.Resolve(ctx, w.st, r)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("..")
	ref, err := w.c.Engine.Start(ctx, wf, in, engine.StartOptions{Exec: id, LaunchPlan: "diabetes_nightly", BaseDir: abs, Swept: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.Engine.Sweep(ctx, ref, nil); err != nil {
		t.Fatal(err)
	}
	return ref
}

func TestAdvanceSQSBatchFixture(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	old := w.startExec(t, "r1a2b3c4d")
	before, _ := w.c.Engine.Load(ctx, old)
	// The launch request the batch's third message announces.
	if _, err := registry.PutLaunchRequest(ctx, w.st, &registry.LaunchRequest{ID: "l7f3a9c2e41d0b6a5", Project: "default",
		Domain: "development", LaunchPlan: "diabetes_nightly", RequestedAt: clock, Cause: "cli",
		Inputs: map[string]orchestrator.Literal{"dataset": orchestrator.File(orchestrator.Blob{URI: w.st.URI("data/r1a2b3c4d/inputs/dataset/pima-indians-diabetes.data.csv")})}}); err != nil {
		t.Fatal(err)
	}
	out, err := w.c.Advance(ctx, fixture(t, "sqs-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(functions.BatchResponse)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures: %+v", resp.BatchItemFailures)
	}
	// The launch started its execution and dispatched its first task.
	s, err := w.c.Engine.Load(ctx, engine.Ref{Project: "default", Domain: "development", Exec: "l7f3a9c2e41d0b6a5"})
	if err != nil {
		t.Fatal(err)
	}
	if s.LaunchPlan != "diabetes_nightly" || s.Phase != orchestrator.ExecRunning {
		t.Errorf("launched: %s %s", s.LaunchPlan, s.Phase)
	}
	var launched int
	for _, j := range w.d.jobs {
		if j.Exec == "l7f3a9c2e41d0b6a5" {
			launched++
		}
	}
	if launched != 1 {
		t.Errorf("%d jobs for the launched run, want 1 (its first node)", launched)
	}
	// The result and the reclaim of an attempt that was never dispatched
	// (train has not run in r1a2b3c4d) change nothing.
	after, _ := w.c.Engine.Load(ctx, old)
	if after.Seq != before.Seq {
		t.Errorf("stale events changed r1a2b3c4d: seq %d -> %d", before.Seq, after.Seq)
	}
	// Delivered again: still one run, no new job.
	jobs := len(w.d.jobs)
	if _, err := w.c.Advance(ctx, fixture(t, "sqs-batch.json")); err != nil || len(w.d.jobs) != jobs {
		t.Fatalf("redelivery: %v, %d jobs -> %d", err, jobs, len(w.d.jobs))
	}
}

func TestAdvanceBatchEventsFailAttempts(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	ref := w.startExec(t, "r1a2b3c4d")
	s, _ := w.c.Engine.Load(ctx, ref)
	first := w.d.jobs[0]
	// The host-reclaim fixture, retargeted at the attempt that is queued.
	ev := strings.ReplaceAll(string(fixture(t, "batch-job-failed-host-reclaim.json")), `"aloft:node": "train"`, `"aloft:node": "`+first.Node+`"`)
	body, _ := json.Marshal(functions.SQSEvent{Records: []functions.SQSMessage{{MessageID: "m1", Body: ev}}})
	if _, err := w.c.Advance(ctx, body); err != nil {
		t.Fatal(err)
	}
	s2, _ := w.c.Engine.Load(ctx, ref)
	i, _ := s.Compiled().NodeIndex(first.Node)
	ns := s2.Nodes[i]
	if ns.Phase != orchestrator.Retrying || ns.SysErrs != 1 || !strings.Contains(ns.Err, "host was lost 2 times") {
		t.Fatalf("after the reclaim: phase %s, system errors %d, error %q", ns.Phase, ns.SysErrs, ns.Err)
	}
	// The attempt's own error.json wins over the job's reason.
	// (Array children map through their manifest.)
	manifest := batchrunner.ArrayManifest{Exec: "r1a2b3c4d", Node: "score", Prefixes: []string{"data/r1a2b3c4d/score.0/2/",
		"data/r1a2b3c4d/score.1/2/", "data/r1a2b3c4d/score.2/2/", "data/r1a2b3c4d/score.3/2/"}}
	if _, err := store.PutJSON(ctx, w.st, "data/r1a2b3c4d/score/array-5d41402abc4b.json", manifest, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	je, ok, err := functions.BatchJobEvents(w.st)(ctx, fixture(t, "batch-job-failed-array-child.json"))
	if err != nil || !ok {
		t.Fatalf("array child: %v %v", ok, err)
	}
	if u := je.Update; u.Node != "score" || u.Item != 3 || u.Attempt != 2 || !u.Failed || !strings.Contains(u.Message, "CannotPullContainerError") {
		t.Errorf("array child update %+v", u)
	}
	for _, f := range []string{"batch-job-running.json", "batch-job-failed-oom.json", "batch-job-succeeded.json"} {
		je, ok, err := functions.BatchJobEvents(w.st)(ctx, fixture(t, f))
		switch {
		case err != nil:
			t.Errorf("%s: %v", f, err)
		case f == "batch-job-running.json" && (!ok || !je.Update.Started):
			t.Errorf("%s: %+v %v", f, je, ok)
		case f == "batch-job-failed-oom.json" && (!ok || je.Update.Kind != orchestrator.ErrOOM):
			t.Errorf("%s: %+v %v", f, je, ok)
		case f == "batch-job-succeeded.json" && ok:
			t.Errorf("%s: a success decides nothing (outputs.json does), got %+v", f, je)
		}
	}
}

// failingStates fails every write of a state.json, as an S3 outage would.
type failingStates struct{ store.Store }

func (f failingStates) Put(ctx context.Context, key string, r io.Reader, o store.PutOptions) (store.Object, error) {
	if strings.HasSuffix(key, "/state.json") && o.IfMatch != "" {
		return store.Object{}, errors.New("S3 is having a bad day")
	}
	return f.Store.Put(ctx, key, r, o)
}

func TestAdvanceReportsFailedMessages(t *testing.T) {
	ctx := context.Background()
	healthy := newWorld(t, nil)
	healthy.startExec(t, "r1a2b3c4d")
	first := healthy.d.jobs[0]
	bad := functions.Control{Store: failingStates{healthy.st}, Engine: nil, Bucket: bucket}
	eng, _ := engine.New(engine.Config{Store: bad.Store, Dispatcher: healthy.d, Now: func() time.Time { return clock }})
	bad.Engine = eng
	result := first.Prefix + batchrunner.ClaimFile
	if err := batchrunner.Claim(ctx, healthy.st, first.Prefix, "job-1", clock); err != nil {
		t.Fatal(err)
	}
	ev := functions.ObjectCreated(bucket, result, 10, "e", "", clock)
	body, _ := json.Marshal(functions.SQSEvent{Records: []functions.SQSMessage{
		{MessageID: "good-but-unlucky", Body: string(ev)},
		{MessageID: "garbage", Body: "not json"},
		{MessageID: "stranger", Body: string(functions.ObjectCreated(bucket, "tmp/x", 1, "e", "", clock))},
	}})
	out, err := bad.Advance(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(functions.BatchResponse)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "good-but-unlucky" {
		t.Fatalf("failures %+v: want only the message whose execution could not be saved (the others can never succeed)", resp.BatchItemFailures)
	}
}

func TestSweepFixture(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	w.startExec(t, "r1a2b3c4d")
	out, err := w.c.Advance(ctx, fixture(t, "sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sum := out.(functions.SweepSummary); sum.Executions != 1 || len(sum.Errors) != 0 {
		t.Fatalf("sweep: %+v", sum)
	}
}

func TestReadEnv(t *testing.T) {
	_, err := functions.ReadEnv("advance", func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "ALOFT_STORE, ALOFT_QUEUE_URL, ALOFT_JOB_QUEUE_CPU") {
		t.Fatalf("missing: %v", err)
	}
	env := map[string]string{"ALOFT_STORE": "s3://b/p", "ALOFT_TRIGGER_ARN": "arn:aws:lambda:us-east-1:1:function:t"}
	e, err := functions.ReadEnv("registrar", func(k string) string { return env[k] })
	if err != nil || e.Bucket() != "b" || e.RulePrefix != "aloft-lp-" {
		t.Fatalf("registrar env: %+v %v", e, err)
	}
	env["ALOFT_STORE"] = "/tmp/bucket"
	if _, err := functions.ReadEnv("trigger", func(k string) string { return env[k] }); err == nil {
		t.Fatal("a directory store was accepted in Lambda")
	}
}

func TestAdvanceRejectsLaunchesThatCannotStart(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	r := &registry.LaunchRequest{ID: "r0bad0input", Project: "default", Domain: "development", LaunchPlan: "diabetes_nightly",
		RequestedAt: clock, Inputs: map[string]orchestrator.Literal{"dataset": orchestrator.File(orchestrator.Blob{URI: w.st.URI("incoming/missing.csv")})}}
	if _, err := registry.PutLaunchRequest(ctx, w.st, r); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(functions.SQSEvent{Records: []functions.SQSMessage{
		{MessageID: "m1", Body: string(functions.ObjectCreated(bucket, registry.LaunchRequestKey(r.ID), 1, "e", "", clock))}}})
	out, err := w.c.Advance(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	if f := out.(functions.BatchResponse).BatchItemFailures; len(f) != 0 {
		t.Fatalf("a request that can never start was sent back for redelivery: %v", f)
	}
	rej, err := registry.GetRejection(ctx, w.st, "default", "development", r.ID)
	if err != nil || !strings.Contains(rej.Reason, "dataset") {
		t.Fatalf("rejection %+v %v: want the reason, naming the input", rej, err)
	}
}

func TestAdvanceCountsReclaims(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	ref := w.startExec(t, "r1a2b3c4d")
	first := w.d.jobs[0]
	// Batch retried the job on a new host after a spot reclaim: RUNNING
	// again, with the lost attempt in attempts[].
	var ev map[string]any
	_ = json.Unmarshal(fixture(t, "batch-job-failed-host-reclaim.json"), &ev)
	d := ev["detail"].(map[string]any)
	d["status"] = "RUNNING"
	d["attempts"] = d["attempts"].([]any)[:1]
	d["tags"].(map[string]any)["aloft:node"] = first.Node
	b, _ := json.Marshal(ev)
	msg, _ := json.Marshal(functions.SQSEvent{Records: []functions.SQSMessage{{MessageID: "m1", Body: string(b)}}})
	if _, err := w.c.Advance(ctx, msg); err != nil {
		t.Fatal(err)
	}
	s, _ := w.c.Engine.Load(ctx, ref)
	i, _ := s.Compiled().NodeIndex(first.Node)
	if ns := s.Nodes[i]; ns.Phase != orchestrator.Running || ns.Reclaims != 1 {
		t.Fatalf("phase %s reclaims %d, want running with 1 reclaim", ns.Phase, ns.Reclaims)
	}
}

func TestFromS3Notification(t *testing.T) {
	events, ok := functions.FromS3Notification(fixture(t, "s3-notification.json"))
	if !ok || len(events) != 2 {
		t.Fatalf("%d events, ok %v: want the created and the removed object", len(events), ok)
	}
	env, err := functions.ParseEnvelope(events[0])
	if err != nil {
		t.Fatal(err)
	}
	d, _ := env.S3()
	if env.DetailType != functions.TypeObjectCreated || d.Object.Key != "incoming/diabetes/pima 2026-11-28.csv" ||
		d.Object.VersionID != "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e" || d.Object.Size != 23873 || !env.Time.Equal(time.Date(2026, 11, 28, 2, 0, 3, 123e6, time.UTC)) {
		t.Errorf("created: %+v %+v", env, d)
	}
	if env, _ := functions.ParseEnvelope(events[1]); env.DetailType != functions.TypeObjectDeleted {
		t.Errorf("removed: %+v", env)
	}
	if ev, ok := functions.FromS3Notification([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-28T02:00:00Z","Bucket":"aloft-test-bucket"}`)); !ok || len(ev) != 0 {
		t.Errorf("S3's test event: %d events, ok %v", len(ev), ok)
	}
	if _, ok := functions.FromS3Notification(fixture(t, "s3-object-created-incoming.json")); ok {
		t.Error("an EventBridge event was taken for an S3 notification")
	}
}

func TestCancelBeforeStart(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	id := "r0cancelled0early"
	if err := registry.PutCancelRequest(ctx, w.st, &registry.CancelRequest{Project: "default", Domain: "development", Exec: id, Reason: "changed my mind", RequestedAt: clock}); err != nil {
		t.Fatal(err)
	}
	cancelMsg := functions.ObjectCreated(bucket, registry.CancelRequestKey(id), 1, "e", "", clock)
	if _, err := registry.PutLaunchRequest(ctx, w.st, &registry.LaunchRequest{ID: id, Project: "default", Domain: "development",
		LaunchPlan: "diabetes_nightly", RequestedAt: clock,
		Inputs: map[string]orchestrator.Literal{"dataset": orchestrator.File(orchestrator.Blob{URI: "../../shared/data/pima-indians-diabetes.data.csv"})}}); err != nil {
		t.Fatal(err)
	}
	launchMsg := functions.ObjectCreated(bucket, registry.LaunchRequestKey(id), 1, "e", "", clock)
	// The cancel's event comes first (events are not ordered), then the launch's.
	for _, m := range [][]byte{cancelMsg, launchMsg} {
		body, _ := json.Marshal(functions.SQSEvent{Records: []functions.SQSMessage{{MessageID: "m", Body: string(m)}}})
		if _, err := w.c.Advance(ctx, body); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.c.Engine.Load(ctx, engine.Ref{Project: "default", Domain: "development", Exec: id})
	if err != nil {
		t.Fatal(err)
	}
	if s.Phase != orchestrator.ExecAborted || !strings.Contains(s.Error, "changed my mind") {
		t.Fatalf("phase %s (%q): want aborted with the request's reason", s.Phase, s.Error)
	}
}

func TestSweepDescribesLongRunningJobs(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	ref := w.startExec(t, "r1a2b3c4d")
	var asked [][]orchestrator.AttemptRef
	w.c.Describe = func(_ context.Context, _ engine.Ref, active []orchestrator.AttemptRef, wf *orchestrator.Compiled) ([]engine.Signal, error) {
		asked = append(asked, active)
		var out []engine.Signal
		for _, a := range active {
			out = append(out, engine.JobUpdate{Node: wf.Nodes[a.Node].Name, Item: a.Item, Attempt: a.Attempt,
				Failed: true, Message: "the job vanished (its events were lost)"})
		}
		return out, nil
	}
	if _, err := w.c.SweepAll(ctx); err != nil || len(asked) != 0 {
		t.Fatalf("a young job was described: %v %v", asked, err)
	}
	w.c.Now = func() time.Time { return clock.Add(3 * time.Minute) }
	if _, err := w.c.SweepAll(ctx); err != nil || len(asked) != 1 || len(asked[0]) != 1 {
		t.Fatalf("the job running for 3 minutes was not described: %v %v", asked, err)
	}
	s, _ := w.c.Engine.Load(ctx, ref)
	a := asked[0][0]
	if ns := s.Nodes[a.Node]; ns.SysErrs != 1 || !strings.Contains(ns.Err, "vanished") {
		t.Fatalf("after the describe: %+v", ns)
	}
}
