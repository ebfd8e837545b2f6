// Package batchtest is an AWS Batch test double: an HTTP server on
// 127.0.0.1 that speaks the Batch REST-JSON protocol to the real SDK client
// (point batch.Options.BaseEndpoint at Server.URL) for RegisterJobDefinition,
// DescribeJobDefinitions, SubmitJob, DescribeJobs and TerminateJob, and
// records every request for assertions.
//
// With Options.Runner set it also runs each submitted job (each array
// child) as a local process, `runner <the job's command>`, with the
// environment AWS Batch gives containers (AWS_BATCH_JOB_ID, with ":<index>"
// for an array child, AWS_BATCH_JOB_ARRAY_INDEX, AWS_BATCH_JOB_ATTEMPT,
// AWS_BATCH_JQ_NAME), moves it through the job states, retries attempts as
// its retryStrategy says, and reports RUNNING, SUCCEEDED and FAILED as
// EventBridge "Batch Job State Change" events of the real shape. Faults can
// be injected: host reclaims (of a job's first attempt, say), a failed image
// pull, throttled submissions.
//
// Left out: compute environments and queues (any queue name is accepted),
// containers (the image is not run: the runner is run directly on this
// machine, so the task's commands must exist here), memory and cpu limits,
// job dependencies, scheduling priorities, and CancelJob.
package batchtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. All are optional.
type Options struct {
	Region  string // default us-east-1
	Account string // default 123456789012

	// Runner is the aloft-runner binary that runs jobs. Empty: jobs are
	// accepted and stay RUNNABLE (for tests of the requests alone).
	Runner string
	// Env is added to this process's environment for each job (store
	// credentials, AWS_ENDPOINT_URL, ...).
	Env []string
	// Log receives each job's output, lines prefixed with the job id.
	Log io.Writer
	// OnEvent receives each state-change event, in order per job. It runs on
	// the job's goroutine; a slow OnEvent slows that job.
	OnEvent func(event []byte)
	// Concurrency bounds the jobs running at once; default 4.
	Concurrency int
	// KillGrace is how long a terminated job has between SIGTERM and SIGKILL;
	// default 2s (AWS gives 30s).
	KillGrace time.Duration

	// Reclaim, if it returns true for an attempt (the job's name, its array
	// index or -1, and the attempt number from 1), loses that attempt with
	// its host, as a spot reclaim does: the attempt fails with "Host EC2
	// (instance i-...) terminated." and the job is retried as its
	// retryStrategy says. ReclaimFirst makes one that reclaims first attempts.
	Reclaim func(jobName string, index, attempt int) bool
	// ReclaimAfter is how long a reclaimed attempt's runner runs before its
	// host dies (SIGKILL); 0: the host dies before the runner starts.
	ReclaimAfter time.Duration
	// FailPull, if it returns true for an image, fails the job's image pull:
	// the job fails with CannotPullContainerError and no attempts.
	FailPull func(image string) bool
	// ThrottleSubmits answers the first that many SubmitJob calls with 429
	// TooManyRequestsException.
	ThrottleSubmits int
}

// ReclaimFirst is an Options.Reclaim that loses the first attempt of every
// job whose name starts with prefix.
func ReclaimFirst(prefix string) func(jobName string, index, attempt int) bool {
	return func(name string, _, attempt int) bool {
		return attempt == 1 && strings.HasPrefix(name, prefix)
	}
}

// Request is one API call the server received.
type Request struct {
	Op     string // "SubmitJob", "RegisterJobDefinition", ...
	Body   []byte
	Status int // the HTTP status answered
}

// Server is a running Batch double.
type Server struct {
	URL string

	srv     *httptest.Server
	opt     Options
	sem     chan struct{}
	closing chan struct{}
	wg      sync.WaitGroup // job goroutines
	evDone  sync.WaitGroup // the event deliverer
	logMu   sync.Mutex     // Options.Log

	mu        sync.Mutex
	reqs      []Request
	events    [][]byte
	defs      map[string][]*jobDef // by name, revisions in order
	jobs      map[string]*job      // by id, array children included
	order     []*job
	throttled int
	closed    bool
	evq       [][]byte   // events not yet given to OnEvent
	evCond    *sync.Cond // on mu: evq grew or the server closed
	sending   bool       // OnEvent is running
}

// New starts a Server on 127.0.0.1. Close it when done.
func New(opt Options) *Server {
	if opt.Region == "" {
		opt.Region = "us-east-1"
	}
	if opt.Account == "" {
		opt.Account = "123456789012"
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.KillGrace <= 0 {
		opt.KillGrace = 2 * time.Second
	}
	s := &Server{
		opt:     opt,
		sem:     make(chan struct{}, opt.Concurrency),
		closing: make(chan struct{}),
		defs:    map[string][]*jobDef{},
		jobs:    map[string]*job{},
	}
	s.evCond = sync.NewCond(&s.mu)
	s.evDone.Add(1)
	go s.deliver()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close kills running jobs, waits for their goroutines and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.closing)
	s.evCond.Broadcast()
	s.mu.Unlock()
	s.wg.Wait()
	s.evDone.Wait()
	s.srv.Close()
}

// Requests returns the calls received for op ("SubmitJob", ...), or all
// calls when op is "".
func (s *Server) Requests(op string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.reqs {
		if op == "" || r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

// Events returns the state-change events sent so far.
func (s *Server) Events() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.events...)
}

// Output returns what job id's runner processes printed.
func (s *Server) Output(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[id]; j != nil {
		return j.out.String()
	}
	return ""
}

// Wait blocks until every job submitted so far has SUCCEEDED or FAILED and
// OnEvent has had every event, or timeout passes.
func (s *Server) Wait(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		var pending []string
		for _, j := range s.order {
			if !j.finished() {
				pending = append(pending, j.d.JobID+" "+j.d.Status)
			}
		}
		if len(s.evq) > 0 || s.sending {
			pending = append(pending, fmt.Sprintf("%d events to deliver", len(s.evq)))
		}
		s.mu.Unlock()
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("batchtest: jobs still not finished after %v: %s", timeout, strings.Join(pending, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ops maps the SDK's request paths to operations.
var ops = map[string]string{
	"/v1/registerjobdefinition":  "RegisterJobDefinition",
	"/v1/describejobdefinitions": "DescribeJobDefinitions",
	"/v1/submitjob":              "SubmitJob",
	"/v1/describejobs":           "DescribeJobs",
	"/v1/terminatejob":           "TerminateJob",
}

// apiError is an error answer: the HTTP status, the X-Amzn-ErrorType code
// and the message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func clientError(format string, args ...any) *apiError {
	return &apiError{status: 400, code: "ClientException", message: fmt.Sprintf(format, args...)}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op, ok := ops[r.URL.Path]
	if !ok || r.Method != http.MethodPost {
		s.record(Request{Op: r.Method + " " + r.URL.Path, Body: body, Status: 404})
		writeError(w, &apiError{status: 404, code: "UnknownOperationException", message: "batchtest does not implement " + r.Method + " " + r.URL.Path})
		return
	}
	var out any
	var err *apiError
	switch op {
	case "RegisterJobDefinition":
		out, err = s.registerJobDefinition(body)
	case "DescribeJobDefinitions":
		out, err = s.describeJobDefinitions(body)
	case "SubmitJob":
		out, err = s.submitJob(body)
	case "DescribeJobs":
		out, err = s.describeJobs(body)
	case "TerminateJob":
		out, err = s.terminateJob(body)
	}
	if err != nil {
		s.record(Request{Op: op, Body: body, Status: err.status})
		writeError(w, err)
		return
	}
	s.record(Request{Op: op, Body: body, Status: 200})
	b, merr := json.Marshal(out)
	if merr != nil {
		http.Error(w, merr.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	s.reqs = append(s.reqs, r)
	s.mu.Unlock()
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	b, _ := json.Marshal(map[string]string{"message": e.message})
	_, _ = w.Write(b)
}

func decode(body []byte, v any) *apiError {
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return clientError("malformed request: %v", err)
	}
	return nil
}
