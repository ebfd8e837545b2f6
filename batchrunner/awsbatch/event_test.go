package awsbatch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/batchrunner/awsbatch"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store/dirstore"
)

const fixtures = "../../functions/testdata/events"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseStateChangeFixtures(t *testing.T) {
	single := awsbatch.Tags{Project: "default", Domain: "development", Exec: "r1a2b3c4d", Node: "train", Item: -1, Attempt: 1}
	code := func(n int) *int { return &n }
	for _, c := range []struct {
		file      string
		status    string
		queue     string
		index     int
		exit      *int
		reclaims  int
		tags      awsbatch.Tags
		logStream string
		outcome   awsbatch.Outcome
		message   string // a substring of the outcome's message
	}{
		{
			file: "batch-job-running.json", status: "RUNNING", queue: "aloft-cpu", index: -1, tags: single,
			logStream: "aloft-train/default/1d7e8f9a", outcome: awsbatch.Outcome{State: awsbatch.Started},
		},
		{
			file: "batch-job-succeeded.json", status: "SUCCEEDED", queue: "aloft-cpu", index: -1, exit: code(0), tags: single,
			logStream: "aloft-train/default/0c6f7d2e", outcome: awsbatch.Outcome{State: awsbatch.Succeeded},
		},
		{
			file: "batch-job-failed-oom.json", status: "FAILED", queue: "aloft-cpu", index: -1, exit: code(137), tags: single,
			logStream: "aloft-train/default/0c6f7d2e", outcome: awsbatch.Outcome{State: awsbatch.Failed, Kind: orchestrator.ErrOOM},
			message: "out of memory: the task used more than the job's 4096 MiB: OutOfMemoryError: Container killed due to memory usage",
		},
		{
			file: "batch-job-failed-host-reclaim.json", status: "FAILED", queue: "aloft-spot", index: -1, reclaims: 2, tags: single,
			logStream: "aloft-train/default/1d7e8f9a", outcome: awsbatch.Outcome{State: awsbatch.Failed, Kind: orchestrator.ErrSystem},
			message: "the job's host was lost 2 times (spot reclaim or instance failure) and AWS Batch gave up: Host EC2 (instance i-0c2f3a4b5d6e7f809) terminated.",
		},
		{
			file: "batch-job-failed-array-child.json", status: "FAILED", queue: "aloft-cpu", index: 3,
			tags:      awsbatch.Tags{Project: "default", Domain: "development", Exec: "r1a2b3c4d", Node: "score", Item: -1, ArrayKey: "data/r1a2b3c4d/score/array-5d41402abc4b.json"},
			logStream: "aloft-train/default/1d7e8f9a", outcome: awsbatch.Outcome{State: awsbatch.Failed, Kind: orchestrator.ErrSystem},
			message: "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
		},
	} {
		t.Run(c.file, func(t *testing.T) {
			ev, err := awsbatch.ParseStateChange(readFixture(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if ev.EventID == "" || !ev.Time.Equal(time.Date(2026, 11, 28, 2, 14, 41, 0, time.UTC)) {
				t.Errorf("event id %q time %v", ev.EventID, ev.Time)
			}
			if ev.JobID == "" || !strings.HasPrefix(ev.JobName, "aloft-r1a2b3c4d-") || !strings.HasSuffix(ev.JobQueue, ":job-queue/"+c.queue) {
				t.Errorf("job %q name %q queue %q", ev.JobID, ev.JobName, ev.JobQueue)
			}
			if ev.Status != c.status || ev.ArrayIndex != c.index || ev.Reclaims != c.reclaims || ev.Tags != c.tags || ev.LogStream != c.logStream {
				t.Errorf("got status %s index %d reclaims %d tags %+v log %q", ev.Status, ev.ArrayIndex, ev.Reclaims, ev.Tags, ev.LogStream)
			}
			if (ev.ExitCode == nil) != (c.exit == nil) || ev.ExitCode != nil && *ev.ExitCode != *c.exit {
				t.Errorf("exit code %v, want %v", ev.ExitCode, c.exit)
			}
			o := ev.Outcome()
			if o.State != c.outcome.State || o.Kind != c.outcome.Kind || !strings.Contains(o.Message, c.message) {
				t.Errorf("outcome %+v, want %+v with %q", o, c.outcome, c.message)
			}
		})
	}
}

func TestParseStateChangeRejects(t *testing.T) {
	if _, err := awsbatch.ParseStateChange(readFixture(t, "s3-object-created-outputs.json")); !errors.Is(err, awsbatch.ErrNotStateChange) {
		t.Errorf("S3 event: %v", err)
	}
	for _, body := range []string{`{`, `{"source":"aws.batch","detail-type":"Batch Job State Change","detail":{}}`} {
		if _, err := awsbatch.ParseStateChange([]byte(body)); err == nil {
			t.Errorf("%s: no error", body)
		}
	}
}

func TestOutcome(t *testing.T) {
	code := func(n int) *int { return &n }
	for _, c := range []struct {
		name string
		s    awsbatch.JobStatus
		want awsbatch.Outcome
	}{
		{"queued", awsbatch.JobStatus{Status: "RUNNABLE", ArrayIndex: -1}, awsbatch.Outcome{State: awsbatch.Waiting}},
		{"array parent", awsbatch.JobStatus{Status: "FAILED", ArrayIndex: -1, ArraySize: 4}, awsbatch.Outcome{State: awsbatch.Summary}},
		{"timeout", awsbatch.JobStatus{Status: "FAILED", ArrayIndex: -1, StatusReason: "Job attempt duration exceeded timeout"},
			awsbatch.Outcome{State: awsbatch.Failed, Kind: orchestrator.ErrTimeout, Message: "AWS Batch stopped the job at its timeout: Job attempt duration exceeded timeout"}},
		{"cancelled", awsbatch.JobStatus{Status: "FAILED", ArrayIndex: -1, StatusReason: awsbatch.CancelReason, ExitCode: code(143)},
			awsbatch.Outcome{State: awsbatch.Failed, Kind: orchestrator.ErrSystem, Message: "cancelled"}},
		{"runner failed", awsbatch.JobStatus{Status: "FAILED", ArrayIndex: -1, StatusReason: "Essential container in task exited", ExitCode: code(1), LogStream: "s/1"},
			awsbatch.Outcome{State: awsbatch.Failed, Kind: orchestrator.ErrSystem, Message: "aloft-runner exited with code 1 (its log is in stream s/1)"}},
		{"reclaimed then pull failed", awsbatch.JobStatus{Status: "FAILED", ArrayIndex: -1, StatusReason: "CannotPullContainerError: x", Reclaims: 1},
			awsbatch.Outcome{State: awsbatch.Failed, Kind: orchestrator.ErrSystem, Message: "CannotPullContainerError: x (after its host was lost once)"}},
		{"no reason", awsbatch.JobStatus{Status: "FAILED", ArrayIndex: -1},
			awsbatch.Outcome{State: awsbatch.Failed, Kind: orchestrator.ErrSystem, Message: "the job failed with no reason given"}},
	} {
		if got := c.s.Outcome(); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestAttemptOf(t *testing.T) {
	ctx := context.Background()
	bucket, err := dirstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key, err := batchrunner.WriteArrayManifest(ctx, bucket, "r1", "fit", []string{"data/r1/fit.0/1/", "data/r1/fit.1/2/"})
	if err != nil {
		t.Fatal(err)
	}
	base := awsbatch.Tags{Project: "p", Domain: "d", Exec: "r1", Node: "fit", Item: -1}
	for _, c := range []struct {
		s    awsbatch.JobStatus
		want string // "" means an error
	}{
		{awsbatch.JobStatus{ArrayIndex: -1, Tags: with(base, func(t *awsbatch.Tags) { t.Attempt = 2 })}, "data/r1/fit/2/"},
		{awsbatch.JobStatus{ArrayIndex: -1, Tags: with(base, func(t *awsbatch.Tags) { t.Attempt, t.Item = 1, 7 })}, "data/r1/fit.7/1/"},
		{awsbatch.JobStatus{ArrayIndex: 1, Tags: with(base, func(t *awsbatch.Tags) { t.ArrayKey = key })}, "data/r1/fit.1/2/"},
		{awsbatch.JobStatus{ArrayIndex: -1, ArraySize: 2, Tags: with(base, func(t *awsbatch.Tags) { t.ArrayKey = key })}, ""},
		{awsbatch.JobStatus{ArrayIndex: 2, Tags: with(base, func(t *awsbatch.Tags) { t.ArrayKey = key })}, ""},
		{awsbatch.JobStatus{ArrayIndex: -1, Tags: base}, ""},
		{awsbatch.JobStatus{ArrayIndex: -1}, ""},
	} {
		got, err := awsbatch.AttemptOf(ctx, bucket, c.s)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("%+v: %q, %v; want %q", c.s.Tags, got, err, c.want)
		}
	}
}

func with(t awsbatch.Tags, edit func(*awsbatch.Tags)) awsbatch.Tags {
	edit(&t)
	return t
}
