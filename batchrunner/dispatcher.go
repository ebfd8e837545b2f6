package batchrunner

import (
	"context"

	"github.com/aloft-run/aloft/orchestrator"
)

// Dispatcher is the backend the engine hands attempts to: the local process
// executor (batchrunner/local) and AWS Batch (batchrunner/awsbatch); GCP
// Batch is planned (Decision 24). Submit
// returns once the job is accepted; the attempt's outcome arrives through
// the store (outputs.json or error.json under Job.Prefix), never through the
// dispatcher.
type Dispatcher interface {
	// Submit starts (or queues) a job that runs the attempt at job.Prefix,
	// whose inputs.json the caller already wrote with WriteAttempt. The job
	// identity it returns is what the attempt's claim records. A duplicate
	// Submit for the same attempt is harmless: the second job finds the
	// attempt claimed and exits doing nothing.
	Submit(ctx context.Context, job Job) (jobID string, err error)
	// Cancel stops a job. The attempt then fails with a system error
	// "cancelled" (unless it already had a result). Cancelling an unknown or
	// finished job is not an error.
	Cancel(ctx context.Context, jobID string) error
}

// Targets of dispatchers, as a task's target: names them.
const (
	TargetLocal    = "local"
	TargetAWSBatch = "aws-batch"
	TargetGCPBatch = "gcp-batch"
)

// Targeted is implemented by dispatchers that say which target their jobs
// run on (TargetLocal, ...): the engine records it with each attempt, so
// that a sweep asks that target's Liveness adapter about it.
type Targeted interface{ Target() string }

// TargetOf is d's target, "" when it does not say.
func TargetOf(d Dispatcher) string {
	if t, ok := d.(Targeted); ok {
		return t.Target()
	}
	return ""
}

// Job is one attempt to run.
type Job struct {
	Prefix  string // the attempt prefix (AttemptPrefix)
	Exec    string
	Node    string
	Item    int // -1 unless a map item
	Attempt int
	Task    *orchestrator.TaskTemplate // for resources, image and target
	// Spec is what inputs.json holds, for dispatchers that run the attempt
	// in this process (the local executor); nil when not at hand.
	Spec *Attempt
}

// Label names the job in logs: the node, with ".<item>" for a map item.
func (j Job) Label() string {
	a := Attempt{Node: j.Node, Item: j.Item}
	return a.Label()
}

// ArraySubmitter is implemented by dispatchers that can run many attempts of
// one map node as a single submission (an AWS Batch array job). The jobs are
// the items of one node of one execution running the same task, one per map
// item; the caller writes every job's inputs.json first. SubmitArray returns
// one job identity per job, in order (for AWS Batch "<parent id>:<index>"),
// each what that attempt's claim records. As with Submit, submitting the
// same jobs again is harmless. Callers without it submit each job alone.
type ArraySubmitter interface {
	SubmitArray(ctx context.Context, jobs []Job) (jobIDs []string, err error)
}
