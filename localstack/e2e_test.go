package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// What the suite registers and drops.
const (
	project    = "default"
	domain     = "development"
	version    = "v1"
	launchPlan = "diabetes_nightly"
	firstKey   = "incoming/diabetes/pima.csv"
	copyKey    = "incoming/diabetes/pima-copy.csv"
	runTimeout = 100 * time.Second
)

var testTime = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

func (s *suite) workflowFile() string {
	return filepath.Join(s.root, "examples", "diabetes", "workflow.yaml")
}

// dataset is the Pima CSV kept in the repository (Decision 29).
func (s *suite) dataset() ([]byte, error) {
	p := filepath.Join(s.root, "examples", "diabetes", "data", "pima-indians-diabetes.data.csv")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("the Pima dataset: %w", err)
	}
	return b, nil
}

// once runs f the first time and hands every caller its result; a test
// that needs it fails when it failed.
type once[T any] struct {
	o   sync.Once
	v   T
	err error
}

func (o *once[T]) get(t *testing.T, f func() (T, error)) T {
	t.Helper()
	v, err := o.do(f)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// do is get for callers without a test. f must not call t.Fatal.
func (o *once[T]) do(f func() (T, error)) (T, error) {
	o.o.Do(func() { o.v, o.err = f() })
	return o.v, o.err
}

var (
	// background is work a test started and TestMain waits for.
	background sync.WaitGroup
	registered once[bool]
	firstRun   once[*run]
	secondRun  once[*run]
	localRun   once[map[string]orchestrator.Literal]
)

// register registers the diabetes workflow and launch plan (version v1,
// activated) into the bucket through S3, as `aloft register` does: task
// images built and pushed (to the suite's registry), then the registry
// objects written.
func (s *suite) register(t *testing.T) {
	t.Helper()
	registered.get(t, func() (bool, error) {
		spec, err := orchestrator.ParseFiles(s.workflowFile())
		if err != nil {
			return false, err
		}
		prepare, err := s.images.prepare(filepath.Join(s.bins, "aloft-runner"))
		if err != nil {
			return false, err
		}
		rows, err := registry.Register(context.Background(), s.store, spec, registry.RegisterOptions{
			Project: project, Domain: domain, Version: version, Activate: true, Now: time.Now(), Prepare: prepare,
		})
		if err != nil {
			return false, fmt.Errorf("register %s: %w", s.workflowFile(), err)
		}
		s.log.printf("registered %d objects", len(rows))
		return true, nil
	})
}

// run is one execution the suite started by dropping a file.
type run struct {
	key      string
	exec     string
	state    orchestrator.State
	took     time.Duration
	submits0 int // SubmitJob requests before the drop
	submits1 int // and after the run ended
}

// drop puts data at key the way `aws s3 cp` does and waits for the run it
// starts to end.
func (s *suite) drop(key string) (*run, error) {
	data, err := s.dataset()
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	r := &run{key: key, submits0: len(s.batch.Requests("SubmitJob"))}
	start := time.Now()
	if _, err := s.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		return nil, fmt.Errorf("put %s: %w", key, err)
	}
	s.log.printf("dropped %s", key)
	lr, err := s.waitLaunch(ctx, key, 30*time.Second)
	if err != nil {
		return nil, err
	}
	r.exec = lr.ID
	r.state, err = s.waitEnd(ctx, engine.Ref{Project: lr.Project, Domain: lr.Domain, Exec: lr.ID}, runTimeout)
	r.took = time.Since(start)
	r.submits1 = len(s.batch.Requests("SubmitJob"))
	if err != nil {
		return r, err
	}
	s.log.printf("execution %s of %s ended %s in %v", r.exec, key, r.state.Phase, r.took.Round(time.Millisecond))
	return r, nil
}

// waitLaunch waits for the launch request trigger writes for key.
func (s *suite) waitLaunch(ctx context.Context, key string, timeout time.Duration) (*registry.LaunchRequest, error) {
	cause := "trigger " + s.store.URI(key)
	deadline := time.Now().Add(timeout)
	for {
		reqs, err := s.launchRequests(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range reqs {
			if r.Cause == cause {
				return r, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no launch request for %s after %v (trigger calls: %s)", key, timeout, s.router.trigger.summary())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// launchRequests reads every launch request in the bucket.
func (s *suite) launchRequests(ctx context.Context) ([]*registry.LaunchRequest, error) {
	objs, err := s.store.List(ctx, registry.LaunchPrefix)
	if err != nil {
		return nil, fmt.Errorf("list launch requests: %w", err)
	}
	var out []*registry.LaunchRequest
	for _, o := range objs {
		_, id, ok := registry.RequestID(o.Key)
		if !ok {
			continue
		}
		r, err := registry.GetLaunchRequest(ctx, s.store, id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// waitEnd waits for an execution to end and returns its final state.
func (s *suite) waitEnd(ctx context.Context, ref engine.Ref, timeout time.Duration) (orchestrator.State, error) {
	eng, err := engine.New(engine.Config{Store: s.store})
	if err != nil {
		return orchestrator.State{}, err
	}
	deadline := time.Now().Add(timeout)
	for {
		st, err := eng.Load(ctx, ref)
		switch {
		case err == nil && st.Phase.Terminal():
			return st, nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return st, err
		}
		if rej, rerr := registry.GetRejection(ctx, s.store, ref.Project, ref.Domain, ref.Exec); rerr == nil {
			return st, fmt.Errorf("execution %s rejected: %s", ref.Exec, rej.Reason)
		}
		if time.Now().After(deadline) {
			if err != nil {
				return st, fmt.Errorf("execution %s did not start within %v: %w", ref.Exec, timeout, err)
			}
			return st, fmt.Errorf("execution %s still %s after %v: %s", ref.Exec, st.Phase, timeout, nodeTable(st))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// nodeTable is the nodes' names and phases.
func nodeTable(st orchestrator.State) string {
	wf := st.Compiled()
	var parts []string
	for i, n := range st.Nodes {
		name := fmt.Sprint(i)
		if wf != nil && i < len(wf.Nodes) {
			name = wf.Nodes[i].Name
		}
		part := name + "=" + n.Phase.String()
		if n.Err != "" {
			part += " (" + n.Err + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}

// localOutputs runs the same workflow locally (engine and local executor
// over a directory store) on the same dataset: the outputs the cloud run
// must reproduce.
func (s *suite) localOutputs(t *testing.T) map[string]orchestrator.Literal {
	t.Helper()
	return localRun.get(t, s.runLocally)
}

func (s *suite) runLocally() (map[string]orchestrator.Literal, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "aloft-e2e-local-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	csv := filepath.Join(dir, "pima.csv")
	data, err := s.dataset()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(csv, data, 0o644); err != nil {
		return nil, err
	}
	st, err := dirstore.Open(filepath.Join(dir, "bucket"))
	if err != nil {
		return nil, err
	}
	ex, err := local.New(st, local.Options{Env: append(os.Environ(), "PATH=/usr/bin:"+os.Getenv("PATH")), GPUs: []int{}})
	if err != nil {
		return nil, err
	}
	spec, err := orchestrator.ParseFiles(s.workflowFile())
	if err != nil {
		return nil, err
	}
	wf, err := orchestrator.Compile(spec, "diabetes_xgboost_model")
	if err != nil {
		return nil, err
	}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: ex})
	if err != nil {
		return nil, err
	}
	// The launch plan's inputs: seed 7 fixed, ratio 0.33 by default.
	ref, err := eng.Start(ctx, wf, map[string]orchestrator.Literal{
		"dataset": orchestrator.File(orchestrator.Blob{URI: csv}), "seed": orchestrator.Int(7),
	}, engine.StartOptions{})
	if err != nil {
		return nil, err
	}
	state, err := eng.Run(ctx, ref, false)
	ex.Wait()
	if err != nil {
		return nil, fmt.Errorf("local run: %w", err)
	}
	if state.Phase != orchestrator.ExecSucceeded {
		return nil, fmt.Errorf("local run %s: %s", state.Phase, nodeTable(state))
	}
	s.log.printf("local run: accuracy %s", state.Outputs["accuracy"].Text())
	return state.Outputs, nil
}

// TestAdvanceAnswersUnderRIE invokes the advance binary under
// aws-lambda-rie directly with the sweep rule's input and with an SQS
// batch of the real shape: both answers are well formed. A payload that is
// neither comes back as a handler error.
func TestAdvanceAnswersUnderRIE(t *testing.T) {
	s := need(t)
	ctx := context.Background()
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(s.root, "functions", "testdata", "events", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	res, err := s.fns["advance"].invoke(ctx, fixture("sweep.json"))
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	var sum functions.SweepSummary
	if err := strictJSON(res, &sum); err != nil || !bytes.Contains(res, []byte(`"executions"`)) {
		t.Fatalf("sweep answered %s, not a sweep summary (%v)", res, err)
	}

	// The fixture's events name another bucket and executions that do not
	// exist; whatever advance makes of them, it answers for each message.
	res, err = s.fns["advance"].invoke(ctx, fixture("sqs-batch.json"))
	if err != nil {
		t.Fatalf("SQS batch: %v", err)
	}
	var resp functions.BatchResponse
	if err := strictJSON(res, &resp); err != nil || resp.BatchItemFailures == nil {
		t.Fatalf("SQS batch answered %s, not a batch response with batchItemFailures (%v)", res, err)
	}
	var batch functions.SQSEvent
	if err := json.Unmarshal(fixture("sqs-batch.json"), &batch); err != nil {
		t.Fatal(err)
	}
	for _, f := range resp.BatchItemFailures {
		if !slices.ContainsFunc(batch.Records, func(m functions.SQSMessage) bool { return m.MessageID == f.ItemIdentifier }) {
			t.Errorf("batchItemFailures names %q, not a message of the batch", f.ItemIdentifier)
		}
	}

	_, err = s.fns["advance"].invoke(ctx, []byte(`{"hello": "world"}`))
	var fe *funcError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "sweep") {
		t.Errorf("a payload that is neither an SQS event nor a sweep: %v, want a handler error", err)
	}
}

// strictJSON decodes b into v, refusing fields v does not have.
func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// TestRegisterMakesTheScheduleRule registers the diabetes launch plan
// through S3: its active.json reaches registrar, which puts the schedule
// rule in EventBridge, targeting trigger with the scheduled time.
func TestRegisterMakesTheScheduleRule(t *testing.T) {
	s := need(t)
	s.register(t)
	ctx := context.Background()
	name := functions.RuleName(functions.DefaultRulePrefix, project, domain, launchPlan)
	var rule *eventbridge.DescribeRuleOutput
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		rule, err = s.events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rule %s not made within 30 s: %v (registrar calls: %s)", name, err, s.router.registrar.summary())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := aws.ToString(rule.ScheduleExpression); got != "cron(0 3 * * ? *)" {
		t.Errorf("rule %s: schedule %q, want cron(0 3 * * ? *)", name, got)
	}
	if rule.State != "ENABLED" {
		t.Errorf("rule %s: state %s, want ENABLED", name, rule.State)
	}
	targets, err := s.events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets.Targets) != 1 {
		t.Fatalf("rule %s has %d targets, want 1 (trigger)", name, len(targets.Targets))
	}
	tg := targets.Targets[0]
	if aws.ToString(tg.Arn) != triggerARN {
		t.Errorf("target %s, want the trigger function %s", aws.ToString(tg.Arn), triggerARN)
	}
	it := tg.InputTransformer
	if it == nil || it.InputPathsMap["time"] != "$.time" || len(it.InputPathsMap) != 1 {
		t.Fatalf("target input transformer %+v: want InputPathsMap {time: $.time}", it)
	}
	// What trigger receives when the rule fires at 03:00.
	fired := strings.ReplaceAll(aws.ToString(it.InputTemplate), "<time>", "2026-11-29T03:00:00Z")
	var in functions.ScheduleInput
	if err := strictJSON([]byte(fired), &in); err != nil || in.Schedule == nil {
		t.Fatalf("the input template %q does not give a schedule input: %v", aws.ToString(it.InputTemplate), err)
	}
	if sc := in.Schedule; sc.Project != project || sc.Domain != domain || sc.LaunchPlan != launchPlan || !sc.Time.Equal(time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("schedule input %+v: want %s/%s/%s at 03:00", *sc, project, domain, launchPlan)
	}
	if s.eb != nil {
		// The requests themselves, as registrar sent them.
		puts := s.eb.Requests("PutRule")
		if len(puts) == 0 || !bytes.Contains(puts[0].Body, []byte(`"ScheduleExpression":"cron(0 3 * * ? *)"`)) {
			t.Errorf("PutRule requests: %s", bodies(puts))
		}
		pts := s.eb.Requests("PutTargets")
		if len(pts) == 0 || !bytes.Contains(pts[0].Body, []byte(`"InputPathsMap":{"time":"$.time"}`)) || !bytes.Contains(pts[0].Body, []byte(triggerARN)) {
			t.Errorf("PutTargets requests: %s", bodies(pts))
		}
	}
}

func bodies(rs []ebRequest) string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r.Body))
	}
	return strings.Join(out, "\n")
}

// TestDropRunsThePipeline drops the Pima CSV into incoming/diabetes/: the
// run goes through trigger, advance, Batch (the runner as a local process)
// and back, and its accuracy equals that of the same workflow run locally.
func TestDropRunsThePipeline(t *testing.T) {
	s := need(t)
	r := s.first(t)
	if r.state.Phase != orchestrator.ExecSucceeded {
		t.Fatalf("execution %s: %s: %s", r.exec, r.state.Phase, nodeTable(r.state))
	}
	want := s.localOutputs(t)
	got := r.state.Outputs["accuracy"]
	if !got.Equal(want["accuracy"]) {
		t.Fatalf("accuracy %s, want %s (the local run's)", got.Text(), want["accuracy"].Text())
	}
	if n := r.submits1 - r.submits0; n < len(r.state.Nodes) {
		t.Errorf("%d SubmitJob requests for %d nodes", n, len(r.state.Nodes))
	}
	// The jobs run the images register built and pushed, pinned by digest.
	defs := s.batch.Requests("RegisterJobDefinition")
	if len(defs) == 0 {
		t.Error("no job definition registered")
	}
	for _, d := range defs {
		var in struct {
			ContainerProperties struct{ Image string } `json:"containerProperties"`
		}
		_ = json.Unmarshal(d.Body, &in)
		if img := in.ContainerProperties.Image; !strings.HasPrefix(img, taskRepo+"@sha256:") {
			t.Errorf("a job definition runs image %q, not one register pushed to %s", img, taskRepo)
		}
	}
	t.Logf("execution %s: accuracy %s, %v from the drop to the end", r.exec, got.Text(), r.took.Round(time.Millisecond))
}

// first is the run of the first drop (made once, whichever test asks first).
func (s *suite) first(t *testing.T) *run {
	t.Helper()
	s.register(t)
	// The local expectation computes while the cloud run goes.
	background.Go(func() { _, _ = localRun.do(s.runLocally) })
	return firstRun.get(t, func() (*run, error) { return s.drop(firstKey) })
}

// TestSecondDropIsServedFromTheCache drops the same bytes under another
// key: a second run starts, and every node is served from the cache, with
// no job submitted.
func TestSecondDropIsServedFromTheCache(t *testing.T) {
	s := need(t)
	first := s.first(t)
	r := secondRun.get(t, func() (*run, error) { return s.drop(copyKey) })
	if r.exec == first.exec {
		t.Fatalf("the second drop ran in the first's execution %s", r.exec)
	}
	if r.state.Phase != orchestrator.ExecSucceeded {
		t.Fatalf("execution %s: %s: %s", r.exec, r.state.Phase, nodeTable(r.state))
	}
	for i, n := range r.state.Nodes {
		if n.Phase != orchestrator.Cached {
			t.Errorf("node %s: %s, want cached", r.state.Compiled().Nodes[i].Name, n.Phase)
		}
	}
	if n := r.submits1 - r.submits0; n != 0 {
		t.Errorf("%d SubmitJob requests for a run served from the cache", n)
	}
	for name, want := range first.state.Outputs {
		if got := r.state.Outputs[name]; !got.Equal(want) {
			t.Errorf("output %s: %s, the first run's %s (a hit points at the cached objects)", name, got.Text(), want.Text())
		}
	}
	if !t.Failed() {
		t.Logf("execution %s: all %d nodes cached, %v from the drop to the end", r.exec, len(r.state.Nodes), r.took.Round(time.Millisecond))
	}
}

// TestDuplicateDeliveries checks what the router's doubled deliveries did:
// each drop was handed to trigger twice and started one execution; every
// Batch event reached advance twice and no attempt ran twice (a runner
// that ran its task uploads its outputs once, so each output key was
// created once).
func TestDuplicateDeliveries(t *testing.T) {
	s := need(t)
	first := s.first(t)
	ctx := context.Background()

	// One webhook record, two trigger invocations, one execution.
	var launched []functions.Launched
	for _, res := range s.router.trigger.Results() {
		if eventKey(res.Event) != firstKey {
			continue
		}
		if res.Err != nil {
			t.Errorf("trigger for %s: %v", firstKey, res.Err)
			continue
		}
		var ls []functions.Launched
		if err := json.Unmarshal(res.Result, &ls); err != nil {
			t.Fatalf("trigger answered %s: %v", res.Result, err)
		}
		launched = append(launched, ls...)
	}
	if len(launched) < deliveries {
		t.Fatalf("trigger launched %+v for %s, want %d invocations (one per delivery)", launched, firstKey, deliveries)
	}
	fresh := 0
	for _, l := range launched {
		if l.Execution != first.exec {
			t.Errorf("a delivery of %s launched %s, not %s", firstKey, l.Execution, first.exec)
		}
		if l.New {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d of %d deliveries of %s wrote a new launch request, want 1", fresh, len(launched), firstKey)
	}
	reqs, err := s.launchRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	execs, err := s.executions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range reqs {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	if !slices.Equal(ids, execs) {
		t.Errorf("executions %v, want one per launch request %v", execs, ids)
	}

	// Every Batch event twice, no attempt run twice.
	s.router.mu.Lock()
	emitted, sent := s.router.batchEvents, s.router.batchSent
	s.router.mu.Unlock()
	if emitted == 0 || sent < deliveries*len(first.state.Nodes) {
		t.Errorf("the Batch double emitted %d events and %d deliveries went to the queue", emitted, sent)
	}
	// Upload events may trail the run's end (the webhook posts from
	// goroutines; LocalStack's rule delivers through a queue).
	want := nodesWithFiles(first.state.Compiled())
	var uploads map[string]int
	ran := 0
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		uploads, ran = s.router.UploadCounts(), 0
		attempts := map[string]bool{}
		for key := range uploads {
			prefix, _, _ := strings.Cut(key, "/outputs/")
			attempts[prefix] = true
		}
		for p := range attempts {
			if strings.HasPrefix(p, "data/"+first.exec+"/") {
				ran++
			}
		}
		if ran >= want || time.Now().After(deadline) {
			break
		}
	}
	for key, n := range uploads {
		if n != 1 {
			t.Errorf("%s created %d times: its attempt ran more than once", key, n)
		}
	}
	if ran != want {
		t.Errorf("%d attempts of %s uploaded outputs, want one per node with file outputs (%d): %v", ran, first.exec, want, uploads)
	}
	t.Logf("%d Batch events emitted, %d deliveries; %d output uploads, each once", emitted, sent, len(uploads))
}

// executions lists the executions in the bucket, sorted.
func (s *suite) executions(ctx context.Context) ([]string, error) {
	objs, err := s.store.List(ctx, "executions/"+project+"/"+domain+"/")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		rest := strings.TrimPrefix(o.Key, "executions/"+project+"/"+domain+"/")
		if exec, file, ok := strings.Cut(rest, "/"); ok && file == "state.json" {
			out = append(out, exec)
		}
	}
	sort.Strings(out)
	return out, nil
}

// TestNoMachineryFailures fails when the suite's router could not deliver
// something, or a function invocation failed for good.
func TestNoMachineryFailures(t *testing.T) {
	s := need(t)
	for _, f := range s.router.Failures() {
		t.Error(f)
	}
	for _, a := range []*asyncTarget{s.router.trigger, s.router.registrar} {
		for _, r := range a.Results() {
			if r.Err != nil {
				t.Errorf("%s [%s]: %v", a.fn.name, describe(r.Event), r.Err)
			}
		}
	}
}

// eventKey is the object key an S3 event names.
func eventKey(event []byte) string {
	var e struct {
		Detail functions.S3Detail `json:"detail"`
	}
	_ = json.Unmarshal(event, &e)
	return e.Detail.Object.Key
}

// nodesWithFiles counts the nodes whose task has a file or directory
// output (the others' outputs are values inside outputs.json).
func nodesWithFiles(wf *orchestrator.Compiled) int {
	n := 0
	for _, node := range wf.Nodes {
		t := wf.Tasks[node.Task]
		if t != nil && slices.ContainsFunc(t.Outputs, func(p orchestrator.Param) bool {
			return p.Type.Kind == orchestrator.KindFile || p.Type.Kind == orchestrator.KindDirectory
		}) {
			n++
		}
	}
	return n
}
