// Command aloft-runner runs one attempt of a task inside its container: it
// claims the attempt, fetches the inputs, runs the command with no shell,
// uploads the outputs and writes outputs.json or error.json (see package
// batchrunner). It is a static binary that aloft adds to task images.
//
//	aloft-runner --store file:///bucket --attempt data/EXEC/NODE/1/ [--job-id ID] [--workdir DIR]
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
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// config is the runner's invocation, read once from flags and environment.
type config struct {
	store   string
	attempt string
	jobID   string
	workdir string
	memory  string
}

func main() {
	var c config
	flag.StringVar(&c.store, "store", "", "the bucket: file:///dir or a directory (s3:// and gs:// later)")
	flag.StringVar(&c.attempt, "attempt", "", "the attempt prefix, data/<exec>/<node>/<attempt>/")
	flag.StringVar(&c.jobID, "job-id", os.Getenv("AWS_BATCH_JOB_ID"), "this job's identity, recorded in the claim (default $AWS_BATCH_JOB_ID)")
	flag.StringVar(&c.workdir, "workdir", "", "where to make the scratch directory (default $TMPDIR)")
	flag.StringVar(&c.memory, "memory-limit", "auto", "how to bound the task's memory: auto, cgroup, poll or off")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "aloft-runner:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	if c.attempt == "" {
		return errors.New("--attempt is required")
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
	st, err := openStore(c.store)
	if err != nil {
		return err
	}
	return batchrunner.Run(ctx, st, c.attempt, batchrunner.RunOptions{
		JobID: c.jobID, WorkDir: c.workdir, Log: os.Stderr, Memory: mem,
	})
}

// openStore opens the bucket a --store value names.
func openStore(s string) (store.Store, error) {
	switch {
	case s == "":
		return nil, errors.New("--store is required")
	case strings.HasPrefix(s, "file://"):
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("--store %s: %w", s, err)
		}
		return dirstore.Open(u.Path)
	case strings.Contains(s, "://"):
		return nil, fmt.Errorf("--store %s: only file:// and directory paths are supported so far", s)
	}
	return dirstore.Open(s)
}
