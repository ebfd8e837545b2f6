package batchtest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/batchrunner/awsbatch"
	"github.com/aloft-run/aloft/batchrunner/awsbatch/batchtest"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// runner is an aloft-runner built for these tests.
var runner string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "batchtest")
	if err != nil {
		panic(err)
	}
	runner = filepath.Join(dir, "aloft-runner")
	build := exec.Command("go", "build", "-o", runner, "github.com/aloft-run/aloft/cmd/aloft-runner")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build aloft-runner: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// world is the double running jobs with the real runner over a directory
// bucket, and the real dispatcher submitting to it.
type world struct {
	srv    *batchtest.Server
	bucket store.Store
	d      *awsbatch.Dispatcher

	mu     sync.Mutex
	events []awsbatch.StateChange
}

func newWorld(t *testing.T, opt batchtest.Options) *world {
	t.Helper()
	dir := t.TempDir()
	bucket, err := dirstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{bucket: bucket}
	opt.Runner = runner
	opt.OnEvent = func(b []byte) {
		ev, err := awsbatch.ParseStateChange(b)
		if err != nil {
			t.Errorf("event does not parse: %v\n%s", err, b)
			return
		}
		w.mu.Lock()
		w.events = append(w.events, ev)
		w.mu.Unlock()
	}
	opt.KillGrace = time.Second
	if testing.Verbose() {
		opt.Log = os.Stderr
	}
	w.srv = batchtest.New(opt)
	t.Cleanup(w.srv.Close)
	w.d, err = awsbatch.New(awsbatch.Config{
		Client: batch.New(batch.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(w.srv.URL), Retryer: aws.NopRetryer{},
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
			}),
		}),
		Bucket:           bucket,
		Store:            "file://" + dir,
		Queues:           awsbatch.Queues{CPU: "aloft-cpu", Spot: "aloft-spot"},
		JobRoleARN:       "arn:aws:iam::123456789012:role/aloft-task-role",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/aloft-execution-role",
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// attempt writes the inputs.json of a task that runs script, a shell script
// that writes the float output "accuracy" to "$1", and returns its Job.
func (w *world) attempt(t *testing.T, exec, node string, item int, script string) batchrunner.Job {
	t.Helper()
	task := &orchestrator.TaskTemplate{
		Name:      node,
		Image:     "aloft-tasks:test",
		Command:   []string{"sh", "-c", script, "sh", "{{outputs.accuracy}}"},
		Outputs:   []orchestrator.Param{{Name: "accuracy", Type: orchestrator.Type{Kind: orchestrator.KindFloat}}},
		Resources: orchestrator.Resources{CPUMilli: 250, MemoryBytes: 64 << 20},
	}
	a := &batchrunner.Attempt{Project: "default", Domain: "development", Exec: exec, Node: node, Item: item, Attempt: 1, Task: *task}
	prefix, err := batchrunner.WriteAttempt(context.Background(), w.bucket, a)
	if err != nil {
		t.Fatal(err)
	}
	return batchrunner.Job{Prefix: prefix, Exec: exec, Node: node, Item: item, Attempt: 1, Task: task}
}

func (w *world) wait(t *testing.T) {
	t.Helper()
	if err := w.srv.Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// eventsOf returns the statuses reported for job id, in order.
func (w *world) eventsOf(id string) (statuses []string, last awsbatch.StateChange) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ev := range w.events {
		if ev.JobID == id {
			statuses = append(statuses, ev.Status)
			last = ev
		}
	}
	return statuses, last
}

func (w *world) outputs(t *testing.T, prefix string) *batchrunner.Outputs {
	t.Helper()
	o, f, err := batchrunner.ReadResult(context.Background(), w.bucket, prefix)
	if err != nil || f != nil {
		t.Fatalf("result of %s: %+v, %v", prefix, f, err)
	}
	return o
}

func TestSingleJob(t *testing.T) {
	w := newWorld(t, batchtest.Options{})
	ctx := context.Background()
	job := w.attempt(t, "r1", "score", -1, `echo 0.75 > "$1"`)
	id, err := w.d.Submit(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	w.wait(t)
	o := w.outputs(t, job.Prefix)
	if !o.Outputs["accuracy"].Equal(orchestrator.Float(0.75)) || o.JobID != id {
		t.Errorf("outputs %+v, want job id %s", o, id)
	}
	statuses, last := w.eventsOf(id)
	if strings.Join(statuses, ",") != "RUNNING,SUCCEEDED" {
		t.Errorf("events %v", statuses)
	}
	if last.Outcome().State != awsbatch.Succeeded || last.ExitCode == nil || *last.ExitCode != 0 || last.Attempts != 1 ||
		last.JobQueue != "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-cpu" || last.LogStream == "" {
		t.Errorf("last event %+v", last)
	}
	if p, err := awsbatch.AttemptOf(ctx, w.bucket, last.JobStatus); err != nil || p != job.Prefix {
		t.Errorf("attempt of the event: %q, %v", p, err)
	}
	st, err := w.d.Describe(ctx, []string{id})
	if err != nil || len(st) != 1 || st[0].Status != "SUCCEEDED" || st[0].Tags != last.Tags {
		t.Errorf("describe: %+v, %v", st, err)
	}
}

func TestArrayJob(t *testing.T) {
	w := newWorld(t, batchtest.Options{Concurrency: 2})
	ctx := context.Background()
	var jobs []batchrunner.Job
	for i := range 3 {
		jobs = append(jobs, w.attempt(t, "r1", "fit", i, `echo 0.$((ALOFT_ITEM + 1)) > "$1"`))
	}
	ids, err := w.d.SubmitArray(ctx, jobs)
	if err != nil {
		t.Fatal(err)
	}
	w.wait(t)
	for i, j := range jobs {
		o := w.outputs(t, j.Prefix)
		if !o.Outputs["accuracy"].Equal(orchestrator.Float(float64(i+1)/10)) || o.JobID != ids[i] {
			t.Errorf("item %d: %+v, want job id %s", i, o, ids[i])
		}
		statuses, last := w.eventsOf(ids[i])
		if strings.Join(statuses, ",") != "RUNNING,SUCCEEDED" || last.ArrayIndex != i || last.Tags.ArrayKey == "" {
			t.Errorf("child %d: events %v, last %+v", i, statuses, last)
		}
		if p, err := awsbatch.AttemptOf(ctx, w.bucket, last.JobStatus); err != nil || p != j.Prefix {
			t.Errorf("child %d: attempt %q, %v", i, p, err)
		}
	}
	parent := strings.TrimSuffix(ids[0], ":0")
	statuses, last := w.eventsOf(parent)
	if strings.Join(statuses, ",") != "RUNNING,SUCCEEDED" || last.Outcome().State != awsbatch.Summary || last.ArraySize != 3 {
		t.Errorf("parent: events %v, last %+v", statuses, last)
	}
}

// A spot reclaim while the runner runs: AWS Batch retries the same job, and
// its claim lets the second attempt run the task (Decision 2).
func TestReclaimedJobIsRetried(t *testing.T) {
	w := newWorld(t, batchtest.Options{Reclaim: batchtest.ReclaimFirst("aloft-r1-fit"), ReclaimAfter: 300 * time.Millisecond})
	ctx := context.Background()
	job := w.attempt(t, "r1", "fit", -1, `sleep 1; echo 0.5 > "$1"`)
	id, err := w.d.Submit(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	w.wait(t)
	o := w.outputs(t, job.Prefix)
	if o.JobID != id {
		t.Errorf("outputs by %s, want %s", o.JobID, id)
	}
	var claim batchrunner.ClaimRecord
	if _, err := store.GetJSON(ctx, w.bucket, job.Prefix+batchrunner.ClaimFile, &claim); err != nil || claim.JobID != id {
		t.Errorf("claim %+v, %v", claim, err)
	}
	statuses, last := w.eventsOf(id)
	if strings.Join(statuses, ",") != "RUNNING,RUNNING,SUCCEEDED" || last.Reclaims != 1 || last.Attempts != 2 {
		t.Errorf("events %v, last %+v", statuses, last)
	}
}

// Reclaimed at every attempt: AWS Batch gives up after the retry strategy's
// three attempts, and the outcome is a system error counting the reclaims.
func TestReclaimedEveryAttempt(t *testing.T) {
	w := newWorld(t, batchtest.Options{Reclaim: func(string, int, int) bool { return true }})
	ctx := context.Background()
	job := w.attempt(t, "r1", "fit", -1, `echo 0.5 > "$1"`)
	id, err := w.d.Submit(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	w.wait(t)
	statuses, last := w.eventsOf(id)
	o := last.Outcome()
	if strings.Join(statuses, ",") != "RUNNING,RUNNING,RUNNING,FAILED" || last.Reclaims != 3 ||
		o.Kind != orchestrator.ErrSystem || !strings.Contains(o.Message, "lost 3 times") {
		t.Errorf("events %v, last %+v, outcome %+v", statuses, last, o)
	}
	if _, _, err := batchrunner.ReadResult(ctx, w.bucket, job.Prefix); err == nil {
		t.Error("a result was written")
	}
}

func TestImagePullFails(t *testing.T) {
	w := newWorld(t, batchtest.Options{FailPull: func(image string) bool { return image == "aloft-tasks:test" }})
	job := w.attempt(t, "r1", "score", -1, `echo 0.5 > "$1"`)
	id, err := w.d.Submit(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	w.wait(t)
	statuses, last := w.eventsOf(id)
	o := last.Outcome()
	if strings.Join(statuses, ",") != "FAILED" || last.Attempts != 0 ||
		o.Kind != orchestrator.ErrSystem || !strings.HasPrefix(o.Message, "CannotPullContainerError") {
		t.Errorf("events %v, outcome %+v", statuses, o)
	}
}

func TestCancelRunningJob(t *testing.T) {
	w := newWorld(t, batchtest.Options{})
	ctx := context.Background()
	job := w.attempt(t, "r1", "fit", -1, `sleep 30; echo 0.5 > "$1"`)
	id, err := w.d.Submit(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := w.bucket.Head(ctx, job.Prefix+batchrunner.ClaimFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job never claimed its attempt")
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	if err := w.d.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	w.wait(t)
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("cancel took %v", el)
	}
	statuses, last := w.eventsOf(id)
	if o := last.Outcome(); strings.Join(statuses, ",") != "RUNNING,FAILED" || o.Kind != orchestrator.ErrSystem || o.Message != "cancelled" {
		t.Errorf("events %v, outcome %+v", statuses, o)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	w := newWorld(t, batchtest.Options{Concurrency: 1})
	ctx := context.Background()
	for i := range 3 {
		if _, err := w.d.Submit(ctx, w.attempt(t, "r1", "score", i, `sleep 0.2; echo 0.5 > "$1"`)); err != nil {
			t.Fatal(err)
		}
	}
	w.wait(t)
	running := 0
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ev := range w.events {
		switch ev.Status {
		case "RUNNING":
			running++
		case "SUCCEEDED", "FAILED":
			running--
		}
		if running > 1 {
			t.Fatalf("%d jobs running at once with Concurrency 1", running)
		}
	}
	if len(w.events) != 6 {
		t.Errorf("%d events, want 6", len(w.events))
	}
}
