package awsbatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/batchrunner/awsbatch"
	"github.com/aloft-run/aloft/batchrunner/awsbatch/batchtest"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// client is the real SDK client pointed at the double. Its own retries are
// off so the tests count the dispatcher's.
func client(url string) *batch.Client {
	return batch.New(batch.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
		}),
		Retryer: aws.NopRetryer{},
	})
}

// fixture is a double, a bucket and a dispatcher over them.
type fixture struct {
	srv    *batchtest.Server
	bucket store.Store
	cfg    awsbatch.Config
	d      *awsbatch.Dispatcher
	sleeps *[]time.Duration
}

func newFixture(t *testing.T, opt batchtest.Options, edit func(*awsbatch.Config)) *fixture {
	t.Helper()
	srv := batchtest.New(opt)
	t.Cleanup(srv.Close)
	bucket, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)
	var mu sync.Mutex
	sleeps := new([]time.Duration)
	cfg := awsbatch.Config{
		Client:           client(srv.URL),
		Bucket:           bucket,
		Store:            "s3://aloft-test-bucket",
		Queues:           awsbatch.Queues{CPU: "aloft-cpu", Spot: "aloft-spot", GPU: "aloft-gpu"},
		JobRoleARN:       "arn:aws:iam::123456789012:role/aloft-task-role",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/aloft-execution-role",
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			*sleeps = append(*sleeps, d)
			mu.Unlock()
			return nil
		},
		Now: func() time.Time { return time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC) },
	}
	if edit != nil {
		edit(&cfg)
	}
	d, err := awsbatch.New(cfg)
	require.NoError(t, err)
	return &fixture{srv: srv, bucket: bucket, cfg: cfg, d: d, sleeps: sleeps}
}

// job writes the inputs.json of an attempt of task and returns its Job.
func (f *fixture) job(t *testing.T, exec, node string, item, attempt int, task *orchestrator.TaskTemplate) batchrunner.Job {
	t.Helper()
	a := &batchrunner.Attempt{Project: "flights", Domain: "staging", Exec: exec, Node: node, Item: item, Attempt: attempt, Task: *task}
	prefix, err := batchrunner.WriteAttempt(context.Background(), f.bucket, a)
	require.NoError(t, err)
	return batchrunner.Job{Prefix: prefix, Exec: exec, Node: node, Item: item, Attempt: attempt, Task: task}
}

// submitted is the part of a SubmitJob request body the tests read.
type submitted struct {
	JobName            string
	JobQueue           string
	JobDefinition      string
	ArrayProperties    *struct{ Size int }
	ContainerOverrides struct {
		Command              []string
		ResourceRequirements []struct{ Type, Value string }
	}
	RetryStrategy struct {
		Attempts       int
		EvaluateOnExit []struct{ OnStatusReason, OnReason, OnExitCode, Action string }
	}
	Timeout       *struct{ AttemptDurationSeconds int }
	Tags          map[string]string
	PropagateTags bool
}

func (s submitted) resources() map[string]string {
	m := map[string]string{}
	for _, r := range s.ContainerOverrides.ResourceRequirements {
		m[r.Type] = r.Value
	}
	return m
}

func (f *fixture) submits(t *testing.T) []submitted {
	t.Helper()
	var out []submitted
	for _, r := range f.srv.Requests("SubmitJob") {
		if r.Status != 200 {
			continue
		}
		var s submitted
		err := json.Unmarshal(r.Body, &s)
		require.NoError(t, err)
		out = append(out, s)
	}
	return out
}

func task(name string, res orchestrator.Resources) *orchestrator.TaskTemplate {
	return &orchestrator.TaskTemplate{
		Name: name, Image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/aloft-tasks:v1",
		Command: []string{"python3", "tasks/" + name + ".py"}, Resources: res,
	}
}

func TestSubmit(t *testing.T) {
	f := newFixture(t, batchtest.Options{}, nil)
	ctx := context.Background()

	plain := task("score", orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 200 * mi})
	spot := task("fit", orchestrator.Resources{CPUMilli: 1500, MemoryBytes: 3 << 30})
	spot.Interruptible, spot.Timeout = true, 30*time.Minute
	gpu := task("train", orchestrator.Resources{CPUMilli: 3500, MemoryBytes: 15 << 30, GPU: 2, Accelerator: "nvidia-tesla-t4"})
	gpu.Timeout = 10 * time.Second

	for _, c := range []struct {
		job       batchrunner.Job
		name      string
		queue     string
		resources map[string]string
		timeout   int // 0: none
		item      string
	}{
		{f.job(t, "r1", "score", -1, 1, plain), "aloft-r1-score-a1", "aloft-cpu", map[string]string{"VCPU": "1", "MEMORY": "2048"}, 0, ""},
		{f.job(t, "r1", "fit", -1, 2, spot), "aloft-r1-fit-a2", "aloft-spot", map[string]string{"VCPU": "2", "MEMORY": "4096"}, 1860, ""},
		{f.job(t, "r1", "train", -1, 1, gpu), "aloft-r1-train-a1", "aloft-gpu", map[string]string{"VCPU": "4", "MEMORY": "15360", "GPU": "2"}, 70, ""},
		{f.job(t, "r1", "score", 4, 1, plain), awsbatch.JobName("r1", "score.4", 1), "aloft-cpu", map[string]string{"VCPU": "1", "MEMORY": "2048"}, 0, "4"},
	} {
		id, err := f.d.Submit(ctx, c.job)
		require.NoError(t, err)
		require.Falsef(t, id == "" || id == awsbatch.RejectedJobID, "%s: job id %q", c.name, id)
		all := f.submits(t)
		s := all[len(all)-1]
		assert.Falsef(t, s.JobName != c.name || s.JobQueue != c.queue, "%s: name %q queue %q, want queue %q", c.name, s.JobName, s.JobQueue, c.queue)
		got := s.resources()
		assert.Falsef(t, !equalMaps(got, c.resources), "%s: resources %v, want %v", c.name, got, c.resources)
		assert.Equalf(t, []string{"--store", "s3://aloft-test-bucket", "--attempt", c.job.Prefix}, s.ContainerOverrides.Command, "%s: command", c.name)
		assert.Falsef(t, c.timeout == 0 && s.Timeout != nil || c.timeout != 0 && (s.Timeout == nil || s.Timeout.AttemptDurationSeconds != c.timeout), "%s: timeout %+v, want %d", c.name, s.Timeout, c.timeout)
		rs := s.RetryStrategy
		assert.Falsef(t, rs.Attempts != 3 || len(rs.EvaluateOnExit) != 2 ||
			rs.EvaluateOnExit[0].OnStatusReason != "Host EC2*" || rs.EvaluateOnExit[0].Action != "RETRY" ||
			rs.EvaluateOnExit[1].OnReason != "*" || rs.EvaluateOnExit[1].Action != "EXIT", "%s: retry strategy %+v", c.name, rs)
		wantTags := map[string]string{
			"aloft:project": "flights", "aloft:domain": "staging", "aloft:execution": "r1",
			"aloft:node": c.job.Node, "aloft:attempt": fmt.Sprint(c.job.Attempt), "aloft:managed": "true",
		}
		if c.item != "" {
			wantTags["aloft:item"] = c.item
		}
		assert.Falsef(t, !equalMaps(s.Tags, wantTags) || !s.PropagateTags, "%s: tags %v (propagate %v), want %v", c.name, s.Tags, s.PropagateTags, wantTags)
		assert.Falsef(t, s.ArrayProperties != nil, "%s: array properties on a single job", c.name)
	}

	// Two job definitions: the image on Fargate, and on EC2 for the GPU
	// task; each looked up once, registered once, then reused.
	regs := f.srv.Requests("RegisterJobDefinition")
	require.Falsef(t, len(regs) != 2 || len(f.srv.Requests("DescribeJobDefinitions")) != 2, "%d registrations, %d lookups; want 2 and 2", len(regs), len(f.srv.Requests("DescribeJobDefinitions")))
	var fargate, ec2 struct {
		JobDefinitionName    string
		Type                 string
		PlatformCapabilities []string
		ContainerProperties  struct {
			Image, JobRoleArn, ExecutionRoleArn string
			FargatePlatformConfiguration        *struct{ PlatformVersion string }
			NetworkConfiguration                *struct{ AssignPublicIp string }
			Command                             []string
		}
	}
	require.NoError(t, json.Unmarshal(regs[0].Body, &fargate))
	require.NoError(t, json.Unmarshal(regs[1].Body, &ec2))
	fc := fargate.ContainerProperties
	assert.Falsef(t, fargate.JobDefinitionName != awsbatch.JobDefinitionName(f.cfg, plain.Image, "FARGATE") ||
		!slices.Equal(fargate.PlatformCapabilities, []string{"FARGATE"}) || fargate.Type != "container" ||
		fc.Image != plain.Image || fc.JobRoleArn != f.cfg.JobRoleARN || fc.ExecutionRoleArn != f.cfg.ExecutionRoleARN ||
		fc.FargatePlatformConfiguration == nil || fc.FargatePlatformConfiguration.PlatformVersion != "LATEST" ||
		fc.NetworkConfiguration == nil || fc.NetworkConfiguration.AssignPublicIp != "ENABLED" || fc.Command != nil, "Fargate definition %+v", fargate)
	assert.Falsef(t, !slices.Equal(ec2.PlatformCapabilities, []string{"EC2"}) || ec2.ContainerProperties.FargatePlatformConfiguration != nil ||
		ec2.JobDefinitionName == fargate.JobDefinitionName, "EC2 definition %+v", ec2)
	assert.Falsef(t, !strings.HasPrefix(fargate.JobDefinitionName, "aloft-") || len(fargate.JobDefinitionName) != len("aloft-")+16, "definition name %q", fargate.JobDefinitionName)
	for _, s := range f.submits(t) {
		assert.Falsef(t, !strings.Contains(s.JobDefinition, ":job-definition/"+fargate.JobDefinitionName+":1") &&
			!strings.Contains(s.JobDefinition, ":job-definition/"+ec2.JobDefinitionName+":1"), "job %s runs definition %s", s.JobName, s.JobDefinition)
	}

	// Another process (a new dispatcher) finds the definition and registers nothing.
	d2, err := awsbatch.New(f.cfg)
	require.NoError(t, err)
	_, err = d2.Submit(ctx, f.job(t, "r2", "score", -1, 1, plain))
	require.NoError(t, err)
	n := len(f.srv.Requests("RegisterJobDefinition"))
	assert.Falsef(t, n != 2, "a second process registered again: %d registrations", n)
	// Other roles make another definition.
	assert.False(t, awsbatch.JobDefinitionName(f.cfg, plain.Image, "FARGATE") == awsbatch.JobDefinitionName(awsbatch.Config{JobRoleARN: "other"}, plain.Image, "FARGATE"), "the job role is not part of the definition's name")
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestSubmitOnEC2(t *testing.T) {
	f := newFixture(t, batchtest.Options{}, func(c *awsbatch.Config) { c.Platform = "EC2"; c.Queues.Spot = "" })
	task := task("fit", orchestrator.Resources{CPUMilli: 1500, MemoryBytes: 200 * mi})
	task.Interruptible = true
	_, err := f.d.Submit(context.Background(), f.job(t, "r1", "fit", -1, 1, task))
	require.NoError(t, err)
	s := f.submits(t)[0]
	assert.Falsef(t, s.JobQueue != "aloft-cpu" || !equalMaps(s.resources(), map[string]string{"VCPU": "2", "MEMORY": "200"}), "queue %s, resources %v", s.JobQueue, s.resources())
}

func TestSubmitArray(t *testing.T) {
	f := newFixture(t, batchtest.Options{}, nil)
	ctx := context.Background()
	tk := task("fit", orchestrator.Resources{CPUMilli: 2000, MemoryBytes: 4 << 30})
	tk.Interruptible = true
	var jobs []batchrunner.Job
	for i := range 3 {
		jobs = append(jobs, f.job(t, "r1", "fit", i, 1, tk))
	}
	ids, err := f.d.SubmitArray(ctx, jobs)
	require.NoError(t, err)
	subs := f.submits(t)
	require.Falsef(t, len(subs) != 1, "%d submissions, want 1", len(subs))
	s := subs[0]
	require.Falsef(t, s.ArrayProperties == nil || s.ArrayProperties.Size != 3, "array properties %+v", s.ArrayProperties)
	key := s.Tags["aloft:array"]
	assert.Equal(t, []string{"--store", "s3://aloft-test-bucket", "--array", key}, s.ContainerOverrides.Command, "command")
	_, ok := s.Tags["aloft:attempt"]
	assert.Falsef(t, ok || s.Tags["aloft:node"] != "fit" || s.Tags["aloft:execution"] != "r1" || s.Tags["aloft:project"] != "flights", "tags %v", s.Tags)
	assert.Falsef(t, s.JobName != "aloft-r1-fit-a1" || s.JobQueue != "aloft-spot" || s.resources()["MEMORY"] != "4096", "name %s queue %s resources %v", s.JobName, s.JobQueue, s.resources())
	prefixes, err := batchrunner.ReadArrayManifest(ctx, f.bucket, key)
	require.NoError(t, err)
	for i, j := range jobs {
		assert.Falsef(t, prefixes[i] != j.Prefix, "manifest[%d] = %s, want %s", i, prefixes[i], j.Prefix)
		assert.Falsef(t, !strings.HasSuffix(ids[i], fmt.Sprintf(":%d", i)) || strings.TrimSuffix(ids[i], fmt.Sprintf(":%d", i)) != strings.TrimSuffix(ids[0], ":0"), "ids %q", ids)
	}
	// The children are jobs AWS Batch knows by those ids.
	st, err := f.d.Describe(ctx, ids)
	require.Falsef(t, err != nil || len(st) != 3 || st[2].ArrayIndex != 2 || st[2].Tags.ArrayKey != key, "describe children: %+v, %v", st, err)

	// Mixed attempts (retries of some items) get a name of their own.
	retry := []batchrunner.Job{f.job(t, "r1", "fit", 0, 2, tk), f.job(t, "r1", "fit", 2, 3, tk)}
	_, err = f.d.SubmitArray(ctx, retry)
	require.NoError(t, err)
	s = f.submits(t)[1]
	assert.Falsef(t, !strings.HasPrefix(s.JobName, "aloft-r1-fit-array-") || s.ArrayProperties.Size != 2, "mixed attempts: %s %+v", s.JobName, s.ArrayProperties)

	// One job is a single job.
	one, err := f.d.SubmitArray(ctx, []batchrunner.Job{f.job(t, "r1", "fit", 5, 1, tk)})
	require.Falsef(t, err != nil || len(one) != 1 || strings.Contains(one[0], ":"), "single: %q, %v", one, err)
	s = f.submits(t)[2]
	assert.Falsef(t, s.ArrayProperties != nil || s.Tags["aloft:item"] != "5", "single: %+v", s)

	// Jobs of different nodes are refused.
	other := f.job(t, "r1", "score", 0, 1, tk)
	_, err = f.d.SubmitArray(ctx, []batchrunner.Job{jobs[0], other})
	assert.Error(t, err, "jobs of two nodes in one array")
}

func TestSubmitRejects(t *testing.T) {
	f := newFixture(t, batchtest.Options{}, func(c *awsbatch.Config) { c.Queues.GPU = "" })
	ctx := context.Background()
	noImage := task("score", orchestrator.Resources{})
	noImage.Image = ""
	for _, c := range []struct {
		task *orchestrator.TaskTemplate
		want string
	}{
		{noImage, "has no image"},
		{task("train", orchestrator.Resources{GPU: 1}), "no GPU job queue"},
		{task("big", orchestrator.Resources{CPUMilli: 32000}), "no Fargate size"},
	} {
		j := f.job(t, "r1", c.task.Name, -1, 1, c.task)
		id, err := f.d.Submit(ctx, j)
		require.Falsef(t, err != nil || id != awsbatch.RejectedJobID, "%s: %q, %v", c.task.Name, id, err)
		_, fail, err := batchrunner.ReadResult(ctx, f.bucket, j.Prefix)
		assert.Falsef(t, err != nil || fail == nil || fail.Kind != orchestrator.ErrNoRetry || !strings.Contains(fail.Message, c.want), "%s: %+v, %v; want a permanent failure with %q", c.task.Name, fail, err, c.want)
	}
	// An array of them rejects every item.
	tk := task("big", orchestrator.Resources{CPUMilli: 32000})
	jobs := []batchrunner.Job{f.job(t, "r1", "big", 0, 1, tk), f.job(t, "r1", "big", 1, 1, tk)}
	ids, err := f.d.SubmitArray(ctx, jobs)
	require.Falsef(t, err != nil || !slices.Equal(ids, []string{awsbatch.RejectedJobID, awsbatch.RejectedJobID}), "array: %q, %v", ids, err)
	_, fail, _ := batchrunner.ReadResult(ctx, f.bucket, jobs[1].Prefix)
	assert.False(t, fail == nil, "array item 1 has no error.json")
	n := len(f.srv.Requests("SubmitJob"))
	assert.Falsef(t, n != 0, "%d SubmitJob calls for rejected attempts", n)
	// A missing inputs.json is our machinery's error.
	j := batchrunner.Job{Prefix: "data/r9/x/1/", Exec: "r9", Node: "x", Item: -1, Attempt: 1, Task: task("x", orchestrator.Resources{})}
	_, err = f.d.Submit(ctx, j)
	assert.Falsef(t, !errors.Is(err, store.ErrNotFound), "no inputs.json: %v", err)
}

func TestSubmitThrottled(t *testing.T) {
	f := newFixture(t, batchtest.Options{ThrottleSubmits: 3}, nil)
	ctx := context.Background()
	tk := task("score", orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 2 << 30})
	id, err := f.d.Submit(ctx, f.job(t, "r1", "score", -1, 1, tk))
	require.Falsef(t, err != nil || id == "", "%q, %v", id, err)
	reqs := f.srv.Requests("SubmitJob")
	assert.Falsef(t, len(reqs) != 4 || reqs[0].Status != 429 || reqs[3].Status != 200, "requests %+v", reqs)
	assert.Falsef(t, len(*f.sleeps) != 3, "slept %v, want 3 backoffs", *f.sleeps)
	for i, d := range *f.sleeps {
		ceiling := 100 * time.Millisecond << i
		assert.Falsef(t, d <= 0 || d > ceiling, "backoff %d = %v, want within (0, %v]", i, d, ceiling)
	}

	// Throttled beyond MaxRetries: a temporary *Error, nothing of the SDK's.
	g := newFixture(t, batchtest.Options{ThrottleSubmits: 10}, func(c *awsbatch.Config) { c.MaxRetries = 2 })
	_, err = g.d.Submit(ctx, g.job(t, "r1", "score", -1, 1, tk))
	var e *awsbatch.Error
	require.Falsef(t, !errors.As(err, &e) || !e.Temporary() || !e.Throttled() || e.Code != "TooManyRequestsException" || e.Status != 429, "%v (%#v)", err, e)
	n := len(g.srv.Requests("SubmitJob"))
	assert.Falsef(t, n != 3, "%d calls, want 3", n)
	// A client error (here a tag value over 256 characters) is not retried.
	h := newFixture(t, batchtest.Options{}, nil)
	long := &batchrunner.Attempt{Project: strings.Repeat("p", 300), Domain: "d", Exec: "r1", Node: "score", Item: -1, Attempt: 1, Task: *tk}
	prefix, err := batchrunner.WriteAttempt(ctx, h.bucket, long)
	require.NoError(t, err)
	_, err = h.d.Submit(ctx, batchrunner.Job{Prefix: prefix, Exec: "r1", Node: "score", Item: -1, Attempt: 1, Task: tk})
	assert.Falsef(t, !errors.As(err, &e) || e.Code != "ClientException" || e.Temporary() || len(*h.sleeps) != 0, "client error: %v after %v", err, *h.sleeps)
}

func TestSubmitRateLimit(t *testing.T) {
	f := newFixture(t, batchtest.Options{}, func(c *awsbatch.Config) { c.Limiter = rate.NewLimiter(50, 1) })
	ctx := context.Background()
	tk := task("score", orchestrator.Resources{})
	var jobs []batchrunner.Job
	for i := range 6 {
		jobs = append(jobs, f.job(t, "r1", "score", i, 1, tk))
	}
	_, err := f.d.Submit(ctx, jobs[0]) // registers the definition
	require.NoError(t, err)
	start := time.Now()
	for _, j := range jobs[1:] {
		_, err := f.d.Submit(ctx, j)
		require.NoError(t, err)
	}
	el := time.Since(start)
	assert.Falsef(t, el < 80*time.Millisecond, "5 submissions at 50/s took %v", el)
}

func TestCancelAndDescribe(t *testing.T) {
	f := newFixture(t, batchtest.Options{}, nil)
	ctx := context.Background()
	tk := task("score", orchestrator.Resources{})
	id, err := f.d.Submit(ctx, f.job(t, "r1", "score", -1, 1, tk))
	require.NoError(t, err)
	st, err := f.d.Describe(ctx, []string{id})
	require.Falsef(t, err != nil || len(st) != 1 || st[0].Outcome().State != awsbatch.Waiting || st[0].Tags.Attempt != 1, "before cancel: %+v, %v", st, err)
	err = f.d.Cancel(ctx, id)
	require.NoError(t, err)
	var term struct{ JobID, Reason string }
	reqs := f.srv.Requests("TerminateJob")
	require.Falsef(t, len(reqs) != 1 || json.Unmarshal(reqs[0].Body, &term) != nil || term.JobID != id || term.Reason != awsbatch.CancelReason, "terminate requests %+v", reqs)
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err = f.d.Describe(ctx, []string{id})
		require.NoError(t, err)
		if st[0].Status == "FAILED" || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	o := st[0].Outcome()
	assert.Falsef(t, o.State != awsbatch.Failed || o.Kind != orchestrator.ErrSystem || o.Message != "cancelled", "after cancel: %+v %+v", st[0], o)
	// Unknown and finished jobs, and rejected attempts, are fine.
	for _, id := range []string{id, "00000000-0000-4000-8000-000000000000", awsbatch.RejectedJobID} {
		err := f.d.Cancel(ctx, id)
		assert.Falsef(t, err != nil, "cancel %s: %v", id, err)
	}
	n := len(f.srv.Requests("TerminateJob"))
	assert.Falsef(t, n != 3, "%d TerminateJob calls, want 3 (none for the rejected id)", n)
}

func TestDescribePages(t *testing.T) {
	f := newFixture(t, batchtest.Options{}, nil)
	ctx := context.Background()
	tk := task("score", orchestrator.Resources{})
	var known []string
	for i := range 3 {
		id, err := f.d.Submit(ctx, f.job(t, "r1", "score", i, 1, tk))
		require.NoError(t, err)
		known = append(known, id)
	}
	ids := []string{known[0], awsbatch.RejectedJobID}
	for i := range 230 {
		ids = append(ids, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	ids = append(ids, known[1:]...)
	st, err := f.d.Describe(ctx, ids)
	require.NoError(t, err)
	assert.Falsef(t, len(st) != 3, "%d statuses, want 3", len(st))
	reqs := f.srv.Requests("DescribeJobs")
	require.Falsef(t, len(reqs) != 3, "%d DescribeJobs calls, want 3", len(reqs))
	for i, want := range []int{100, 100, 33} {
		var in struct{ Jobs []string }
		err := json.Unmarshal(reqs[i].Body, &in)
		assert.Falsef(t, err != nil || len(in.Jobs) != want, "call %d: %d ids, want %d", i, len(in.Jobs), want)
	}
}

func TestNewRejects(t *testing.T) {
	bucket, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)
	ok := awsbatch.Config{Client: client("http://127.0.0.1:1"), Bucket: bucket, Store: "s3://b", Queues: awsbatch.Queues{CPU: "q"}, ExecutionRoleARN: "arn"}
	for _, c := range []struct {
		edit func(*awsbatch.Config)
		want string
	}{
		{func(c *awsbatch.Config) { c.Client = nil }, "Client"},
		{func(c *awsbatch.Config) { c.Bucket = nil }, "Bucket"},
		{func(c *awsbatch.Config) { c.Store = "" }, "Store"},
		{func(c *awsbatch.Config) { c.Queues.CPU = "" }, "Queues.CPU"},
		{func(c *awsbatch.Config) { c.Platform = "LAMBDA" }, "platform"},
		{func(c *awsbatch.Config) { c.ExecutionRoleARN = "" }, "ExecutionRoleARN"},
	} {
		cfg := ok
		c.edit(&cfg)
		_, err := awsbatch.New(cfg)
		assert.Falsef(t, err == nil || !strings.Contains(err.Error(), c.want), "%v, want %q", err, c.want)
	}
	ec2 := ok
	ec2.Platform, ec2.ExecutionRoleARN = "EC2", ""
	_, err = awsbatch.New(ec2)
	assert.Falsef(t, err != nil, "EC2 without an execution role: %v", err)
}
