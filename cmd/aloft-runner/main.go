// Command aloft-runner runs one attempt of a task inside its container: it
// claims the attempt, fetches the inputs, runs the command with no shell,
// uploads the outputs and writes outputs.json or error.json (see package
// batchrunner). It is a static binary that aloft adds to task images.
//
//	aloft-runner --store file:///bucket --attempt data/EXEC/NODE/1/ [--job-id ID] [--workdir DIR]
//	aloft-runner --store s3://bucket --array data/EXEC/NODE/array-HASH.json
//
// With --array it is one child of an AWS Batch array job: it runs the
// attempt that the manifest lists at index $AWS_BATCH_JOB_ARRAY_INDEX, and
// its job identity is "$AWS_BATCH_JOB_ID:<index>" (the child's job id).
//
// It exits 0 when the attempt was run (whether the task succeeded or failed:
// the outcome is in the bucket) or claimed by another job, and non-zero only
// when aloft's own machinery failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/storeurl"
)

// config is the runner's invocation, read once from flags and environment.
type config struct {
	store      string
	attempt    string
	array      string // an array manifest key, instead of attempt
	arrayIndex string // $AWS_BATCH_JOB_ARRAY_INDEX
	jobID      string
	workdir    string
	memory     string
}

func main() {
	var c config
	flag.StringVar(&c.store, "store", "", "the bucket: s3://bucket[/prefix], file:///dir or a directory")
	flag.StringVar(&c.attempt, "attempt", "", "the attempt prefix, data/<exec>/<node>/<attempt>/")
	flag.StringVar(&c.array, "array", "", "an array job's manifest, data/<exec>/<node>/array-<hash>.json: run the attempt at index $AWS_BATCH_JOB_ARRAY_INDEX")
	flag.StringVar(&c.jobID, "job-id", os.Getenv("AWS_BATCH_JOB_ID"), "this job's identity, recorded in the claim (default $AWS_BATCH_JOB_ID)")
	flag.StringVar(&c.workdir, "workdir", "", "where to make the scratch directory (default $TMPDIR)")
	flag.StringVar(&c.memory, "memory-limit", "auto", "how to bound the task's memory: auto, cgroup, poll or off")
	flag.Parse()
	c.arrayIndex = os.Getenv("AWS_BATCH_JOB_ARRAY_INDEX")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "aloft-runner:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	switch {
	case c.attempt == "" && c.array == "":
		return errors.New("--attempt or --array is required")
	case c.attempt != "" && c.array != "":
		return errors.New("give --attempt or --array, not both")
	}
	if c.jobID == "" {
		return errors.New("--job-id is required (or AWS_BATCH_JOB_ID)")
	}
	mem := batchrunner.MemoryLimit(c.memory)
	switch mem {
	case "auto":
		mem = batchrunner.MemoryAuto
	case batchrunner.MemoryCgroup, batchrunner.MemoryPoll, batchrunner.MemoryOff:
	default:
		return fmt.Errorf("--memory-limit %q: want auto, cgroup, poll or off", c.memory)
	}
	st, err := openStore(ctx, c.store)
	if err != nil {
		return err
	}
	prefix, jobID := c.attempt, c.jobID
	if c.array != "" {
		if prefix, jobID, err = arrayAttempt(ctx, st, c); err != nil {
			return err
		}
	}
	return batchrunner.Run(ctx, st, prefix, batchrunner.RunOptions{
		JobID: jobID, WorkDir: c.workdir, Log: os.Stderr, Memory: mem,
	})
}

// arrayAttempt finds an array child's attempt prefix in the manifest, and
// its job identity: the array job's id with ":<index>" (AWS Batch gives a
// child that id; it is added when AWS_BATCH_JOB_ID lacks it).
func arrayAttempt(ctx context.Context, st store.Store, c config) (prefix, jobID string, err error) {
	if c.arrayIndex == "" {
		return "", "", errors.New("--array needs AWS_BATCH_JOB_ARRAY_INDEX (set by AWS Batch in array job children)")
	}
	i, err := strconv.Atoi(c.arrayIndex)
	if err != nil || i < 0 {
		return "", "", fmt.Errorf("AWS_BATCH_JOB_ARRAY_INDEX %q: want an index from 0", c.arrayIndex)
	}
	prefix, err = batchrunner.ArrayPrefix(ctx, st, c.array, i)
	if err != nil {
		return "", "", err
	}
	jobID = c.jobID
	if suffix := ":" + strconv.Itoa(i); !strings.HasSuffix(jobID, suffix) {
		jobID += suffix
	}
	return prefix, jobID, nil
}

// openStore opens the bucket a --store value names: s3://bucket[/prefix],
// file:///dir or a directory path.
func openStore(ctx context.Context, s string) (store.Store, error) {
	if s == "" {
		return nil, errors.New("--store is required")
	}
	return storeurl.Open(ctx, s)
}
