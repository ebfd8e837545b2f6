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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	require.NoError(t, err)
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
	adv   *functions.Advance
	trig  *functions.Trigger
	reg   *functions.Registrar
	d     *recorder
	rules *rules
}

// newWorld is the control plane over a directory bucket whose events name
// the bucket of the fixtures, with the diabetes example registered and its
// launch plan active.
func newWorld(t *testing.T, wrap func(store.Store) store.Store) *world {
	t.Helper()
	dir, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	require.NoError(t, err)
	var st store.Store = dir
	if wrap != nil {
		st = wrap(dir)
	}
	d := &recorder{}
	n := 0
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, Now: func() time.Time { return clock },
		NewID: func() string { n++; return fmt.Sprintf("n%d", n) }})
	require.NoError(t, err)
	r := &rules{}
	base := functions.Base{Store: st, Bucket: bucket, Now: func() time.Time { return clock }}
	spec, err := orchestrator.ParseFiles("../examples/diabetes/workflow.yaml")
	require.NoError(t, err)
	_, err = registry.Register(context.Background(), dir, spec, registry.RegisterOptions{
		Project: "default", Domain: "development", Version: "v1", Activate: true, Now: clock})
	require.NoError(t, err)
	return &world{st: st, dir: dir, d: d, rules: r,
		adv:  &functions.Advance{Base: base, Engine: eng, JobEvents: functions.BatchJobEvents(st)},
		trig: &functions.Trigger{Base: base},
		reg:  &functions.Registrar{Base: base, Rules: r}}
}

func TestTriggerStartsOneRunPerObjectVersion(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	ev := fixture(t, "s3-object-created-incoming.json")
	got, err := w.trig.Handle(ctx, ev)
	require.NoError(t, err)
	key := "incoming/diabetes/pima-2026-11-28.csv"
	want := registry.TriggerID("default", "development", "diabetes_nightly", key, "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e")
	require.Len(t, got, 1, "trigger: want one new run %s", want)
	require.Equal(t, want, got[0].Execution)
	require.True(t, got[0].New, "trigger: %+v, want a new run", got)
	require.Equal(t, "diabetes_nightly", got[0].LaunchPlan)
	r, err := registry.GetLaunchRequest(ctx, w.st, want)
	require.NoError(t, err)
	in := r.Inputs["dataset"]
	assert.Equal(t, orchestrator.KindFile, in.Kind, "dataset input %+v", in)
	assert.Equal(t, w.st.URI(key), in.Blob.URI, "dataset input: want the object")
	assert.Equal(t, "v1", r.Version, "request %+v", r)
	assert.True(t, strings.HasPrefix(r.Cause, "trigger "), "request cause %q", r.Cause)
	// The same event again (EventBridge delivers at least once): nothing new.
	again, err := w.trig.Handle(ctx, ev)
	require.NoError(t, err)
	require.Len(t, again, 1, "duplicate")
	require.False(t, again[0].New, "duplicate: %+v", again)
	require.Equal(t, want, again[0].Execution, "duplicate")
	// Another key that no trigger matches starts nothing; another bucket is refused.
	other := strings.Replace(string(ev), "incoming/diabetes/pima-2026-11-28.csv", "incoming/other/pima.csv", 1)
	got, err = w.trig.Handle(ctx, []byte(other))
	assert.NoError(t, err, "unmatched key")
	assert.Empty(t, got, "unmatched key")
	wrongSuffix := strings.Replace(string(ev), "pima-2026-11-28.csv", "pima-2026-11-28.parquet", 1)
	got, err = w.trig.Handle(ctx, []byte(wrongSuffix))
	assert.NoError(t, err, "unmatched suffix")
	assert.Empty(t, got, "unmatched suffix")
	otherBucket := strings.Replace(string(ev), `"name": "aloft-test-bucket"`, `"name": "someone-else"`, 1)
	_, err = w.trig.Handle(ctx, []byte(otherBucket))
	assert.Error(t, err, "an object of another bucket was accepted")
}

func TestTriggerSchedule(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	got, err := w.trig.Handle(ctx, fixture(t, "scheduled-trigger-input.json"))
	require.NoError(t, err)
	want := registry.ScheduleID("default", "development", "diabetes_nightly", time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	require.Len(t, got, 1, "schedule")
	require.Equal(t, want, got[0].Execution, "schedule")
	require.True(t, got[0].New, "schedule: %+v", got)
	again, _ := w.trig.Handle(ctx, fixture(t, "scheduled-trigger-input.json"))
	require.Len(t, again, 1, "duplicate schedule event")
	require.False(t, again[0].New, "duplicate schedule event started a run: %+v", again)
	// A schedule of a launch plan deactivated meanwhile starts nothing.
	require.NoError(t, registry.Deactivate(ctx, w.st, "default", "development", "diabetes_nightly"))
	got, err = w.trig.Handle(ctx, fixture(t, "scheduled-trigger-input.json"))
	require.NoError(t, err, "inactive plan")
	require.Empty(t, got, "inactive plan")
}

func TestRegistrar(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	got, err := w.reg.Handle(ctx, fixture(t, "s3-object-created-active.json"))
	require.NoError(t, err)
	rule := "aloft-lp-default-development-diabetes_nightly"
	require.Equal(t, "put", got.Action, "created")
	require.Equal(t, rule, got.Rule, "created")
	require.Len(t, w.rules.put, 1, "created")
	r := w.rules.put[0]
	assert.Equal(t, "cron(0 3 * * ? *)", r.Schedule, "rule %+v", r)
	assert.True(t, r.Enabled, "rule %+v", r)
	// The rule's input, with the time an input transformer puts in, is
	// what trigger takes.
	in := strings.Replace(r.Input, functions.TimePlaceholder, "2026-11-28T02:00:00Z", 1)
	var si functions.ScheduleInput
	require.NoError(t, json.Unmarshal([]byte(in), &si), "rule input %s", r.Input)
	require.NotNil(t, si.Schedule, "rule input %s", r.Input)
	require.Equal(t, "diabetes_nightly", si.Schedule.LaunchPlan, "rule input %s", r.Input)
	var want, have any
	_ = json.Unmarshal(fixture(t, "scheduled-trigger-input.json"), &want)
	_ = json.Unmarshal([]byte(in), &have)
	assert.Equal(t, fmt.Sprint(want), fmt.Sprint(have), "rule input %s differs from the fixture trigger is tested with", in)
	got, err = w.reg.Handle(ctx, fixture(t, "s3-object-deleted-active.json"))
	require.NoError(t, err, "deleted")
	require.Equal(t, "deleted", got.Action, "deleted")
	require.Equal(t, []string{rule}, w.rules.deleted, "deleted")
}

func TestRuleNames(t *testing.T) {
	short := functions.RuleName("aloft-lp-", "default", "development", "nightly")
	assert.Equal(t, "aloft-lp-default-development-nightly", short, "short name")
	long := functions.RuleName("aloft-lp-", "a-very-long-project-name", "production", "the_launch_plan_with_a_long_name")
	long2 := functions.RuleName("aloft-lp-", "a-very-long-project-name", "production", "the_launch_plan_with_a_long_name2")
	assert.LessOrEqual(t, len(long), 64, "long name %q", long)
	assert.NotEqual(t, long, long2, "two launch plans share a rule")
	assert.True(t, strings.HasPrefix(long, "aloft-lp-"), "long name %q", long)
}

// startExec starts an execution of the registered diabetes workflow under id.
func (w *world) startExec(t *testing.T, id string) engine.Ref {
	t.Helper()
	ctx := context.Background()
	r := &registry.LaunchRequest{ID: id, Project: "default", Domain: "development", LaunchPlan: "diabetes_nightly",
		Inputs: map[string]orchestrator.Literal{"dataset": orchestrator.File(orchestrator.Blob{URI: "examples/diabetes/data/pima-indians-diabetes.data.csv"})}}
	wf, in, _, err := registry.Resolve(ctx, w.st, r)
	require.NoError(t, err)
	abs, _ := filepath.Abs("..")
	ref, err := w.adv.Engine.Start(ctx, wf, in, engine.StartOptions{Exec: id, LaunchPlan: "diabetes_nightly", BaseDir: abs, Swept: true})
	require.NoError(t, err)
	_, err = w.adv.Engine.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	return ref
}

func TestAdvanceSQSBatchFixture(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	old := w.startExec(t, "r1a2b3c4d")
	before, _ := w.adv.Engine.Load(ctx, old)
	// The launch request the batch's third message announces.
	_, err := registry.PutLaunchRequest(ctx, w.st, &registry.LaunchRequest{ID: "l7f3a9c2e41d0b6a5", Project: "default",
		Domain: "development", LaunchPlan: "diabetes_nightly", RequestedAt: clock, Cause: "cli",
		Inputs: map[string]orchestrator.Literal{"dataset": orchestrator.File(orchestrator.Blob{URI: w.st.URI("data/r1a2b3c4d/inputs/dataset/pima-indians-diabetes.data.csv")})}})
	require.NoError(t, err)
	out, err := w.adv.Handle(ctx, fixture(t, "sqs-batch.json"))
	require.NoError(t, err)
	resp := out.(functions.BatchResponse)
	require.Empty(t, resp.BatchItemFailures, "failures")
	// The launch started its execution and dispatched its first task.
	s, err := w.adv.Engine.Load(ctx, engine.Ref{Project: "default", Domain: "development", Exec: "l7f3a9c2e41d0b6a5"})
	require.NoError(t, err)
	assert.Equal(t, "diabetes_nightly", s.LaunchPlan, "launched")
	assert.Equal(t, orchestrator.ExecRunning, s.Phase, "launched")
	var launched int
	for _, j := range w.d.jobs {
		if j.Exec == "l7f3a9c2e41d0b6a5" {
			launched++
		}
	}
	assert.Equal(t, 1, launched, "jobs for the launched run: want 1 (its first node)")
	// The result and the reclaim of an attempt that was never dispatched
	// (train has not run in r1a2b3c4d) change nothing.
	after, _ := w.adv.Engine.Load(ctx, old)
	assert.Equal(t, before.Seq, after.Seq, "stale events changed r1a2b3c4d")
	// Delivered again: still one run, no new job.
	jobs := len(w.d.jobs)
	_, err = w.adv.Handle(ctx, fixture(t, "sqs-batch.json"))
	require.NoError(t, err, "redelivery")
	require.Len(t, w.d.jobs, jobs, "redelivery: new jobs")
}

func TestAdvanceBatchEventsFailAttempts(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	ref := w.startExec(t, "r1a2b3c4d")
	s, _ := w.adv.Engine.Load(ctx, ref)
	first := w.d.jobs[0]
	// The host-reclaim fixture, retargeted at the attempt that is queued.
	ev := strings.ReplaceAll(string(fixture(t, "batch-job-failed-host-reclaim.json")), `"aloft:node": "train"`, `"aloft:node": "`+first.Node+`"`)
	body, _ := json.Marshal(functions.SQSEvent{Records: []functions.SQSMessage{{MessageID: "m1", Body: ev}}})
	_, err := w.adv.Handle(ctx, body)
	require.NoError(t, err)
	s2, _ := w.adv.Engine.Load(ctx, ref)
	i, _ := s.Compiled().NodeIndex(first.Node)
	ns := s2.Nodes[i]
	require.Equal(t, orchestrator.Retrying, ns.Phase, "after the reclaim")
	require.Equal(t, 1, ns.SysErrs, "after the reclaim: system errors")
	require.Contains(t, ns.Err, "host was lost 2 times", "after the reclaim")
	// The attempt's own error.json wins over the job's reason.
	// (Array children map through their manifest.)
	manifest := batchrunner.ArrayManifest{Exec: "r1a2b3c4d", Node: "score", Prefixes: []string{"data/r1a2b3c4d/score.0/2/",
		"data/r1a2b3c4d/score.1/2/", "data/r1a2b3c4d/score.2/2/", "data/r1a2b3c4d/score.3/2/"}}
	_, err = store.PutJSON(ctx, w.st, "data/r1a2b3c4d/score/array-5d41402abc4b.json", manifest, store.PutOptions{})
	require.NoError(t, err)
	je, ok, err := functions.BatchJobEvents(w.st)(ctx, fixture(t, "batch-job-failed-array-child.json"))
	require.NoError(t, err, "array child")
	require.True(t, ok, "array child")
	u := je.Update
	assert.Equal(t, "score", u.Node, "array child update %+v", u)
	assert.Equal(t, 3, u.Item, "array child update %+v", u)
	assert.Equal(t, 2, u.Attempt, "array child update %+v", u)
	assert.True(t, u.Failed, "array child update %+v", u)
	assert.Contains(t, u.Message, "CannotPullContainerError", "array child update")
	for _, f := range []string{"batch-job-running.json", "batch-job-failed-oom.json", "batch-job-succeeded.json"} {
		je, ok, err := functions.BatchJobEvents(w.st)(ctx, fixture(t, f))
		if !assert.NoError(t, err, f) {
			continue
		}
		switch f {
		case "batch-job-running.json":
			assert.True(t, ok && je.Update.Started, "%s: %+v %v", f, je, ok)
		case "batch-job-failed-oom.json":
			assert.True(t, ok && je.Update.Kind == orchestrator.ErrOOM, "%s: %+v %v", f, je, ok)
		case "batch-job-succeeded.json":
			assert.False(t, ok, "%s: a success decides nothing (outputs.json does), got %+v", f, je)
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
	bad := functions.Advance{Base: functions.Base{Store: failingStates{healthy.st}, Bucket: bucket}}
	eng, _ := engine.New(engine.Config{Store: bad.Store, Dispatcher: healthy.d, Now: func() time.Time { return clock }})
	bad.Engine = eng
	result := first.Prefix + batchrunner.ClaimFile
	require.NoError(t, batchrunner.Claim(ctx, healthy.st, first.Prefix, "job-1", clock))
	ev := functions.ObjectCreated(bucket, result, 10, "e", "", clock)
	body, _ := json.Marshal(functions.SQSEvent{Records: []functions.SQSMessage{
		{MessageID: "good-but-unlucky", Body: string(ev)},
		{MessageID: "garbage", Body: "not json"},
		{MessageID: "stranger", Body: string(functions.ObjectCreated(bucket, "tmp/x", 1, "e", "", clock))},
	}})
	out, err := bad.Handle(ctx, body)
	require.NoError(t, err)
	resp := out.(functions.BatchResponse)
	require.Equal(t, []functions.ItemFailure{{ItemIdentifier: "good-but-unlucky"}}, resp.BatchItemFailures,
		"want only the message whose execution could not be saved (the others can never succeed)")
}

func TestSweepFixture(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	w.startExec(t, "r1a2b3c4d")
	out, err := w.adv.Handle(ctx, fixture(t, "sweep.json"))
	require.NoError(t, err)
	sum := out.(functions.SweepSummary)
	require.Equal(t, 1, sum.Executions, "sweep: %+v", sum)
	require.Empty(t, sum.Errors, "sweep")
}

func TestReadEnv(t *testing.T) {
	_, err := functions.ReadEnv("advance", func(string) string { return "" })
	require.ErrorContains(t, err, "ALOFT_STORE, ALOFT_QUEUE_URL, ALOFT_JOB_QUEUE_CPU", "missing")
	env := map[string]string{"ALOFT_STORE": "s3://b/p", "ALOFT_TRIGGER_ARN": "arn:aws:lambda:us-east-1:1:function:t"}
	e, err := functions.ReadEnv("registrar", func(k string) string { return env[k] })
	require.NoError(t, err, "registrar env")
	require.Equal(t, "b", e.Bucket(), "registrar env")
	require.Equal(t, "aloft-lp-", e.RulePrefix, "registrar env")
	env["ALOFT_STORE"] = "/tmp/bucket"
	_, err = functions.ReadEnv("trigger", func(k string) string { return env[k] })
	require.Error(t, err, "a directory store was accepted in Lambda")
}

func TestAdvanceRejectsLaunchesThatCannotStart(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	r := &registry.LaunchRequest{ID: "r0bad0input", Project: "default", Domain: "development", LaunchPlan: "diabetes_nightly",
		RequestedAt: clock, Inputs: map[string]orchestrator.Literal{"dataset": orchestrator.File(orchestrator.Blob{URI: w.st.URI("incoming/missing.csv")})}}
	_, err := registry.PutLaunchRequest(ctx, w.st, r)
	require.NoError(t, err)
	body, _ := json.Marshal(functions.SQSEvent{Records: []functions.SQSMessage{
		{MessageID: "m1", Body: string(functions.ObjectCreated(bucket, registry.LaunchRequestKey(r.ID), 1, "e", "", clock))}}})
	out, err := w.adv.Handle(ctx, body)
	require.NoError(t, err)
	require.Empty(t, out.(functions.BatchResponse).BatchItemFailures, "a request that can never start was sent back for redelivery")
	rej, err := registry.GetRejection(ctx, w.st, "default", "development", r.ID)
	require.NoError(t, err, "rejection")
	require.Contains(t, rej.Reason, "dataset", "rejection: want the reason, naming the input")
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
	_, err := w.adv.Handle(ctx, msg)
	require.NoError(t, err)
	s, _ := w.adv.Engine.Load(ctx, ref)
	i, _ := s.Compiled().NodeIndex(first.Node)
	ns := s.Nodes[i]
	require.Equal(t, orchestrator.Running, ns.Phase, "want running with 1 reclaim")
	require.Equal(t, 1, ns.Reclaims, "want running with 1 reclaim")
}

func TestFromS3Notification(t *testing.T) {
	events, ok := functions.FromS3Notification(fixture(t, "s3-notification.json"))
	require.True(t, ok)
	require.Len(t, events, 2, "want the created and the removed object")
	env, err := functions.ParseEnvelope(events[0])
	require.NoError(t, err)
	d, _ := env.S3()
	assert.Equal(t, functions.TypeObjectCreated, env.DetailType, "created")
	assert.Equal(t, "incoming/diabetes/pima 2026-11-28.csv", d.Object.Key, "created")
	assert.Equal(t, "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", d.Object.VersionID, "created")
	assert.Equal(t, int64(23873), d.Object.Size, "created")
	assert.True(t, env.Time.Equal(time.Date(2026, 11, 28, 2, 0, 3, 123e6, time.UTC)), "created at %s", env.Time)
	removed, err := functions.ParseEnvelope(events[1])
	require.NoError(t, err)
	assert.Equal(t, functions.TypeObjectDeleted, removed.DetailType, "removed")
	ev, ok := functions.FromS3Notification([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-28T02:00:00Z","Bucket":"aloft-test-bucket"}`))
	assert.True(t, ok, "S3's test event")
	assert.Empty(t, ev, "S3's test event")
	_, ok = functions.FromS3Notification(fixture(t, "s3-object-created-incoming.json"))
	assert.False(t, ok, "an EventBridge event was taken for an S3 notification")
}

func TestCancelBeforeStart(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	id := "r0cancelled0early"
	require.NoError(t, registry.PutCancelRequest(ctx, w.st, &registry.CancelRequest{Project: "default", Domain: "development", Exec: id, Reason: "changed my mind", RequestedAt: clock}))
	cancelMsg := functions.ObjectCreated(bucket, registry.CancelRequestKey(id), 1, "e", "", clock)
	_, err := registry.PutLaunchRequest(ctx, w.st, &registry.LaunchRequest{ID: id, Project: "default", Domain: "development",
		LaunchPlan: "diabetes_nightly", RequestedAt: clock,
		Inputs: map[string]orchestrator.Literal{"dataset": orchestrator.File(orchestrator.Blob{URI: "../examples/diabetes/data/pima-indians-diabetes.data.csv"})}})
	require.NoError(t, err)
	launchMsg := functions.ObjectCreated(bucket, registry.LaunchRequestKey(id), 1, "e", "", clock)
	// The cancel's event comes first (events are not ordered), then the launch's.
	for _, m := range [][]byte{cancelMsg, launchMsg} {
		body, _ := json.Marshal(functions.SQSEvent{Records: []functions.SQSMessage{{MessageID: "m", Body: string(m)}}})
		_, err := w.adv.Handle(ctx, body)
		require.NoError(t, err)
	}
	s, err := w.adv.Engine.Load(ctx, engine.Ref{Project: "default", Domain: "development", Exec: id})
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecAborted, s.Phase, "want aborted with the request's reason")
	require.Contains(t, s.Error, "changed my mind", "want aborted with the request's reason")
}

func TestSweepDescribesLongRunningJobs(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, nil)
	ref := w.startExec(t, "r1a2b3c4d")
	var asked [][]orchestrator.AttemptRef
	w.adv.Describe = func(_ context.Context, _ engine.Ref, active []orchestrator.AttemptRef, wf *orchestrator.Compiled) ([]engine.Signal, error) {
		asked = append(asked, active)
		var out []engine.Signal
		for _, a := range active {
			out = append(out, engine.JobUpdate{Node: wf.Nodes[a.Node].Name, Item: a.Item, Attempt: a.Attempt,
				Failed: true, Message: "the job vanished (its events were lost)"})
		}
		return out, nil
	}
	_, err := w.adv.SweepAll(ctx)
	require.NoError(t, err)
	require.Empty(t, asked, "a young job was described")
	w.adv.Now = func() time.Time { return clock.Add(3 * time.Minute) }
	_, err = w.adv.SweepAll(ctx)
	require.NoError(t, err)
	require.Len(t, asked, 1, "the job running for 3 minutes was not described")
	require.Len(t, asked[0], 1, "the job running for 3 minutes was not described")
	s, _ := w.adv.Engine.Load(ctx, ref)
	a := asked[0][0]
	ns := s.Nodes[a.Node]
	require.Equal(t, 1, ns.SysErrs, "after the describe: %+v", ns)
	require.Contains(t, ns.Err, "vanished", "after the describe")
}
