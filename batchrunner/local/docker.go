package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// runnerHeadroom is memory a container gets above the task's request, for
// aloft-runner itself: the runner enforces the request on the task (RSS
// polling) and so can report an OOM, rather than the kernel killing the
// whole container first.
const runnerHeadroom = 64 << 20

// dockerConfig is what docker mode needs besides the job.
type dockerConfig struct {
	docker string // the docker CLI
	runner string // absolute path of the Linux aloft-runner binary
	root   string // the store's directory
	user   string // "uid:gid", so files written into the bucket stay the user's
}

// rootedStore is a store kept in a local directory (dirstore).
type rootedStore interface{ Root() string }

func newDockerConfig(st store.Store, opt Options) (*dockerConfig, error) {
	rs, ok := st.(rootedStore)
	if !ok {
		return nil, errors.New("--executor docker: the bucket must be a local directory (the containers mount it)")
	}
	if opt.RunnerPath == "" {
		return nil, errors.New("--executor docker: no runner binary (a Linux build of aloft-runner; pass --runner PATH)")
	}
	runner, err := filepath.Abs(opt.RunnerPath)
	if err == nil {
		_, err = os.Stat(runner)
	}
	if err != nil {
		return nil, fmt.Errorf("--executor docker: runner binary: %w", err)
	}
	docker := opt.DockerPath
	if docker == "" {
		docker = "docker"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, docker, "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err != nil {
		why := strings.TrimSpace(string(out))
		if why == "" {
			why = err.Error()
		}
		if i := strings.IndexByte(why, '\n'); i >= 0 {
			why = why[:i]
		}
		return nil, fmt.Errorf("--executor docker: no Docker engine answers (docker info: %s); use the default process executor", why)
	}
	return &dockerConfig{
		docker: docker, runner: runner, root: rs.Root(),
		user: strconv.Itoa(os.Getuid()) + ":" + strconv.Itoa(os.Getgid()),
	}, nil
}

// dockerRun is one `docker run` of aloft-runner in a task's image.
type dockerRun struct {
	Name        string // container name
	Image       string
	User        string // "uid:gid"
	CPUMilli    int64
	MemoryBytes int64
	GPUs        []int
	Runner      string // host path of the Linux aloft-runner
	StoreRoot   string // host directory of the bucket
	TaskDir     string // the workflow's directory, or ""
	Prefix      string
	JobID       string
}

// args is the docker CLI's argv after "docker". The bucket is mounted at
// its host path, so the file:// URIs in inputs.json and outputs.json mean
// the same inside and outside; so is the workflow directory (read-only),
// the task's working directory as in process mode.
func (d dockerRun) args() []string {
	a := []string{"run", "--rm", "--init", "--name", d.Name, "--label", "aloft.job=" + d.JobID}
	if d.User != "" {
		a = append(a, "--user", d.User)
	}
	if d.CPUMilli > 0 {
		a = append(a, "--cpus", strconv.FormatFloat(float64(d.CPUMilli)/1000, 'f', -1, 64))
	}
	if d.MemoryBytes > 0 {
		m := strconv.FormatInt(d.MemoryBytes+runnerHeadroom, 10)
		a = append(a, "--memory", m, "--memory-swap", m)
	}
	if len(d.GPUs) > 0 {
		ids := make([]string, len(d.GPUs))
		for i, g := range d.GPUs {
			ids[i] = strconv.Itoa(g)
		}
		// The quotes are part of the value: docker reads --gpus as CSV.
		a = append(a, "--gpus", `"device=`+strings.Join(ids, ",")+`"`)
	}
	a = append(a, "-v", d.Runner+":/aloft-runner:ro", "-v", d.StoreRoot+":"+d.StoreRoot)
	if d.TaskDir != "" {
		a = append(a, "-v", d.TaskDir+":"+d.TaskDir+":ro")
	}
	a = append(a, "--entrypoint", "/aloft-runner", d.Image,
		"--store", d.StoreRoot, "--attempt", d.Prefix, "--job-id", d.JobID, "--memory-limit", string(batchrunner.MemoryPoll))
	return a
}

// runDocker runs the job in a container and makes sure the attempt ends
// with a result even when the container wrote none (image pull failed,
// container killed).
func (e *Executor) runDocker(ctx context.Context, j *job, out io.Writer) error {
	task := j.spec.Task
	if task == nil {
		a, err := batchrunner.ReadAttempt(ctx, e.st, j.spec.Prefix)
		if err != nil {
			return err
		}
		task = &a.Task
	}
	image := dockerImage(task)
	if image == "" {
		return e.fail(ctx, j, orchestrator.ErrNoRetry, fmt.Sprintf("task %s has no image: --executor docker runs every task in its image", task.Name))
	}
	name := "aloft-" + j.id
	run := dockerRun{
		Name: name, Image: image, User: e.dkr.user,
		CPUMilli: j.cpu, MemoryBytes: j.mem, GPUs: j.gpus,
		Runner: e.dkr.runner, StoreRoot: e.dkr.root, TaskDir: task.Dir,
		Prefix: j.spec.Prefix, JobID: j.id,
	}
	tail := &tailWriter{max: 2048}
	cmd := exec.Command(e.dkr.docker, run.args()...)
	w := io.MultiWriter(out, tail)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("docker run: %w", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-waited:
	case <-ctx.Done():
		// The runner inside gets SIGTERM and records the cancellation.
		_ = exec.Command(e.dkr.docker, "stop", "-t", "10", name).Run()
		werr = <-waited
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, _, err := batchrunner.ReadResult(wctx, e.st, j.spec.Prefix); !errors.Is(err, batchrunner.ErrNoResult) {
		return err
	}
	msg := "the container ended without writing a result"
	if werr != nil {
		msg = fmt.Sprintf("docker run: %v; the container wrote no result", werr)
	}
	if ctx.Err() != nil {
		msg = "cancelled"
	}
	if t := strings.TrimSpace(tail.String()); t != "" {
		msg += ": " + t
	}
	return e.fail(wctx, j, orchestrator.ErrSystem, msg)
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 2*t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.b
	if len(b) > t.max {
		b = b[len(b)-t.max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// dockerImage is the image a task runs in under --executor docker: its
// image, or for a build: task the base (its code is the task directory,
// mounted as in process mode, so no image needs building locally).
func dockerImage(t *orchestrator.TaskTemplate) string {
	if t.Image == "" && t.Build != nil {
		return t.Build.Base
	}
	return t.Image
}
