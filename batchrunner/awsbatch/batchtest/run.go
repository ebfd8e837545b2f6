package batchtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// job is one job: a single job, an array parent (children set, never run
// itself) or an array child (parent set).
type job struct {
	d          jobDetail
	parent     *job
	children   []*job
	index      int
	stop       chan struct{} // closed by TerminateJob
	stopReason string
	out        bytes.Buffer
}

func (j *job) finished() bool { return j.d.Status == "SUCCEEDED" || j.d.Status == "FAILED" }

// snapshot copies j's detail deeply enough to marshal without s.mu.
func (j *job) snapshot() jobDetail {
	d := j.d
	d.Attempts = append([]attemptDetail{}, j.d.Attempts...)
	if j.d.Container != nil {
		d.Container = ptr(*j.d.Container)
	}
	if a := j.d.ArrayProperties; a != nil {
		d.ArrayProperties = ptr(*a)
		if a.StatusSummary != nil {
			d.ArrayProperties.StatusSummary = maps.Clone(a.StatusSummary)
		}
	}
	return d
}

// start launches j's goroutines (its children's, for an array job). Called
// with s.mu held.
func (s *Server) start(j *job) {
	j.stop = make(chan struct{})
	if len(j.children) == 0 {
		s.wg.Add(1)
		go s.run(j)
		return
	}
	j.d.Status = "PENDING"
	for _, c := range j.children {
		c.stop = make(chan struct{})
		s.wg.Add(1)
		go s.run(c)
	}
}

func (s *Server) run(j *job) {
	defer s.wg.Done()
	s.setStatus(j, "PENDING")
	s.setStatus(j, "RUNNABLE")
	if s.opt.Runner == "" {
		select {
		case <-j.stop:
			s.finish(j, "FAILED", j.stopReason, nil)
		case <-s.closing:
		}
		return
	}
	select {
	case s.sem <- struct{}{}:
	case <-j.stop:
		s.finish(j, "FAILED", j.stopReason, nil)
		return
	case <-s.closing:
		return
	}
	defer func() { <-s.sem }()

	s.setStatus(j, "STARTING")
	if f := s.opt.FailPull; f != nil && f(j.d.Container.Image) {
		s.finish(j, "FAILED", "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "+j.d.Container.Image+": not found", nil)
		return
	}
	attempts := 1
	if r := j.d.RetryStrategy; r != nil && r.Attempts > 1 {
		attempts = r.Attempts
	}
	for n := 1; ; n++ {
		a, outcome := s.attempt(j, n)
		s.mu.Lock()
		j.d.Attempts = append(j.d.Attempts, a)
		s.mu.Unlock()
		switch {
		case outcome == closed:
			return
		case outcome == stopped:
			s.finish(j, "FAILED", j.stopReason, &a)
			return
		case a.Container.ExitCode != nil && *a.Container.ExitCode == 0 && a.StatusReason == exitedReason:
			s.finish(j, "SUCCEEDED", exitedReason, &a)
			return
		case n < attempts && decide(j.d.RetryStrategy, a) == "RETRY":
			s.setStatus(j, "RUNNABLE")
			s.setStatus(j, "STARTING")
			continue
		}
		s.finish(j, "FAILED", a.StatusReason, &a)
		return
	}
}

const exitedReason = "Essential container in task exited"

type attemptOutcome int

const (
	ended   attemptOutcome = iota // the process ended or the host died
	stopped                       // TerminateJob stopped it
	closed                        // the server is closing
)

// attempt runs attempt n of j and reports it.
func (s *Server) attempt(j *job, n int) (attemptDetail, attemptOutcome) {
	task := strings.ReplaceAll(newUUID(), "-", "")[:16]
	stream := "aloft/default/" + task
	a := attemptDetail{
		Container: attemptContainer{
			ContainerInstanceArn: "arn:aws:ecs:" + s.opt.Region + ":" + s.opt.Account + ":container-instance/batchtest/" + task,
			TaskArn:              "arn:aws:ecs:" + s.opt.Region + ":" + s.opt.Account + ":task/batchtest/" + task,
			LogStreamName:        stream,
			NetworkInterfaces:    []any{},
		},
		StartedAt: time.Now().UnixMilli(),
	}
	s.mu.Lock()
	j.d.Status, j.d.StatusReason = "RUNNING", ""
	j.d.StartedAt = a.StartedAt
	j.d.Container.LogStreamName = stream
	s.enqueueLocked(j)
	s.updateParentLocked(j)
	s.mu.Unlock()

	name, index := j.d.JobName, -1
	if j.parent != nil {
		index = j.index
	}
	reclaim := s.opt.Reclaim != nil && s.opt.Reclaim(name, index, n)
	host := "Host EC2 (instance i-0" + task + ") terminated."
	if reclaim && s.opt.ReclaimAfter <= 0 {
		a.StatusReason, a.StoppedAt = host, time.Now().UnixMilli()
		return a, ended
	}

	cmd := exec.Command(s.opt.Runner, j.d.Container.Command...)
	cmd.Env = s.env(j, n)
	w := &jobWriter{s: s, j: j}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.WaitDelay = s.opt.KillGrace // a task outliving the runner cannot hold its output open
	setGroup(cmd)
	if err := cmd.Start(); err != nil {
		a.StatusReason = "CannotStartContainerError: " + err.Error()
		a.Container.Reason = a.StatusReason
		a.StoppedAt = time.Now().UnixMilli()
		return a, ended
	}
	waitc := make(chan error, 1)
	go func() { waitc <- cmd.Wait() }()
	var reclaimC, timeoutC <-chan time.Time
	if reclaim {
		reclaimC = time.After(s.opt.ReclaimAfter)
	}
	if t := j.d.Timeout; t != nil && t.AttemptDurationSeconds > 0 {
		timeoutC = time.After(time.Duration(t.AttemptDurationSeconds) * time.Second)
	}
	outcome := ended
	select {
	case <-waitc:
		a.StatusReason = exitedReason
	case <-reclaimC:
		signalGroup(cmd, syscall.SIGKILL)
		<-waitc
		a.StatusReason = host
	case <-timeoutC:
		s.stopProcess(cmd, waitc)
		a.StatusReason = "Job attempt duration exceeded timeout"
	case <-j.stop:
		s.stopProcess(cmd, waitc)
		a.StatusReason, outcome = exitedReason, stopped
	case <-s.closing:
		signalGroup(cmd, syscall.SIGKILL)
		<-waitc
		return a, closed
	}
	if a.StatusReason != host {
		code := exitCode(cmd.ProcessState)
		a.Container.ExitCode = &code
	}
	a.StoppedAt = time.Now().UnixMilli()
	return a, outcome
}

// stopProcess stops a container as ECS does: SIGTERM, then SIGKILL after
// the grace period.
func (s *Server) stopProcess(cmd *exec.Cmd, waitc <-chan error) {
	signalGroup(cmd, syscall.SIGTERM)
	select {
	case <-waitc:
	case <-time.After(s.opt.KillGrace):
		signalGroup(cmd, syscall.SIGKILL)
		<-waitc
	}
}

// env is the environment of attempt n of j.
func (s *Server) env(j *job, n int) []string {
	env := append(os.Environ(), s.opt.Env...)
	for _, kv := range j.d.Container.Environment {
		env = append(env, kv.Name+"="+kv.Value)
	}
	queue := j.d.JobQueue[strings.LastIndex(j.d.JobQueue, "/")+1:]
	env = append(env,
		"AWS_BATCH_JOB_ID="+j.d.JobID,
		"AWS_BATCH_JOB_ATTEMPT="+strconv.Itoa(n),
		"AWS_BATCH_JQ_NAME="+queue,
		"AWS_BATCH_CE_NAME=batchtest",
	)
	if j.parent != nil {
		env = append(env,
			"AWS_BATCH_JOB_ARRAY_INDEX="+strconv.Itoa(j.index),
			"AWS_BATCH_JOB_ARRAY_SIZE="+strconv.Itoa(len(j.parent.children)))
	}
	return env
}

// decide applies a retry strategy's evaluateOnExit rules to a failed
// attempt as AWS Batch does: the first rule whose conditions all match
// decides, and when none matches the job is retried.
func decide(r *retryStrategy, a attemptDetail) string {
	if r == nil {
		return "EXIT"
	}
	code := ""
	if a.Container.ExitCode != nil {
		code = strconv.Itoa(*a.Container.ExitCode)
	}
	for _, e := range r.EvaluateOnExit {
		if glob(e.OnStatusReason, a.StatusReason) && glob(e.OnReason, a.Container.Reason) && glob(e.OnExitCode, code) {
			return strings.ToUpper(e.Action)
		}
	}
	return "RETRY"
}

// glob matches Batch's patterns: exact, or a prefix ending in "*". An empty
// pattern is no condition.
func glob(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(s, p)
	}
	return pattern == s
}

func (s *Server) setStatus(j *job, status string) {
	s.mu.Lock()
	j.d.Status = status
	s.updateParentLocked(j)
	s.mu.Unlock()
}

// finish ends j with status and reason, copying the last attempt's exit
// code and reason to the job's container, and reports it.
func (s *Server) finish(j *job, status, reason string, last *attemptDetail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j.finished() {
		return
	}
	j.d.Status, j.d.StatusReason = status, reason
	j.d.StoppedAt = time.Now().UnixMilli()
	if last != nil {
		j.d.Container.ExitCode = last.Container.ExitCode
		j.d.Container.Reason = last.Container.Reason
	}
	s.enqueueLocked(j)
	s.updateParentLocked(j)
}

// updateParentLocked recomputes the status of child j's array parent and
// reports its RUNNING, SUCCEEDED and FAILED.
func (s *Server) updateParentLocked(j *job) {
	p := j.parent
	if p == nil || p.finished() {
		return
	}
	summary := map[string]int{}
	done, failed := 0, 0
	for _, c := range p.children {
		summary[c.d.Status]++
		if c.finished() {
			done++
		}
		if c.d.Status == "FAILED" {
			failed++
		}
	}
	p.d.ArrayProperties.StatusSummary = summary
	was := p.d.Status
	switch {
	case done == len(p.children) && failed > 0:
		p.d.Status = "FAILED"
		p.d.StatusReason = fmt.Sprintf("Array Child Job failed: %d of %d", failed, len(p.children))
	case done == len(p.children):
		p.d.Status, p.d.StatusReason = "SUCCEEDED", "Array Child Job succeeded"
	case was != "RUNNING" && (summary["RUNNING"] > 0 || done > 0):
		p.d.Status = "RUNNING"
		p.d.StartedAt = time.Now().UnixMilli()
	}
	if p.d.Status != was && (p.d.Status == "RUNNING" || p.finished()) {
		if p.finished() {
			p.d.StoppedAt = time.Now().UnixMilli()
		}
		s.enqueueLocked(p)
	}
}

// enqueueLocked queues j's state-change event for OnEvent.
func (s *Server) enqueueLocked(j *job) {
	ev := map[string]any{
		"version":     "0",
		"id":          newUUID(),
		"detail-type": "Batch Job State Change",
		"source":      "aws.batch",
		"account":     s.opt.Account,
		"time":        time.Now().UTC().Format(time.RFC3339),
		"region":      s.opt.Region,
		"resources":   []string{j.d.JobArn},
		"detail":      j.snapshot(),
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	s.events = append(s.events, b)
	s.evq = append(s.evq, b)
	s.evCond.Signal()
}

// deliver calls OnEvent with each queued event in order, until Close.
func (s *Server) deliver() {
	defer s.evDone.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for len(s.evq) == 0 && !s.closed {
			s.evCond.Wait()
		}
		if len(s.evq) == 0 {
			return
		}
		b := s.evq[0]
		s.evq = s.evq[1:]
		s.sending = true
		s.mu.Unlock()
		if s.opt.OnEvent != nil {
			s.opt.OnEvent(b)
		}
		s.mu.Lock()
		s.sending = false
	}
}

// jobWriter collects a job's output and copies it to Options.Log.
type jobWriter struct {
	s *Server
	j *job
}

func (w *jobWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	w.j.out.Write(p)
	w.s.mu.Unlock()
	if w.s.opt.Log != nil {
		w.s.logMu.Lock()
		for line := range strings.Lines(string(p)) {
			fmt.Fprintf(w.s.opt.Log, "%s | %s", w.j.d.JobID, line)
		}
		w.s.logMu.Unlock()
	}
	return len(p), nil
}
