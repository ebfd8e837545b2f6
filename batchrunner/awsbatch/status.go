package awsbatch

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// JobStatus is what AWS Batch reports about one job, from DescribeJobs or a
// "Batch Job State Change" event.
type JobStatus struct {
	JobID    string // "<id>", or "<array id>:<index>" for an array child
	JobName  string
	JobQueue string // as reported: an ARN in events
	// Status is SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, SUCCEEDED
	// or FAILED.
	Status       string
	StatusReason string
	// ContainerReason is the container's own reason, from the job or else
	// its last attempt ("OutOfMemoryError: Container killed due to memory
	// usage").
	ContainerReason string
	ExitCode        *int // the container's exit code; nil when it never exited by itself
	ArrayIndex      int  // the index of an array child; -1 otherwise
	ArraySize       int  // the size of an array parent; 0 otherwise
	Tags            Tags
	LogStream       string // the CloudWatch log stream of the last attempt
	MemoryMiB       int64  // the memory the container was given; 0 when not reported
	Attempts        int    // attempts AWS Batch made so far
	// Reclaims counts the attempts lost with their host: spot reclaims and
	// instance failures ("Host EC2 (instance i-...) terminated.").
	Reclaims             int
	StartedAt, StoppedAt time.Time
}

// Tags are the aloft tags of a job.
type Tags struct {
	Project, Domain, Exec, Node string
	Item                        int    // the map item of a single job; -1 otherwise
	Attempt                     int    // of a single job; 0 for array jobs
	ArrayKey                    string // the manifest of an array job
}

func parseTags(m map[string]string) Tags {
	t := Tags{
		Project: m[TagProject], Domain: m[TagDomain], Exec: m[TagExecution], Node: m[TagNode],
		Item: -1, ArrayKey: m[TagArray],
	}
	if n, err := strconv.Atoi(m[TagAttempt]); err == nil {
		t.Attempt = n
	}
	if n, err := strconv.Atoi(m[TagItem]); err == nil {
		t.Item = n
	}
	return t
}

// State is where a job is, as the engine sees it.
type State string

// Job states.
const (
	Waiting   State = "waiting"   // submitted, waiting for room or starting
	Started   State = "started"   // running: the attempt started
	Succeeded State = "succeeded" // the runner exited 0: outputs.json or error.json decides the attempt
	Failed    State = "failed"    // the job died, maybe before writing any result
	Summary   State = "summary"   // an array job's parent: its children report for themselves
)

// Outcome is what a job status means to the engine.
type Outcome struct {
	State   State
	Kind    orchestrator.ErrorKind // when Failed
	Message string                 // when Failed
}

// Outcome classifies s. A failed job is out-of-memory (kind oom: a user
// error, retried on the task's budget) when its container was killed for
// memory; a system error when AWS Batch gave up after its host was lost
// (spot reclaim or instance failure; the message counts the reclaims), when
// the image could not be pulled or the container not started, when it was
// cancelled, or when the runner itself failed; a timeout when AWS Batch
// stopped it at its attempt duration. A FAILED job may still have written
// its result (outputs.json or error.json): callers check the store first,
// and trust the result over the job status.
func (s JobStatus) Outcome() Outcome {
	switch {
	case s.ArraySize > 0 && s.ArrayIndex < 0:
		return Outcome{State: Summary}
	case s.Status == "RUNNING":
		return Outcome{State: Started}
	case s.Status == "SUCCEEDED":
		return Outcome{State: Succeeded}
	case s.Status == "FAILED":
		kind, msg := s.failure()
		return Outcome{State: Failed, Kind: kind, Message: msg}
	}
	return Outcome{State: Waiting}
}

func (s JobStatus) failure() (orchestrator.ErrorKind, string) {
	reason := s.StatusReason
	if s.ContainerReason != "" && s.ContainerReason != reason {
		reason = s.ContainerReason + " (" + s.StatusReason + ")"
	}
	switch {
	case strings.Contains(s.ContainerReason, "OutOfMemoryError") || strings.Contains(s.StatusReason, "OutOfMemoryError"):
		msg := "out of memory"
		if s.MemoryMiB > 0 {
			msg += fmt.Sprintf(": the task used more than the job's %d MiB", s.MemoryMiB)
		}
		return orchestrator.ErrOOM, msg + ": " + reason
	case strings.HasPrefix(s.StatusReason, "Host EC2"):
		return orchestrator.ErrSystem, fmt.Sprintf("the job's host was lost %s (spot reclaim or instance failure) and AWS Batch gave up: %s",
			times(s.Reclaims), s.StatusReason)
	case strings.Contains(s.StatusReason, "Job attempt duration exceeded timeout"):
		return orchestrator.ErrTimeout, "AWS Batch stopped the job at its timeout: " + s.StatusReason
	case s.StatusReason == CancelReason:
		return orchestrator.ErrSystem, "cancelled"
	case s.ExitCode != nil && *s.ExitCode != 0 && s.ContainerReason == "" && s.StatusReason == "Essential container in task exited":
		return orchestrator.ErrSystem, fmt.Sprintf("aloft-runner exited with code %d (its log is in stream %s)", *s.ExitCode, s.LogStream) + s.afterReclaims()
	case reason == "":
		return orchestrator.ErrSystem, "the job failed with no reason given" + s.afterReclaims()
	}
	return orchestrator.ErrSystem, reason + s.afterReclaims()
}

func (s JobStatus) afterReclaims() string {
	if s.Reclaims == 0 {
		return ""
	}
	return fmt.Sprintf(" (after its host was lost %s)", times(s.Reclaims))
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

// AttemptOf is the prefix of the attempt a job runs: from its tags for a
// single job, from its array manifest for an array child. An array parent
// or a job without aloft's tags is an error.
func AttemptOf(ctx context.Context, bucket store.Store, s JobStatus) (string, error) {
	t := s.Tags
	switch {
	case t.Exec == "" || t.Node == "":
		return "", fmt.Errorf("job %s has no aloft tags", s.JobID)
	case t.ArrayKey != "":
		if s.ArrayIndex < 0 {
			return "", fmt.Errorf("job %s is an array job's parent, not one attempt", s.JobID)
		}
		return batchrunner.ArrayPrefix(ctx, bucket, t.ArrayKey, s.ArrayIndex)
	case t.Attempt <= 0:
		return "", fmt.Errorf("job %s has no %s tag", s.JobID, TagAttempt)
	}
	return batchrunner.AttemptPrefix(t.Exec, t.Node, t.Item, t.Attempt), nil
}

// describeBatch is how many ids DescribeJobs takes at once.
const describeBatch = 100

// Describe reports the status of the jobs with ids, asking AWS Batch for at
// most 100 at a time. Jobs AWS Batch no longer knows (it forgets finished
// jobs after about a day) are missing from the result, as is RejectedJobID.
func (d *Dispatcher) Describe(ctx context.Context, ids []string) ([]JobStatus, error) {
	var want []string
	for _, id := range ids {
		if id != "" && id != RejectedJobID {
			want = append(want, id)
		}
	}
	var out []JobStatus
	for len(want) > 0 {
		n := min(len(want), describeBatch)
		page := want[:n]
		want = want[n:]
		var res *batch.DescribeJobsOutput
		err := d.call(ctx, fmt.Sprintf("describe %d jobs", len(page)), false, func(ctx context.Context) error {
			var err error
			res, err = d.cfg.Client.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: page})
			return err
		})
		if err != nil {
			return out, err
		}
		for _, j := range res.Jobs {
			out = append(out, detailOf(j).status())
		}
	}
	return out, nil
}

// jobDetail is the part of a job's description aloft reads, in the JSON
// shape of both DescribeJobs and the state-change event's detail.
type jobDetail struct {
	JobID           string            `json:"jobId"`
	JobName         string            `json:"jobName"`
	JobQueue        string            `json:"jobQueue"`
	Status          string            `json:"status"`
	StatusReason    string            `json:"statusReason"`
	Attempts        []attemptDetail   `json:"attempts"`
	Container       *containerDetail  `json:"container"`
	Tags            map[string]string `json:"tags"`
	ArrayProperties *arrayDetail      `json:"arrayProperties"`
	StartedAt       int64             `json:"startedAt"` // Unix milliseconds
	StoppedAt       int64             `json:"stoppedAt"`
}

type attemptDetail struct {
	Container    *containerDetail `json:"container"`
	StatusReason string           `json:"statusReason"`
}

type containerDetail struct {
	ExitCode             *int                  `json:"exitCode"`
	Reason               string                `json:"reason"`
	LogStreamName        string                `json:"logStreamName"`
	ResourceRequirements []resourceRequirement `json:"resourceRequirements"`
}

type resourceRequirement struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type arrayDetail struct {
	Index *int `json:"index"`
	Size  int  `json:"size"`
}

func (d *jobDetail) status() JobStatus {
	s := JobStatus{
		JobID: d.JobID, JobName: d.JobName, JobQueue: d.JobQueue,
		Status: d.Status, StatusReason: d.StatusReason,
		ArrayIndex: -1, Tags: parseTags(d.Tags), Attempts: len(d.Attempts),
		StartedAt: millis(d.StartedAt), StoppedAt: millis(d.StoppedAt),
	}
	if a := d.ArrayProperties; a != nil {
		if a.Index != nil {
			s.ArrayIndex = *a.Index
		} else {
			s.ArraySize = a.Size
		}
	}
	for _, a := range d.Attempts {
		if strings.HasPrefix(a.StatusReason, "Host EC2") {
			s.Reclaims++
		}
	}
	var last *containerDetail
	if n := len(d.Attempts); n > 0 {
		last = d.Attempts[n-1].Container
	}
	for _, c := range []*containerDetail{d.Container, last} {
		if c == nil {
			continue
		}
		if s.ExitCode == nil && c.ExitCode != nil {
			v := *c.ExitCode
			s.ExitCode = &v
		}
		if s.ContainerReason == "" {
			s.ContainerReason = c.Reason
		}
		if c.LogStreamName != "" && (s.LogStream == "" || c == last) {
			s.LogStream = c.LogStreamName
		}
		for _, r := range c.ResourceRequirements {
			if r.Type == "MEMORY" && s.MemoryMiB == 0 {
				s.MemoryMiB, _ = strconv.ParseInt(r.Value, 10, 64)
			}
		}
	}
	return s
}

func millis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// detailOf converts DescribeJobs' answer for one job.
func detailOf(j types.JobDetail) *jobDetail {
	d := &jobDetail{
		JobID: aws.ToString(j.JobId), JobName: aws.ToString(j.JobName), JobQueue: aws.ToString(j.JobQueue),
		Status: string(j.Status), StatusReason: aws.ToString(j.StatusReason), Tags: j.Tags,
		StartedAt: aws.ToInt64(j.StartedAt), StoppedAt: aws.ToInt64(j.StoppedAt),
	}
	for _, a := range j.Attempts {
		ad := attemptDetail{StatusReason: aws.ToString(a.StatusReason)}
		if c := a.Container; c != nil {
			ad.Container = &containerDetail{ExitCode: intOf(c.ExitCode), Reason: aws.ToString(c.Reason), LogStreamName: aws.ToString(c.LogStreamName)}
		}
		d.Attempts = append(d.Attempts, ad)
	}
	if c := j.Container; c != nil {
		d.Container = &containerDetail{ExitCode: intOf(c.ExitCode), Reason: aws.ToString(c.Reason), LogStreamName: aws.ToString(c.LogStreamName)}
		for _, r := range c.ResourceRequirements {
			d.Container.ResourceRequirements = append(d.Container.ResourceRequirements, resourceRequirement{Type: string(r.Type), Value: aws.ToString(r.Value)})
		}
	}
	if a := j.ArrayProperties; a != nil {
		d.ArrayProperties = &arrayDetail{Index: intOf(a.Index), Size: int(aws.ToInt32(a.Size))}
	}
	return d
}

func intOf(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}
