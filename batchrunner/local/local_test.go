package local_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

const helperEnv = "ALOFT_TEST_HELPER"

// The test binary doubles as the task: "stamp OUT MS" writes its start
// time, sleeps MS milliseconds, then writes its end time and
// CUDA_VISIBLE_DEVICES to OUT.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "stamp" {
		os.Exit(m.Run())
	}
	start := time.Now().UnixNano()
	ms, _ := strconv.Atoi(os.Args[2])
	time.Sleep(time.Duration(ms) * time.Millisecond)
	out := fmt.Sprintf("%d %d %s\n", start, time.Now().UnixNano(), os.Getenv("CUDA_VISIBLE_DEVICES"))
	if err := os.WriteFile(os.Args[1], []byte(out), 0o666); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

type stamp struct {
	start, end int64
	gpus       string
}

func stampTask(t *testing.T, res orchestrator.Resources, ms int) *orchestrator.TaskTemplate {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &orchestrator.TaskTemplate{
		Name:      "stamp",
		Command:   []string{self, "{{outputs.stamp}}", strconv.Itoa(ms)},
		Outputs:   []orchestrator.Param{{Name: "stamp", Type: orchestrator.Type{Kind: orchestrator.KindString}}},
		Resources: res,
		Env:       map[string]string{helperEnv: "stamp"},
	}
}

func newStore(t *testing.T) *dirstore.Store {
	st, err := dirstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// submit writes the attempt of node n and submits it.
func submit(t *testing.T, e *local.Executor, st store.Store, exec, node string, task *orchestrator.TaskTemplate) (batchrunner.Job, string) {
	t.Helper()
	a := &batchrunner.Attempt{Exec: exec, Node: node, Item: -1, Attempt: 1, Task: *task}
	prefix, err := batchrunner.WriteAttempt(context.Background(), st, a)
	if err != nil {
		t.Fatal(err)
	}
	job := batchrunner.Job{Prefix: prefix, Exec: exec, Node: node, Item: -1, Attempt: 1, Task: task}
	id, err := e.Submit(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	return job, id
}

func result(t *testing.T, st store.Store, prefix string) (*batchrunner.Outputs, *batchrunner.Failure) {
	t.Helper()
	o, f, err := batchrunner.ReadResult(context.Background(), st, prefix)
	if err != nil {
		t.Fatalf("%s: %v", prefix, err)
	}
	return o, f
}

func readStamp(t *testing.T, st store.Store, prefix string) stamp {
	t.Helper()
	o, f := result(t, st, prefix)
	if f != nil {
		t.Fatalf("%s failed: %s\n%s", prefix, f.Error(), f.LogTail)
	}
	var s stamp
	if _, err := fmt.Sscanf(o.Outputs["stamp"].Str+" -", "%d %d %s", &s.start, &s.end, &s.gpus); err != nil {
		t.Fatalf("stamp %q: %v", o.Outputs["stamp"].Str, err)
	}
	if s.gpus == "-" {
		s.gpus = ""
	}
	return s
}

// maxOverlap is the largest number of stamps running at one instant.
func maxOverlap(stamps []stamp) int {
	type ev struct {
		t int64
		d int
	}
	var evs []ev
	for _, s := range stamps {
		evs = append(evs, ev{s.start, 1}, ev{s.end, -1})
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].t < evs[j].t || evs[i].t == evs[j].t && evs[i].d < evs[j].d })
	n, top := 0, 0
	for _, e := range evs {
		n += e.d
		top = max(top, n)
	}
	return top
}

func TestSchedulerNeverOversubscribesCPU(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	e, err := local.New(st, local.Options{CPUMilli: 2000, MemoryBytes: 1 << 30, MaxParallel: 10, GPUs: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	task := stampTask(t, orchestrator.Resources{CPUMilli: 1000}, 150)
	var prefixes []string
	for i := range 10 {
		job, _ := submit(t, e, st, "cpu", "n"+strconv.Itoa(i), task)
		prefixes = append(prefixes, job.Prefix)
	}
	e.Wait()
	var stamps []stamp
	for _, p := range prefixes {
		stamps = append(stamps, readStamp(t, st, p))
	}
	if n := maxOverlap(stamps); n > 2 || n < 1 {
		t.Errorf("at most %d tasks ran at once, want 2 (cpu 2000m / 1000m each)", n)
	}
}

func TestTasksWithoutRequestsRunMaxParallel(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	e, err := local.New(st, local.Options{CPUMilli: 1000, MemoryBytes: 1 << 30, MaxParallel: 4, GPUs: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	task := stampTask(t, orchestrator.Resources{}, 300)
	var prefixes []string
	for i := range 8 {
		job, _ := submit(t, e, st, "free", "n"+strconv.Itoa(i), task)
		prefixes = append(prefixes, job.Prefix)
	}
	e.Wait()
	var stamps []stamp
	for _, p := range prefixes {
		stamps = append(stamps, readStamp(t, st, p))
	}
	if n := maxOverlap(stamps); n > 4 || n < 2 {
		t.Errorf("at most %d tasks ran at once, want MaxParallel 4", n)
	}
}

func TestGPUAssignment(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	e, err := local.New(st, local.Options{CPUMilli: 8000, MemoryBytes: 1 << 30, MaxParallel: 8, GPUs: []int{0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	task := stampTask(t, orchestrator.Resources{GPU: 1}, 150)
	var prefixes []string
	for i := range 6 {
		job, _ := submit(t, e, st, "gpu", "n"+strconv.Itoa(i), task)
		prefixes = append(prefixes, job.Prefix)
	}
	big, _ := submit(t, e, st, "gpu", "big", stampTask(t, orchestrator.Resources{GPU: 3}, 10))
	_, f := result(t, st, big.Prefix) // fails at once, before Wait
	if f == nil || f.Kind != orchestrator.ErrNoRetry || !strings.Contains(f.Message, "gpu 3") || !strings.Contains(f.Message, "gpu 2") {
		t.Errorf("gpu:3 task: %+v, want a permanent failure naming what it asked and what the machine has", f)
	}
	e.Wait()
	var stamps []stamp
	for _, p := range prefixes {
		s := readStamp(t, st, p)
		if s.gpus != "0" && s.gpus != "1" {
			t.Errorf("%s saw CUDA_VISIBLE_DEVICES=%q, want 0 or 1", p, s.gpus)
		}
		for _, o := range stamps {
			if o.gpus == s.gpus && o.start < s.end && s.start < o.end {
				t.Errorf("two tasks overlapping in time both had GPU %s", s.gpus)
			}
		}
		stamps = append(stamps, s)
	}
	if n := maxOverlap(stamps); n > 2 {
		t.Errorf("%d GPU tasks ran at once, want at most 2", n)
	}
}

func TestNeverFits(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	e, err := local.New(st, local.Options{CPUMilli: 2000, MemoryBytes: 1 << 30, GPUs: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	job, id := submit(t, e, st, "big", "fit", stampTask(t, orchestrator.Resources{CPUMilli: 4000, MemoryBytes: 8 << 30}, 10))
	_, f := result(t, st, job.Prefix)
	if f == nil || f.Kind != orchestrator.ErrNoRetry || f.JobID != id {
		t.Fatalf("failure %+v", f)
	}
	want := "the task asks for cpu 4000m, memory 8Gi, gpu 0; this machine has cpu 2000m, memory 1Gi, gpu 0 (local executor)"
	if f.Message != want {
		t.Errorf("message %q\nwant    %q", f.Message, want)
	}
	e.Wait()
}

func TestCancel(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	e, err := local.New(st, local.Options{CPUMilli: 1000, MemoryBytes: 1 << 30, GPUs: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	long := stampTask(t, orchestrator.Resources{CPUMilli: 1000}, 30000)
	running, runID := submit(t, e, st, "c", "running", long)
	queued, queuedID := submit(t, e, st, "c", "queued", long)
	ctx := context.Background()
	// Wait for the first to start.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := st.Head(ctx, running.Prefix+batchrunner.ClaimFile); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := e.Cancel(ctx, queuedID); err != nil {
		t.Fatal(err)
	}
	if err := e.Cancel(ctx, runID); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled jobs did not end")
	}
	for _, p := range []string{running.Prefix, queued.Prefix} {
		_, f := result(t, st, p)
		if f == nil || f.Kind != orchestrator.ErrSystem || f.Message != "cancelled" {
			t.Errorf("%s: %+v, want system error cancelled", p, f)
		}
	}
	if err := e.Cancel(ctx, "no-such-job"); err != nil {
		t.Errorf("cancelling an unknown job: %v", err)
	}
}

func TestDuplicateSubmitRunsOnce(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	e, err := local.New(st, local.Options{GPUs: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	task := stampTask(t, orchestrator.Resources{}, 50)
	job, id1 := submit(t, e, st, "dup", "n", task)
	id2, err := e.Submit(context.Background(), job)
	if err != nil || id2 == id1 {
		t.Fatalf("second submit: %q, %v", id2, err)
	}
	e.Wait()
	o, _ := result(t, st, job.Prefix)
	if o == nil {
		t.Fatal("no outputs")
	}
	// Only one job ran the task: the one holding the claim wrote the result.
	var claim batchrunner.ClaimRecord
	if _, err := store.GetJSON(context.Background(), st, job.Prefix+batchrunner.ClaimFile, &claim); err != nil || claim.JobID != o.JobID {
		t.Errorf("claim %+v, outputs by %s", claim, o.JobID)
	}
}

func TestLogLinesArePrefixed(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	var mu sync.Mutex
	var buf bytes.Buffer
	e, err := local.New(st, local.Options{GPUs: []int{}, Log: writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	})})
	if err != nil {
		t.Fatal(err)
	}
	task := &orchestrator.TaskTemplate{Command: []string{"sh", "-c", "echo one; echo two >&2"}}
	submit(t, e, st, "log", "split", task)
	e.Wait()
	if got := buf.String(); got != "split | one\nsplit | two\n" {
		t.Errorf("log = %q", got)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestDockerArgs(t *testing.T) {
	got := local.DockerArgsForTest(local.DockerRunForTest{
		Name: "aloft-local-1", Image: "python:3.11-slim", User: "1000:1000", CPUMilli: 1500, MemoryBytes: 200 << 20,
		GPUs: []int{0, 2}, Runner: "/opt/aloft/aloft-runner-linux-amd64", StoreRoot: "/home/u/.aloft/bucket",
		TaskDir: "/home/u/wf", Prefix: "data/e/fit/1/", JobID: "local-1",
	})
	want := []string{"run", "--rm", "--init", "--name", "aloft-local-1", "--label", "aloft.job=local-1",
		"--user", "1000:1000", "--cpus", "1.5", "--memory", "276824064", "--memory-swap", "276824064",
		"--gpus", `"device=0,2"`,
		"-v", "/opt/aloft/aloft-runner-linux-amd64:/aloft-runner:ro", "-v", "/home/u/.aloft/bucket:/home/u/.aloft/bucket",
		"-v", "/home/u/wf:/home/u/wf:ro",
		"--entrypoint", "/aloft-runner", "python:3.11-slim",
		"--store", "/home/u/.aloft/bucket", "--attempt", "data/e/fit/1/", "--job-id", "local-1", "--memory-limit", "poll"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("docker args\n got %q\nwant %q", got, want)
	}
	got = local.DockerArgsForTest(local.DockerRunForTest{Name: "n", Image: "i", Runner: "/r", StoreRoot: "/b", Prefix: "p/", JobID: "j"})
	want = []string{"run", "--rm", "--init", "--name", "n", "--label", "aloft.job=j", "-v", "/r:/aloft-runner:ro", "-v", "/b:/b",
		"--entrypoint", "/aloft-runner", "i", "--store", "/b", "--attempt", "p/", "--job-id", "j", "--memory-limit", "poll"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("minimal docker args\n got %q\nwant %q", got, want)
	}
}

func TestDockerWithoutEngine(t *testing.T) {
	st := newStore(t)
	runner, _ := os.Executable()
	_, err := local.New(st, local.Options{Docker: true, RunnerPath: runner, DockerPath: "/nonexistent/docker", GPUs: []int{}})
	if err == nil || !strings.Contains(err.Error(), "--executor docker: no Docker engine answers (docker info: ") ||
		!strings.Contains(err.Error(), "use the default process executor") {
		t.Errorf("New = %v", err)
	}
	_, err = local.New(st, local.Options{Docker: true, GPUs: []int{}})
	if err == nil || !strings.Contains(err.Error(), "--runner") {
		t.Errorf("New without a runner = %v", err)
	}
}

func TestDefaults(t *testing.T) {
	e, err := local.New(newStore(t), local.Options{GPUs: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	slots, cpu, mem, gpus := e.Capacity()
	if slots < 4 || cpu < 1000 || mem <= 0 || len(gpus) != 0 {
		t.Errorf("capacity %d slots, %dm cpu, %d bytes, gpus %v", slots, cpu, mem, gpus)
	}
	t.Logf("defaults here: %d slots, %dm cpu, %d MiB, gpus %v", slots, cpu, mem>>20, gpus)
}

func TestDockerImageOfBuildTasks(t *testing.T) {
	if got := local.DockerImageForTest(&orchestrator.TaskTemplate{Image: "python:3.11"}); got != "python:3.11" {
		t.Errorf("image task: %q", got)
	}
	b := &orchestrator.TaskTemplate{Build: &orchestrator.Build{Base: "ghcr.io/aloft-run/diabetes-base:bookworm-1", Code: "."}}
	if got := local.DockerImageForTest(b); got != "ghcr.io/aloft-run/diabetes-base:bookworm-1" {
		t.Errorf("build task: %q, want its base (the code is mounted)", got)
	}
}
