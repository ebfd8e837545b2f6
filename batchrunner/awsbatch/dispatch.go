package awsbatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
)

// Tags every job carries (propagated to its ECS tasks). A single job has
// TagAttempt (and TagItem when it runs one map item); an array job has
// TagArray instead, the key of its manifest (batchrunner.ReadArrayManifest).
const (
	TagProject   = "aloft:project"
	TagDomain    = "aloft:domain"
	TagExecution = "aloft:execution"
	TagNode      = "aloft:node"
	TagItem      = "aloft:item"
	TagAttempt   = "aloft:attempt"
	TagArray     = "aloft:array"
	// TagManaged marks every job and job definition aloft makes (value
	// Config.ManagedTag); IAM grants to stop jobs are conditioned on it.
	TagManaged = "aloft:managed"
)

// RejectedJobID is the job identity Submit returns for an attempt that no
// job could run (no image, resources no platform holds, no GPU queue): no
// job was submitted, and the attempt's error.json (kind permanent) says why.
const RejectedJobID = "aloft-rejected"

// MaxArraySize is the largest array job AWS Batch accepts.
const MaxArraySize = 10000

// Retry strategy of every job: AWS Batch retries only attempts lost with
// their host (spot reclaims, instance failures); every other failure is the
// engine's to retry.
const (
	batchAttempts   = 3
	reclaimReason   = "Host EC2*"
	timeoutGraceSec = 60
)

// placement is where and at what size a task's jobs run.
type placement struct {
	queue    string
	platform string
	size     Sized
}

// place chooses the queue, platform and size for task t, or says why no job
// can run it.
func (d *Dispatcher) place(t *orchestrator.TaskTemplate) (placement, string) {
	if t.Image == "" {
		return placement{}, fmt.Sprintf("task %s has no image: AWS Batch runs tasks in container images", t.Name)
	}
	p := placement{queue: d.cfg.Queues.CPU, platform: d.cfg.Platform}
	switch {
	case t.Resources.GPU > 0:
		if d.cfg.Queues.GPU == "" {
			return placement{}, fmt.Sprintf("task %s asks for %d GPU but this deployment has no GPU job queue", t.Name, t.Resources.GPU)
		}
		p.queue, p.platform = d.cfg.Queues.GPU, EC2
		if t.Interruptible {
			p.queue = d.cfg.Queues.GPUSpot
		}
	case t.Interruptible:
		p.queue = d.cfg.Queues.Spot
	}
	size, _, err := Size(t.Resources, p.platform)
	if err != nil {
		return placement{}, fmt.Sprintf("task %s cannot run on AWS Batch: %v", t.Name, err)
	}
	p.size = size
	return p, ""
}

// Submit submits one job that runs the attempt at job.Prefix and returns its
// AWS Batch job id. An attempt no job can run is failed at once (see
// Target is where its jobs run: batchrunner.TargetAWSBatch.
func (d *Dispatcher) Target() string { return batchrunner.TargetAWSBatch }

// RejectedJobID) and is not an error.
func (d *Dispatcher) Submit(ctx context.Context, job batchrunner.Job) (string, error) {
	if err := checkJob(job); err != nil {
		return "", err
	}
	p, reason := d.place(job.Task)
	if reason != "" {
		return d.reject(ctx, []batchrunner.Job{job}, reason)
	}
	a, err := batchrunner.ReadAttempt(ctx, d.cfg.Bucket, job.Prefix)
	if err != nil {
		return "", fmt.Errorf("submit %s: %w", job.Prefix, err)
	}
	def, err := d.definitionARN(ctx, job.Task.Image, p.platform)
	if err != nil {
		return "", fmt.Errorf("submit %s: %w", job.Prefix, err)
	}
	tags := d.baseTags(a.Project, a.Domain, job.Exec, job.Node)
	tags[TagAttempt] = strconv.Itoa(job.Attempt)
	if job.Item >= 0 {
		tags[TagItem] = strconv.Itoa(job.Item)
	}
	in := d.submitInput(JobName(job.Exec, job.Label(), job.Attempt), def, p, job.Task,
		[]string{"--store", d.cfg.Store, "--attempt", job.Prefix}, tags)
	id, err := d.submit(ctx, in)
	if err != nil {
		return "", fmt.Errorf("submit %s: %w", job.Prefix, err)
	}
	return id, nil
}

// SubmitArray submits the map items in jobs (one node of one execution, one
// task) as one array job whose index i runs jobs[i], and returns
// "<array job id>:<i>" for each. The attempt prefixes go to a manifest in
// the bucket (batchrunner.WriteArrayManifest) that each child's runner reads
// with --array. One job is submitted alone; more than MaxArraySize is an
// error (the engine submits map nodes in chunks).
func (d *Dispatcher) SubmitArray(ctx context.Context, jobs []batchrunner.Job) ([]string, error) {
	switch len(jobs) {
	case 0:
		return nil, nil
	case 1:
		id, err := d.Submit(ctx, jobs[0])
		if err != nil {
			return nil, err
		}
		return []string{id}, nil
	}
	first := jobs[0]
	if len(jobs) > MaxArraySize {
		return nil, fmt.Errorf("submit array %s/%s: %d jobs, at most %d in one array job", first.Exec, first.Node, len(jobs), MaxArraySize)
	}
	prefixes := make([]string, len(jobs))
	sameAttempt := true
	for i, j := range jobs {
		if err := checkJob(j); err != nil {
			return nil, err
		}
		if j.Exec != first.Exec || j.Node != first.Node || (j.Task != first.Task && !reflect.DeepEqual(j.Task, first.Task)) {
			return nil, fmt.Errorf("submit array: job %s is not of node %s of execution %s with the same task", j.Prefix, first.Node, first.Exec)
		}
		prefixes[i] = j.Prefix
		sameAttempt = sameAttempt && j.Attempt == first.Attempt
	}
	p, reason := d.place(first.Task)
	if reason != "" {
		id, err := d.reject(ctx, jobs, reason)
		if err != nil {
			return nil, err
		}
		ids := make([]string, len(jobs))
		for i := range ids {
			ids[i] = id
		}
		return ids, nil
	}
	a, err := batchrunner.ReadAttempt(ctx, d.cfg.Bucket, first.Prefix)
	if err != nil {
		return nil, fmt.Errorf("submit array %s/%s: %w", first.Exec, first.Node, err)
	}
	key, err := batchrunner.WriteArrayManifest(ctx, d.cfg.Bucket, first.Exec, first.Node, prefixes)
	if err != nil {
		return nil, fmt.Errorf("submit array %s/%s: %w", first.Exec, first.Node, err)
	}
	def, err := d.definitionARN(ctx, first.Task.Image, p.platform)
	if err != nil {
		return nil, fmt.Errorf("submit array %s/%s: %w", first.Exec, first.Node, err)
	}
	tags := d.baseTags(a.Project, a.Domain, first.Exec, first.Node)
	tags[TagArray] = key
	name := JobName(first.Exec, first.Node, first.Attempt)
	if !sameAttempt {
		name = sanitizeName("aloft-"+first.Exec+"-"+first.Node+"-array", key)
	}
	in := d.submitInput(name, def, p, first.Task, []string{"--store", d.cfg.Store, "--array", key}, tags)
	in.ArrayProperties = &types.ArrayProperties{Size: aws.Int32(int32(len(jobs)))}
	id, err := d.submit(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("submit array %s: %w", key, err)
	}
	ids := make([]string, len(jobs))
	for i := range ids {
		ids[i] = id + ":" + strconv.Itoa(i)
	}
	return ids, nil
}

func checkJob(j batchrunner.Job) error {
	switch {
	case j.Task == nil:
		return fmt.Errorf("submit %s: job has no task", j.Prefix)
	}
	if err := layout.CheckAttemptPrefix(j.Prefix); err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	return nil
}

func (d *Dispatcher) baseTags(project, domain, exec, node string) map[string]string {
	return map[string]string{TagProject: project, TagDomain: domain, TagExecution: exec, TagNode: node, TagManaged: d.cfg.ManagedTag}
}

// submitInput is the SubmitJob request for a job of task t.
func (d *Dispatcher) submitInput(name, def string, p placement, t *orchestrator.TaskTemplate, command []string, tags map[string]string) *batch.SubmitJobInput {
	reqs := []types.ResourceRequirement{
		{Type: types.ResourceTypeVcpu, Value: aws.String(p.size.VCPU())},
		{Type: types.ResourceTypeMemory, Value: aws.String(strconv.FormatInt(p.size.MemoryMiB, 10))},
	}
	if p.size.GPU > 0 {
		reqs = append(reqs, types.ResourceRequirement{Type: types.ResourceTypeGpu, Value: aws.String(strconv.Itoa(p.size.GPU))})
	}
	in := &batch.SubmitJobInput{
		JobName:       aws.String(name),
		JobQueue:      aws.String(p.queue),
		JobDefinition: aws.String(def),
		ContainerOverrides: &types.ContainerOverrides{
			Command:              command,
			ResourceRequirements: reqs,
		},
		RetryStrategy: &types.RetryStrategy{
			Attempts: aws.Int32(batchAttempts),
			EvaluateOnExit: []types.EvaluateOnExit{
				{OnStatusReason: aws.String(reclaimReason), Action: types.RetryActionRetry},
				{OnReason: aws.String("*"), Action: types.RetryActionExit},
			},
		},
		Tags:          tags,
		PropagateTags: aws.Bool(true),
	}
	if secs := AttemptDuration(t.Timeout); secs > 0 {
		in.Timeout = &types.JobTimeout{AttemptDurationSeconds: aws.Int32(secs)}
	}
	return in
}

// AttemptDuration is a job's attemptDurationSeconds for a task timeout: the
// timeout in whole seconds plus a minute's grace, so that the runner's own
// timeout fires first and writes error.json, and at least AWS's minimum of
// 60. No timeout gives 0: the job has none.
func AttemptDuration(timeout time.Duration) int32 {
	s := timeout.Seconds()
	if s <= 0 {
		return 0
	}
	secs := math.Ceil(s) + timeoutGraceSec
	if secs > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(max(60, secs))
}

func (d *Dispatcher) submit(ctx context.Context, in *batch.SubmitJobInput) (string, error) {
	var out *batch.SubmitJobOutput
	err := d.call(ctx, "submit job "+aws.ToString(in.JobName), true, func(ctx context.Context) error {
		var err error
		out, err = d.cfg.Client.SubmitJob(ctx, in)
		return err
	})
	if err != nil {
		return "", err
	}
	if aws.ToString(out.JobId) == "" {
		return "", errors.New("submit job " + aws.ToString(in.JobName) + ": no job id in the answer")
	}
	return aws.ToString(out.JobId), nil
}

// reject fails the attempts of jobs that no job can run with a permanent
// error.json, so the engine sees why, and returns RejectedJobID.
func (d *Dispatcher) reject(ctx context.Context, jobs []batchrunner.Job, reason string) (string, error) {
	now := d.cfg.Now().UTC()
	for _, j := range jobs {
		f := &batchrunner.Failure{
			Kind: orchestrator.ErrNoRetry, ExitCode: -1, Message: reason,
			JobID: RejectedJobID, Started: now, Finished: now,
		}
		if _, err := batchrunner.WriteFailure(ctx, d.cfg.Bucket, j.Prefix, f); err != nil {
			return "", fmt.Errorf("submit %s: record why no job can run it (%s): %w", j.Prefix, reason, err)
		}
	}
	return RejectedJobID, nil
}

// JobName is the deterministic name of the job for an attempt:
// "aloft-<exec>-<label>-a<attempt>", where label is the node or
// "<node>.<item>". AWS Batch names allow letters, digits, "-" and "_" and
// at most 128 characters; a name that had to change to fit ends in "-" and
// 8 hex digits of a hash of the full name, so distinct attempts keep
// distinct names.
func JobName(exec, label string, attempt int) string {
	raw := "aloft-" + exec + "-" + label + "-a" + strconv.Itoa(attempt)
	return sanitizeName(raw, raw)
}

const maxJobName = 128

// sanitizeName makes raw a valid job name; when it must change it, it appends
// a hash of key.
func sanitizeName(raw, key string) string {
	b := []byte(raw)
	changed := raw != key
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
			changed = true
		}
	}
	if !changed && len(b) <= maxJobName {
		return string(b)
	}
	sum := sha256.Sum256([]byte(key))
	suffix := "-" + hex.EncodeToString(sum[:4])
	if len(b) > maxJobName-len(suffix) {
		b = b[:maxJobName-len(suffix)]
	}
	return string(b) + suffix
}
