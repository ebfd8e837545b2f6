package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

var _ batchrunner.Dispatcher = (*Executor)(nil)

// Options configures an Executor. Zero fields take the defaults New
// describes.
type Options struct {
	// MaxParallel bounds how many jobs run at once whatever they request.
	// Default 2×NumCPU, at least 4: cpu, memory and gpu requests already
	// bound heavy tasks, so this only stops a wide fan-out of tasks that
	// request nothing from forking without limit, while letting such tasks
	// (mostly waiting on I/O) overlap.
	MaxParallel int
	CPUMilli    int64 // CPU to share out, in milli-CPU; default NumCPU×1000
	MemoryBytes int64 // memory to share out; default MemTotal (or this process's cgroup limit, if lower)
	// GPUs are the device indices to share out. Nil detects them with
	// nvidia-smi; an empty non-nil slice means none.
	GPUs []int
	// Log receives every task's output, each line prefixed with its node
	// ("fit | ..."). Nil discards it (log.txt in the store has it anyway).
	Log        io.Writer
	WorkDir    string       // where scratch directories go; default os.TempDir()
	Env        []string     // the tasks' base environment; default os.Environ()
	HTTPClient *http.Client // for https:// inputs
	Memory     batchrunner.MemoryLimit

	// Docker runs each task with `docker run` in its image instead of as a
	// local process (aloft run --executor docker). It needs RunnerPath, a
	// Linux build of aloft-runner for the images' platform, and a store
	// with a local root (dirstore).
	Docker     bool
	RunnerPath string
	DockerPath string // default "docker"

	Now      func() time.Time
	NewJobID func() string // default "local-" and 12 random hex digits
	// ProcRoot is where the proc file system is, for the process
	// identities in claims and Liveness; default /proc.
	ProcRoot string
}

// Executor runs attempts on this machine, never starting a job whose
// requests would oversubscribe the cpu, memory or GPUs not yet handed out.
// Jobs start in submission order (strict FIFO: a big job at the head waits
// for room and nothing overtakes it, so it cannot starve).
type Executor struct {
	st  store.Store
	opt Options
	log *lockedWriter
	dkr *dockerConfig // nil: process mode
	// scratch recycles the attempts' scratch directories (process mode).
	scratch *batchrunner.ScratchPool
	proc    batchrunner.ProcFS
	self    *batchrunner.ProcessID // recorded in claims (process mode)

	mu      sync.Mutex
	free    capacity
	total   capacity
	queue   []*job
	jobs    map[string]*job // queued or running
	running sync.WaitGroup
}

// capacity is an amount of each resource.
type capacity struct {
	slots int
	cpu   int64
	mem   int64
	gpus  []int // device indices
}

type job struct {
	id     string
	spec   batchrunner.Job
	cpu    int64
	mem    int64
	ngpu   int
	gpus   []int // assigned when started
	cancel func()
	// started is set when the job leaves the queue.
	started bool
}

// New makes an Executor over st. With Options.Docker it fails unless a
// Docker engine answers.
func New(st store.Store, opt Options) (*Executor, error) {
	if opt.MaxParallel <= 0 {
		opt.MaxParallel = max(4, 2*runtime.NumCPU())
	}
	if opt.CPUMilli <= 0 {
		opt.CPUMilli = int64(runtime.NumCPU()) * 1000
	}
	if opt.MemoryBytes <= 0 {
		opt.MemoryBytes = detectMemory()
	}
	if opt.GPUs == nil {
		opt.GPUs = detectGPUs()
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NewJobID == nil {
		opt.NewJobID = randomJobID
	}
	e := &Executor{
		st:      st,
		opt:     opt,
		log:     &lockedWriter{w: opt.Log},
		jobs:    make(map[string]*job),
		scratch: batchrunner.NewScratchPool(),
		proc:    batchrunner.ProcFS{Root: opt.ProcRoot},
	}
	e.self = selfProcess(e.proc)
	e.total = capacity{slots: opt.MaxParallel, cpu: opt.CPUMilli, mem: opt.MemoryBytes, gpus: append([]int(nil), opt.GPUs...)}
	e.free = e.total
	e.free.gpus = append([]int(nil), opt.GPUs...)
	// Scratch directories that runs killed with -9 left behind, with
	// copies of their inputs (best effort).
	workDir := opt.WorkDir
	if workDir == "" {
		workDir = os.TempDir()
	}
	_, _ = batchrunner.RemoveStaleScratch(workDir)
	if opt.Docker {
		d, err := newDockerConfig(st, opt)
		if err != nil {
			return nil, err
		}
		e.dkr = d
	}
	return e, nil
}

// Capacity reports what the executor shares out: parallel slots, milli-CPU,
// memory bytes and GPU indices.
func (e *Executor) Capacity() (slots int, cpuMilli, memBytes int64, gpus []int) {
	return e.total.slots, e.total.cpu, e.total.mem, append([]int(nil), e.total.gpus...)
}

// Submit queues the attempt and returns its job id at once; the job starts
// as soon as its requests fit. A job that could never fit on this machine
// fails at once: its error.json (kind permanent) says what it asked for and
// what the machine has.
func (e *Executor) Submit(ctx context.Context, spec batchrunner.Job) (string, error) {
	id := e.opt.NewJobID()
	j := &job{id: id, spec: spec}
	if spec.Task != nil {
		r := spec.Task.Resources
		j.cpu, j.mem, j.ngpu = r.CPUMilli, r.MemoryBytes, r.GPU
	}
	if j.cpu > e.total.cpu || j.mem > e.total.mem || j.ngpu > len(e.total.gpus) {
		msg := fmt.Sprintf("the task asks for %s; this machine has %s (local executor)",
			describe(j.cpu, j.mem, j.ngpu), describe(e.total.cpu, e.total.mem, len(e.total.gpus)))
		if err := e.fail(ctx, j, orchestrator.ErrNoRetry, msg); err != nil {
			return "", fmt.Errorf("submit %s: %w", spec.Prefix, err)
		}
		return id, nil
	}
	e.mu.Lock()
	e.jobs[id] = j
	e.queue = append(e.queue, j)
	e.running.Add(1)
	e.scheduleLocked()
	e.mu.Unlock()
	return id, nil
}

// Cancel stops a job: a queued job fails at once, a running one has its
// process group killed; either way the attempt fails with a system error
// "cancelled". Unknown and finished jobs are ignored.
func (e *Executor) Cancel(ctx context.Context, jobID string) error {
	e.mu.Lock()
	j, ok := e.jobs[jobID]
	if !ok {
		e.mu.Unlock()
		return nil
	}
	if j.started {
		cancel := j.cancel
		e.mu.Unlock()
		cancel()
		return nil
	}
	for i, q := range e.queue {
		if q == j {
			e.queue = append(e.queue[:i], e.queue[i+1:]...)
			break
		}
	}
	delete(e.jobs, jobID)
	e.scheduleLocked() // the head may have changed
	e.mu.Unlock()
	defer e.running.Done()
	return e.fail(ctx, j, orchestrator.ErrSystem, "cancelled")
}

// Wait blocks until every submitted job has finished, then removes the
// scratch directories kept for reuse.
func (e *Executor) Wait() {
	e.running.Wait()
	e.scratch.Drain()
}

// scheduleLocked starts queued jobs, in order, while the head fits.
func (e *Executor) scheduleLocked() {
	for {
		j, ctx := e.takeLocked()
		if j == nil {
			return
		}
		go e.runJobs(ctx, j)
	}
}

// takeLocked takes the head of the queue and its resources if they fit.
func (e *Executor) takeLocked() (*job, context.Context) {
	if len(e.queue) == 0 {
		return nil, nil
	}
	j := e.queue[0]
	if e.free.slots < 1 || j.cpu > e.free.cpu || j.mem > e.free.mem || j.ngpu > len(e.free.gpus) {
		return nil, nil
	}
	e.queue = e.queue[1:]
	e.free.slots--
	e.free.cpu -= j.cpu
	e.free.mem -= j.mem
	j.gpus = append([]int(nil), e.free.gpus[:j.ngpu]...)
	e.free.gpus = e.free.gpus[j.ngpu:]
	ctx, cancel := context.WithCancel(context.Background())
	j.cancel, j.started = cancel, true
	return j, ctx
}

// releaseAndNext gives a finished job's resources back and starts what now
// fits; the first job that fits it returns to run on the caller's goroutine
// (a wide fan-out of short tasks then runs on a few goroutines, not one
// new goroutine per task).
func (e *Executor) releaseAndNext(j *job) (*job, context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.jobs, j.id)
	e.free.slots++
	e.free.cpu += j.cpu
	e.free.mem += j.mem
	e.free.gpus = append(e.free.gpus, j.gpus...)
	next, ctx := e.takeLocked()
	e.scheduleLocked()
	return next, ctx
}

// runJobs runs j, then the queued jobs its release lets start first. A
// job counts as finished (Wait) once its resources are back.
func (e *Executor) runJobs(ctx context.Context, j *job) {
	for j != nil {
		e.runJob(ctx, j)
		j, ctx = e.releaseAndNext(j)
		e.running.Done()
	}
}

func (e *Executor) runJob(ctx context.Context, j *job) {
	defer j.cancel()
	out := &prefixWriter{w: e.log, prefix: j.spec.Label() + " | "}
	var err error
	if e.dkr != nil {
		err = e.runDocker(ctx, j, out)
	} else {
		err = batchrunner.Run(ctx, withoutSync(e.st), j.spec.Prefix, batchrunner.RunOptions{
			JobID: j.id, Attempt: j.spec.Spec, WorkDir: e.opt.WorkDir, Scratch: e.scratch, Log: out, GPUs: j.gpus, Env: e.opt.Env,
			HTTPClient: e.opt.HTTPClient, Now: e.opt.Now, Memory: e.opt.Memory, Process: e.self,
		})
	}
	if err != nil {
		// aloft's own machinery failed: record it so the engine can retry.
		fmt.Fprintf(out, "aloft: job %s failed: %v\n", j.id, err)
		wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = e.fail(wctx, j, orchestrator.ErrSystem, err.Error())
	}
}

// fail records a failure of the job's attempt unless another job holds it
// or it already has a result.
func (e *Executor) fail(ctx context.Context, j *job, kind orchestrator.ErrorKind, msg string) error {
	now := e.opt.Now().UTC()
	if err := batchrunner.Claim(ctx, e.st, j.spec.Prefix, j.id, now); err != nil {
		if errors.Is(err, batchrunner.ErrClaimed) {
			return nil
		}
		return err
	}
	_, err := batchrunner.WriteFailure(ctx, e.st, j.spec.Prefix, &batchrunner.Failure{
		Kind: kind, ExitCode: -1, Message: msg, JobID: j.id, Started: now, Finished: now,
	})
	return err
}

func randomJobID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "local-" + hex.EncodeToString(b[:])
}

// describe writes requests like "cpu 1500m, memory 200Mi, gpu 1".
func describe(cpu, mem int64, gpu int) string {
	return fmt.Sprintf("cpu %dm, memory %s, gpu %d", cpu, formatBytes(mem), gpu)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGi", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGi", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMi", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMi", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d", n)
}
