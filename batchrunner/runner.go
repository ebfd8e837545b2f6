package batchrunner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// MemoryLimit says how Run bounds a task's resident memory when its
// resources request memory (Decision 10).
type MemoryLimit string

// Memory limit modes.
const (
	MemoryAuto   MemoryLimit = ""       // a cgroup v1 memory cgroup where one can be made, else polling
	MemoryCgroup MemoryLimit = "cgroup" // a cgroup v1 memory cgroup, or a system failure if none can be made
	MemoryPoll   MemoryLimit = "poll"   // poll the process group's RSS every 100 ms and kill it on excess
	MemoryOff    MemoryLimit = "off"    // no limit (a container already bounds the task)
)

// RunOptions tunes Run. JobID is required; the rest have defaults.
type RunOptions struct {
	JobID string // recorded in claim.json, outputs.json and error.json
	// Process, if set, is the process that runs the attempt, recorded in
	// claim.json so that a sweep can tell when it is gone (the local
	// executor sets it to its own process).
	Process *ProcessID
	// Attempt, if set, is the attempt's inputs.json as its writer in this
	// process wrote it: Run then does not read it back.
	Attempt     *Attempt
	WorkDir     string // where the attempt's scratch directory is made; default os.TempDir()
	KeepWorkDir bool   // leave the scratch directory behind (debugging)
	// Scratch, if set, recycles scratch directories between the attempts
	// this process runs (see ScratchPool).
	Scratch *ScratchPool
	// Log receives the task's combined output, one Write per line (a line
	// always ends in "\n"). Nil discards it; log.txt gets it either way.
	Log  io.Writer
	GPUs []int // device indices the task may use: CUDA_VISIBLE_DEVICES
	// Env is the environment the task starts from; nil means os.Environ().
	// The task's env and the ALOFT_* variables are added to it.
	Env        []string
	HTTPClient *http.Client // fetches https:// inputs; default http.DefaultClient
	Now        func() time.Time
	Memory     MemoryLimit
	// KillGrace is how long a task has between SIGTERM and SIGKILL when it
	// times out or is cancelled; default 3s.
	KillGrace time.Duration
	// LogFlush is how often log.txt is uploaded while the task runs (it is
	// always uploaded at the end); default 15s, negative: only at the end.
	LogFlush time.Duration
	// LogLimit is how many bytes of the task's output log.txt keeps: the
	// first half and the last half, with a line between saying how many
	// bytes were dropped; default 64 MiB.
	LogLimit int64
}

const logTailBytes = 4096

func (o RunOptions) withDefaults() RunOptions {
	if o.WorkDir == "" {
		o.WorkDir = os.TempDir()
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.KillGrace <= 0 {
		o.KillGrace = 3 * time.Second
	}
	if o.LogLimit <= 0 {
		o.LogLimit = defaultLogLimit
	}
	if o.LogFlush == 0 {
		o.LogFlush = 15 * time.Second
	}
	return o
}

// Run runs the attempt at prefix to completion: it claims the attempt,
// reads inputs.json, fetches the inputs into a scratch directory, renders
// the command (no shell), runs the task in its own process group under its
// timeout and memory limit, streams its output, validates and uploads the
// declared outputs, and writes outputs.json, or error.json when the task
// failed. log.txt, if the task printed anything, is written before either.
//
// Run returns nil when the attempt is claimed by another job or already has
// a result (it then does nothing), and whenever the task itself failed (the
// failure is in error.json). It returns an error only when aloft's own
// machinery failed (the store did not answer, the scratch directory could
// not be made). When ctx is cancelled, the task is stopped and the attempt
// fails with a system error "cancelled".
func Run(ctx context.Context, st store.Store, prefix string, opt RunOptions) error {
	if err := validPrefix(prefix); err != nil {
		return err
	}
	if opt.JobID == "" {
		return fmt.Errorf("run %s: no job id", prefix)
	}
	opt = opt.withDefaults()
	fresh, err := claim(ctx, st, prefix, ClaimRecord{JobID: opt.JobID, ClaimedAt: opt.Now().UTC(), Process: opt.Process})
	if err != nil {
		if errors.Is(err, ErrClaimed) {
			return nil
		}
		return fmt.Errorf("run %s: %w", prefix, err)
	}
	if !fresh { // this job claimed it before: it may have finished
		if _, _, err := ReadResult(ctx, st, prefix); !errors.Is(err, ErrNoResult) {
			return err // nil: this job already finished the attempt
		}
	}
	a := opt.Attempt
	if a == nil || a.Prefix() != prefix {
		if a, err = ReadAttempt(ctx, st, prefix); err != nil {
			return fmt.Errorf("run %s: %w", prefix, err)
		}
	}
	r := &runner{st: st, prefix: prefix, opt: opt, a: a, started: opt.Now(), fresh: fresh}
	return r.run(ctx)
}

// runner holds one Run.
type runner struct {
	st      store.Store
	prefix  string
	opt     RunOptions
	a       *Attempt
	fresh   bool // the claim is new: the attempt has no result
	started time.Time
	work    string // scratch directory
	log     *logSink
}

// taskError is a failure of the attempt (as opposed to one of aloft's
// machinery): it becomes error.json.
type taskError struct {
	kind orchestrator.ErrorKind
	msg  string
	proc *procResult // set once the task ran
}

func (e *taskError) Error() string { return string(e.kind) + ": " + e.msg }

func failf(kind orchestrator.ErrorKind, format string, args ...any) *taskError {
	return &taskError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

func (r *runner) run(ctx context.Context) error {
	prefix := scratchPrefix(r.a.Exec + "-" + r.a.Label())
	scratch, ok := r.opt.Scratch.take(r.opt.WorkDir, prefix)
	if !ok {
		var err error
		if scratch, err = makeScratch(r.opt.WorkDir, prefix); err != nil {
			return fmt.Errorf("run %s: make scratch directory: %w", r.prefix, err)
		}
	}
	r.work = scratch.path
	if !r.opt.KeepWorkDir {
		defer func() {
			if r.opt.Scratch.put(scratch) {
				return
			}
			_ = os.RemoveAll(scratch.path)
		}()
	}
	r.log = newLogSink(filepath.Join(r.work, "log.txt"), r.opt.Log, r.opt.KeepWorkDir)
	r.log.limit = r.opt.LogLimit
	defer r.log.close()

	outputs, peak, terr, err := r.attempt(ctx)
	if err != nil {
		if ctx.Err() == nil {
			return fmt.Errorf("run %s: %w", r.prefix, err)
		}
		terr = failf(orchestrator.ErrSystem, "cancelled")
	}
	// The attempt's result must be recorded even when ctx is cancelled.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := r.log.upload(wctx, r.st, r.prefix+LogFile); err != nil {
		return fmt.Errorf("run %s: %w", r.prefix, err)
	}
	write := writeResult
	if r.fresh {
		write = writeNewResult
	}
	if terr != nil {
		_, err = write(wctx, r.st, r.prefix, ErrorFile, r.failure(terr))
	} else {
		_, err = write(wctx, r.st, r.prefix, OutputsFile, &Outputs{
			Outputs: outputs, PeakRSS: peak, JobID: r.opt.JobID, Started: r.started.UTC(), Finished: r.opt.Now().UTC(),
		})
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", r.prefix, err)
	}
	return nil
}

// attempt does the work between the claim and the result: it returns the
// outputs and the task's peak memory, or the task's failure, or an error of
// aloft's machinery.
func (r *runner) attempt(ctx context.Context) (map[string]orchestrator.Literal, int64, *taskError, error) {
	task := &r.a.Task
	inDir, outDir := filepath.Join(r.work, scratchInputs), filepath.Join(r.work, scratchOutputs)
	f := &fetcher{st: r.st, client: r.opt.HTTPClient, taskDir: taskDir(task.Dir, r.work)}
	values, terr, err := f.fetchAll(ctx, r.a.Inputs, inDir)
	if terr != nil || err != nil {
		return nil, 0, terr, err
	}
	outPaths := make(map[string]string, len(task.Outputs))
	for _, p := range task.Outputs {
		outPaths[p.Name] = filepath.Join(outDir, p.Name)
	}
	for _, p := range task.Inputs {
		if _, ok := values[p.Name]; !ok {
			values[p.Name] = "" // an optional input without a value
		}
	}
	argv, rerr := renderArgv(task.Command, values, outPaths)
	if rerr != nil {
		return nil, 0, failf(orchestrator.ErrNoRetry, "%v", rerr), nil
	}
	env := r.env(inDir, outDir)
	dir := taskDir(task.Dir, r.work)
	path, lerr := lookPath(argv[0], env, dir)
	if lerr != nil {
		return nil, 0, failf(orchestrator.ErrNoRetry, "%v", lerr), nil
	}
	stopFlush := r.log.flushEvery(ctx, r.st, r.prefix+LogFile, r.opt.LogFlush)
	res := runProcess(ctx, procSpec{
		path: path, argv: argv, dir: dir, env: env,
		timeout: task.Timeout, memLimit: task.Resources.MemoryBytes, memMode: r.opt.Memory,
		grace: r.opt.KillGrace, name: safeName(r.a.Exec + "-" + r.a.Label()),
	}, r.log)
	stopFlush()
	if terr := classify(&res, task); terr != nil {
		return nil, 0, terr, nil
	}
	outputs, terr, err := r.collect(ctx, task, outDir)
	if terr != nil {
		terr.proc = &res
	}
	return outputs, res.peak, terr, err
}

// classify turns how the process ended into a task failure, or nil when it
// exited 0.
func classify(res *procResult, task *orchestrator.TaskTemplate) *taskError {
	var e *taskError
	switch {
	case res.startErr != nil && startFailureIsPermanent(res.startErr):
		e = failf(orchestrator.ErrNoRetry, "%v", res.startErr)
	case res.startErr != nil:
		e = failf(orchestrator.ErrSystem, "%v", res.startErr)
	case res.cancelled:
		e = failf(orchestrator.ErrSystem, "cancelled")
	case res.oom:
		e = failf(orchestrator.ErrOOM, "out of memory: exceeded %s limit (peak %s, %s)",
			formatQuantity(task.Resources.MemoryBytes), formatMiB(res.peak), res.limiter)
	case res.timedOut:
		e = failf(orchestrator.ErrTimeout, "timed out after %s", task.Timeout)
	case res.signal != "":
		e = failf(orchestrator.ErrUser, "task was killed by %s", res.signal)
	case res.exitCode != 0:
		e = failf(orchestrator.ErrUser, "task exited with code %d", res.exitCode)
	default:
		return nil
	}
	e.proc = res
	return e
}

// failure builds error.json.
func (r *runner) failure(e *taskError) *Failure {
	f := &Failure{
		Kind: e.kind, ExitCode: -1, Message: e.msg, LogTail: r.log.tailString(),
		JobID: r.opt.JobID, Started: r.started.UTC(), Finished: r.opt.Now().UTC(),
	}
	if p := e.proc; p != nil {
		f.ExitCode, f.Signal, f.PeakRSS = p.exitCode, p.signal, p.peak
	}
	return f
}

// env is the task's environment: the base, the task's env, then aloft's.
func (r *runner) env(inDir, outDir string) []string {
	env := append([]string(nil), r.opt.Env...)
	keys := make([]string, 0, len(r.a.Task.Env))
	for k := range r.a.Task.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+r.a.Task.Env[k])
	}
	env = append(env,
		"ALOFT_PROJECT="+r.a.Project,
		"ALOFT_DOMAIN="+r.a.Domain,
		"ALOFT_EXECUTION="+r.a.Exec,
		"ALOFT_NODE="+r.a.Node,
		"ALOFT_ITEM="+strconv.Itoa(r.a.Item),
		"ALOFT_ATTEMPT="+strconv.Itoa(r.a.Attempt),
		"ALOFT_JOB_ID="+r.opt.JobID,
		"ALOFT_INPUT_DIR="+inDir,
		"ALOFT_OUTPUT_DIR="+outDir,
	)
	if len(r.opt.GPUs) > 0 {
		ids := make([]string, len(r.opt.GPUs))
		for i, g := range r.opt.GPUs {
			ids[i] = strconv.Itoa(g)
		}
		env = append(env, "CUDA_VISIBLE_DEVICES="+strings.Join(ids, ","))
	}
	return env
}

// lookPath finds the executable argv[0] names, searching the PATH of the
// task's environment (not the runner's) when the name has no slash.
func lookPath(name string, env []string, dir string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty command")
	}
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if err := executable(p); err != nil {
			return "", fmt.Errorf("command %s: %w", name, err)
		}
		return p, nil
	}
	pathEnv := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathEnv = v
		}
	}
	// The search costs a stat per PATH entry: remember where the name was
	// found, and check only that while it still holds.
	key := name + "\x00" + pathEnv + "\x00" + dir
	if p, ok := foundCommands.Load(key); ok && executable(p.(string)) == nil {
		return p.(string), nil
	}
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		p := filepath.Join(d, name)
		if executable(p) == nil {
			foundCommands.Store(key, p)
			return p, nil
		}
	}
	return "", fmt.Errorf("command %s: not found in PATH %s", name, pathEnv)
}

// foundCommands maps a command's name, PATH and directory to where
// lookPath found it.
var foundCommands sync.Map

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// safeName keeps letters, digits, '-', '_' and '.', for file and cgroup names.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// formatQuantity writes a byte count the way specs write it: 200Mi, 2Gi, or bytes.
func formatQuantity(n int64) string {
	for _, u := range []struct {
		s string
		v int64
	}{{"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if n >= u.v && n%u.v == 0 {
			return strconv.FormatInt(n/u.v, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func formatMiB(n int64) string {
	return strconv.FormatInt((n+(1<<20)-1)>>20, 10) + " MiB"
}

// taskDir is the working directory of a task: the workflow file's directory
// where it exists (local runs, Decision 9); in a container, where the
// registering machine's path does not exist, the process's own working
// directory (/aloft/code in images aloft builds); scratch when the task
// names none.
func taskDir(dir, scratch string) string {
	if dir == "" {
		return scratch
	}
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return dir
	}
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return scratch
}
