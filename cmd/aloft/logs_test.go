package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

func TestLogsFromBucket(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	r := s.run(t, "run", s.write(t, "fail.yaml", failSpec)).check(t, exitFailed)
	id := execID(t, r.err)

	r = s.run(t, "logs", id, "b").check(t, exitOK)
	if r.out != "about to fail with 1\nit went wrong\n" {
		t.Errorf("logs of b: %q", r.out)
	}
	r = s.run(t, "logs", id, "b", "--attempt", "1").check(t, exitOK)
	if !strings.Contains(r.out, "it went wrong") {
		t.Errorf("logs --attempt 1: %q", r.out)
	}
	r = s.run(t, "logs", id, "a").check(t, exitOK)
	if r.out != "" || !strings.Contains(r.err, "a, attempt 1 printed nothing") {
		t.Errorf("logs of a silent task: %q %q", r.out, r.err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{id, "nosuch"}, exitUsage, "has no node \"nosuch\" (its nodes: a, b)"},
		{[]string{id, "b", "--attempt", "2"}, exitUsage, "node b has run 1 attempt"},
		{[]string{id, "b", "--item", "0"}, exitUsage, "not a map node"},
		{[]string{"nosuch", "b"}, exitFailed, "no such execution"},
		{[]string{id}, exitUsage, "want an execution id and a node name"},
	} {
		r := s.run(t, append([]string{"logs"}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.err, tc.want) {
			t.Errorf("logs %q: exit %d, stderr %q; want exit %d and %q", tc.args, r.code, r.err, tc.code, tc.want)
		}
	}
}

// fanSpec maps a task that prints its item over three items.
const fanSpec = `apiVersion: aloft/v1
kind: Workflow
name: fan
outputs:
  ys: "{{each.y}}"
tasks:
  echo:
    inputs: {x: int}
    outputs: {y: int}
    command: [sh, -c, 'echo "item $1"; echo $1 > "$2"', echo, "{{inputs.x}}", "{{outputs.y}}"]
nodes:
  each: {map: echo, over: {x: [10, 20, 30]}}
`

func TestLogsOfMapItems(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	r := s.run(t, "run", s.write(t, "fan.yaml", fanSpec)).check(t, exitOK)
	id := execID(t, r.err)
	r = s.run(t, "logs", id, "each", "--item", "1").check(t, exitOK)
	if r.out != "item 20\n" {
		t.Errorf("logs of item 1: %q", r.out)
	}
	r = s.run(t, "logs", id, "each").check(t, exitUsage)
	if !strings.Contains(r.err, "map node of 3 items: choose one with --item I") {
		t.Errorf("logs of a map node without --item: %q", r.err)
	}
	r = s.run(t, "logs", id, "each", "--item", "3").check(t, exitUsage)
	if !strings.Contains(r.err, "--item 3 is not one of them") {
		t.Errorf("logs of item 3: %q", r.err)
	}
	s.run(t, "logs", id, "each", "--item", "x").check(t, exitUsage)
}

// s3Named is a directory store that names its objects as an S3 bucket
// would, so that logs treats it as one.
type s3Named struct{ *dirstore.Store }

func (s s3Named) URI(key string) string { return "s3://bucket/" + key }

// fakeAWS answers Batch DescribeJobs (REST-JSON) and CloudWatch Logs
// GetLogEvents (JSON 1.1) as the real services do, serving the log in
// pages of two events.
type fakeAWS struct {
	mu       sync.Mutex
	jobs     map[string]string // job id -> the job's JSON in DescribeJobs
	events   []string
	describe int
	asked    []string // log group/stream of each GetLogEvents
	fail     bool
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/describejobs":
		f.describe++
		if f.fail {
			w.Header().Set("X-Amzn-ErrorType", "ClientException")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"message":"not authorized"}`)
			return
		}
		var in struct{ Jobs []string }
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var jobs []string
		for _, id := range in.Jobs {
			if j, ok := f.jobs[id]; ok {
				jobs = append(jobs, j)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"jobs":[`+strings.Join(jobs, ",")+`]}`)
	case r.Header.Get("X-Amz-Target") == "Logs_20140328.GetLogEvents":
		var in struct {
			LogGroupName, LogStreamName, NextToken string
			StartFromHead                          bool
		}
		if err := json.Unmarshal(body, &in); err != nil || !in.StartFromHead {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		f.asked = append(f.asked, in.LogGroupName+" "+in.LogStreamName)
		start := 0
		if in.NextToken != "" {
			start = int(in.NextToken[len(in.NextToken)-1] - '0')
		}
		end := min(start+2, len(f.events))
		var evs []map[string]any
		for i, m := range f.events[start:end] {
			evs = append(evs, map[string]any{"timestamp": 1767322800000 + i, "message": m, "ingestionTime": 1767322800000})
		}
		out := map[string]any{"events": evs, "nextForwardToken": "f/" + string(rune('0'+end)), "nextBackwardToken": "b/0"}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(out)
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Amz-Target"), http.StatusNotFound)
	}
}

func TestLogsFromCloudWatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const jobID = "4f1d5a9e-2b7c-4e0a-9d3f-6c8b1a2e3f40"
	fake := &fakeAWS{
		jobs: map[string]string{
			jobID: `{"jobId":"` + jobID + `","jobName":"aloft-x","jobQueue":"q","status":"RUNNING","startedAt":1767322800000,
				"container":{"image":"img","logStreamName":"aloft/default/abc123",
				"logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/aloft/tasks"}}}}`,
			"0a1b2c3d-0000-4000-8000-000000000001:2": `{"jobId":"0a1b2c3d-0000-4000-8000-000000000001:2","jobName":"aloft-arr","jobQueue":"q","status":"SUCCEEDED",
				"container":{"image":"img","logStreamName":"aloft/default/item2"}}`,
			"0a1b2c3d-0000-4000-8000-000000000002": `{"jobId":"0a1b2c3d-0000-4000-8000-000000000002","jobName":"aloft-pending","jobQueue":"q","status":"RUNNABLE","container":{"image":"img"}}`,
		},
		events: []string{"epoch 1", "epoch 2\n", "epoch 3", "done"},
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(srv.URL)}
	dir, err := dirstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	src := logSource{st: s3Named{dir}, aws: func(context.Context) (logClients, error) {
		return logClients{batch: batch.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}, nil
	}}
	claim := func(a attemptRef, job string) {
		t.Helper()
		if err := batchrunner.Claim(ctx, dir, a.prefix(), job, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
	}
	logOf := func(a attemptRef) (string, string, error) {
		var out, notes bytes.Buffer
		err := src.write(ctx, &out, &notes, a)
		return out.String(), notes.String(), err
	}

	// A running job: its stream, all pages, from its own log group.
	fit := attemptRef{exec: "r1", node: "fit", item: -1, attempt: 1}
	claim(fit, jobID)
	out, _, err := logOf(fit)
	if err != nil || out != "epoch 1\nepoch 2\nepoch 3\ndone\n" {
		t.Errorf("cloudwatch log: %q, %v", out, err)
	}
	if strings.Join(fake.asked, ",") != "/aloft/tasks aloft/default/abc123,/aloft/tasks aloft/default/abc123,/aloft/tasks aloft/default/abc123" {
		t.Errorf("GetLogEvents calls: %q", fake.asked)
	}

	// An array child, in the default group.
	fake.asked = nil
	item := attemptRef{exec: "r1", node: "train", item: 2, attempt: 1}
	claim(item, "0a1b2c3d-0000-4000-8000-000000000001:2")
	if _, _, err := logOf(item); err != nil || len(fake.asked) == 0 || fake.asked[0] != "/aws/batch/job aloft/default/item2" {
		t.Errorf("array child: %v, asked %q", err, fake.asked)
	}

	// No stream yet and no log.txt: say so.
	pending := attemptRef{exec: "r1", node: "wait", item: -1, attempt: 1}
	claim(pending, "0a1b2c3d-0000-4000-8000-000000000002")
	if _, _, err := logOf(pending); err == nil || !strings.Contains(err.Error(), "has no log stream yet") {
		t.Errorf("pending job: %v", err)
	}

	// CloudWatch unreachable but the runner left log.txt: print that.
	fake.fail = true
	if _, err := store.PutBytes(ctx, dir, fit.prefix()+batchrunner.LogFile, []byte("from log.txt\n"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	out, notes, err := logOf(fit)
	if err != nil || out != "from log.txt\n" || !strings.Contains(notes, "not authorized") || !strings.Contains(notes, "printing s3://bucket/data/r1/fit/1/log.txt instead") {
		t.Errorf("fallback to log.txt: %q %q %v", out, notes, err)
	}

	// A local job id: log.txt, CloudWatch not asked.
	fake.fail = false
	calls := fake.describe
	local := attemptRef{exec: "r2", node: "fit", item: -1, attempt: 1}
	claim(local, "local-0123456789ab")
	if _, err := store.PutBytes(ctx, dir, local.prefix()+batchrunner.LogFile, []byte("local\n"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if out, _, err := logOf(local); err != nil || out != "local\n" || fake.describe != calls {
		t.Errorf("local job: %q %v, %d DescribeJobs", out, err, fake.describe-calls)
	}
}
