package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

const logsAbout = `
Prints the output (stdout and stderr) of one attempt of a node: the latest
attempt unless --attempt, and for a map node the item chosen by --item.

A task that ran as an AWS Batch job (an s3:// bucket, and a Batch job id in
the attempt's claim.json) logs to CloudWatch: aloft reads the job's log
stream (DescribeJobs, then GetLogEvents from the job's awslogs group,
/aws/batch/job by default), so the log is there while the task runs. Else
it prints the attempt's log.txt, which the runner writes when the task
ends. AWS access uses the standard credential chain and AWS_ENDPOINT_URL.`

func logsCmd(ctx context.Context, args []string, io Stdio) int {
	var sf storeFlags
	fs := newFlagSet("logs", "aloft logs EXECUTION NODE [--attempt N] [--item I] [flags]", logsAbout, io)
	attempt := fs.Int("attempt", 0, "the attempt `N` (default: the latest)")
	item := -1
	fs.Func("item", "for a map node: the item `I` (0-based)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("want an item index: 0, 1, …")
		}
		item = n
		return nil
	})
	sf.register(fs)
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 2 {
		return usageErr(io, "logs", "want an execution id and a node name (aloft executions get ID shows the nodes)")
	}
	if *attempt < 0 {
		return usageErr(io, "logs", "--attempt %d: attempts count from 1", *attempt)
	}
	st, err := sf.openExisting(io.Env)
	if err != nil {
		return storeErr(io, "logs", err)
	}
	ref, err := sf.findExecution(ctx, st, pos[0])
	if err != nil {
		return failErr(io, "logs", err)
	}
	eng, err := engine.New(engine.Config{Store: st})
	if err != nil {
		return failErr(io, "logs", err)
	}
	s, err := eng.Load(ctx, ref)
	if err != nil {
		return failErr(io, "logs", err)
	}
	a, err := pickAttempt(s, pos[1], item, *attempt)
	if err != nil {
		return usageErr(io, "logs", "%v", err)
	}
	_, region, err := sf.resolve(io.Env)
	if err != nil {
		return failErr(io, "logs", err)
	}
	src := logSource{st: st, aws: func(ctx context.Context) (logClients, error) {
		cfg, err := awsConfig(ctx, io.Env)
		if err != nil {
			return logClients{}, err
		}
		if region != "" {
			cfg.Region = region // the config file's bucket: its stack's region
		}
		return logClients{batch: batch.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}, nil
	}}
	if err := src.write(ctx, io.Out, io.Err, a); err != nil {
		return failErr(io, "logs", err)
	}
	return exitOK
}

// attemptRef names one attempt of a node or map item.
type attemptRef struct {
	exec, node string
	item       int // -1: not a map item
	attempt    int
}

func (a attemptRef) prefix() string {
	return batchrunner.AttemptPrefix(a.exec, a.node, a.item, a.attempt)
}

func (a attemptRef) String() string {
	label := a.node
	if a.item >= 0 {
		label = fmt.Sprintf("%s[%d]", a.node, a.item)
	}
	return fmt.Sprintf("%s, attempt %d", label, a.attempt)
}

// pickAttempt finds node (and item) in the execution and the attempt to
// show: attempt, or when 0 the latest one.
func pickAttempt(s orchestrator.State, node string, item, attempt int) (attemptRef, error) {
	wf := s.Compiled()
	idx, ok := wf.NodeIndex(node)
	if !ok {
		names := make([]string, len(wf.Nodes))
		for i, n := range wf.Nodes {
			names[i] = n.Name
		}
		return attemptRef{}, fmt.Errorf("execution %s has no node %q (its nodes: %s)", s.Exec, node, strings.Join(names, ", "))
	}
	ns := &s.Nodes[idx]
	isMap := wf.Nodes[idx].Kind == orchestrator.NodeMap
	switch {
	case isMap && item < 0:
		return attemptRef{}, fmt.Errorf("node %s is a map node of %d items: choose one with --item I", node, len(ns.Items))
	case isMap && item >= len(ns.Items):
		return attemptRef{}, fmt.Errorf("node %s has %d items: --item %d is not one of them", node, len(ns.Items), item)
	case !isMap && item >= 0:
		return attemptRef{}, fmt.Errorf("node %s is not a map node: drop --item", node)
	case isMap:
		ns = &ns.Items[item]
	}
	a := attemptRef{exec: s.Exec, node: node, item: item, attempt: attempt}
	switch {
	case ns.Attempt == 0 && ns.Phase == orchestrator.Cached:
		return a, fmt.Errorf("node %s was served from the cache: it ran no attempt in this execution", node)
	case ns.Attempt == 0:
		return a, fmt.Errorf("node %s has run no attempt (it is %s)", node, ns.Phase)
	case attempt > ns.Attempt:
		return a, fmt.Errorf("node %s has run %s", node, plural(ns.Attempt, "attempt"))
	case attempt == 0:
		a.attempt = ns.Attempt
	}
	return a, nil
}

// logClients are the AWS clients the CloudWatch path uses.
type logClients struct {
	batch interface {
		DescribeJobs(ctx context.Context, in *batch.DescribeJobsInput, optFns ...func(*batch.Options)) (*batch.DescribeJobsOutput, error)
	}
	logs interface {
		GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
	}
}

// logSource reads attempt logs from the bucket or from CloudWatch.
type logSource struct {
	st  store.Store
	aws func(ctx context.Context) (logClients, error) // made only when needed
}

// batchJobID matches AWS Batch job ids: a UUID, with ":<index>" for a
// child of an array job.
var batchJobID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:[0-9]+)?$`)

// defaultLogGroup is where AWS Batch jobs log unless their job definition
// names another awslogs group.
const defaultLogGroup = "/aws/batch/job"

// write prints the attempt's log to w (notes go to errw): the CloudWatch
// stream of its Batch job when there is one, else log.txt.
func (l logSource) write(ctx context.Context, w, errw io.Writer, a attemptRef) error {
	prefix := a.prefix()
	var claim batchrunner.ClaimRecord
	_, err := store.GetJSON(ctx, l.st, prefix+batchrunner.ClaimFile, &claim)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if isS3(l.st) && batchJobID.MatchString(claim.JobID) {
		err := l.cloudWatch(ctx, w, claim.JobID)
		if err == nil {
			return nil
		}
		if _, herr := l.st.Head(ctx, prefix+batchrunner.LogFile); herr != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		fmt.Fprintf(errw, "aloft logs: %v; printing %s instead\n", err, l.st.URI(prefix+batchrunner.LogFile))
	}
	// Streamed, not read whole: a log may be as large as the runner's cap.
	r, _, err := l.st.Get(ctx, prefix+batchrunner.LogFile)
	switch {
	case err == nil:
		defer r.Close()
		_, err = io.Copy(w, r)
		return err
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	// No log.txt: the task printed nothing, or it has not ended yet.
	_, _, rerr := batchrunner.ReadResult(ctx, l.st, prefix)
	switch {
	case rerr == nil:
		fmt.Fprintf(errw, "%s printed nothing\n", a)
		return nil
	case !errors.Is(rerr, batchrunner.ErrNoResult):
		return rerr
	case claim.JobID == "":
		return fmt.Errorf("%s has not started yet", a)
	}
	return fmt.Errorf("%s is running (job %s); its log.txt is written when it ends", a, claim.JobID)
}

// cloudWatch prints the log stream of Batch job jobID.
func (l logSource) cloudWatch(ctx context.Context, w io.Writer, jobID string) error {
	c, err := l.aws(ctx)
	if err != nil {
		return err
	}
	out, err := c.batch.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{jobID}})
	if err != nil {
		return fmt.Errorf("describe job %s: %w", jobID, err)
	}
	if len(out.Jobs) == 0 {
		return fmt.Errorf("describe job %s: AWS Batch no longer knows it (jobs are kept for about a week)", jobID)
	}
	job := out.Jobs[0]
	if job.Container == nil || aws.ToString(job.Container.LogStreamName) == "" {
		return fmt.Errorf("job %s (%s) has no log stream yet", jobID, job.Status)
	}
	group := defaultLogGroup
	if lc := job.Container.LogConfiguration; lc != nil && lc.LogDriver == "awslogs" && lc.Options["awslogs-group"] != "" {
		group = lc.Options["awslogs-group"]
	}
	stream := aws.ToString(job.Container.LogStreamName)
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)}
	for {
		page, err := c.logs.GetLogEvents(ctx, in)
		if err != nil {
			return fmt.Errorf("read log stream %s of group %s: %w", stream, group, err)
		}
		for _, e := range page.Events {
			msg := aws.ToString(e.Message)
			if !strings.HasSuffix(msg, "\n") {
				msg += "\n"
			}
			if _, err := io.WriteString(w, msg); err != nil {
				return err
			}
		}
		// The last page returns the token it was given.
		next := aws.ToString(page.NextForwardToken)
		if next == "" || next == aws.ToString(in.NextToken) {
			return nil
		}
		in.NextToken = aws.String(next)
	}
}
