package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store/dirstore"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	st, err := dirstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	prefix, err := batchrunner.WriteAttempt(ctx, st, &batchrunner.Attempt{
		Exec: "e", Node: "score", Item: -1, Attempt: 1,
		Task: orchestrator.TaskTemplate{
			Name:    "score",
			Command: []string{"sh", "-c", `echo 0.75 > "$1"`, "sh", "{{outputs.accuracy}}"},
			Outputs: []orchestrator.Param{{Name: "accuracy", Type: orchestrator.Type{Kind: orchestrator.KindFloat}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, config{store: "file://" + dir, attempt: prefix, jobID: "batch-1", memory: "auto"}); err != nil {
		t.Fatal(err)
	}
	o, _, err := batchrunner.ReadResult(ctx, st, prefix)
	if err != nil || !o.Outputs["accuracy"].Equal(orchestrator.Float(0.75)) || o.JobID != "batch-1" {
		t.Fatalf("result %+v, %v", o, err)
	}
}

func TestRunRejects(t *testing.T) {
	for _, c := range []struct {
		cfg  config
		want string
	}{
		{config{store: "/tmp/x", jobID: "j"}, "--attempt or --array is required"},
		{config{store: "/tmp/x", attempt: "data/e/n/1/", array: "data/e/n/array-x.json", jobID: "j"}, "not both"},
		{config{store: "/tmp/x", attempt: "data/e/n/1/"}, "--job-id is required"},
		{config{attempt: "data/e/n/1/", jobID: "j", memory: "auto"}, "--store is required"},
		{config{store: "gs://b", attempt: "data/e/n/1/", jobID: "j", memory: "auto"}, "gs:// is not supported"},
		{config{store: "/tmp/x", attempt: "data/e/n/1/", jobID: "j", memory: "lots"}, "--memory-limit"},
	} {
		err := run(context.Background(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestRunArrayChild(t *testing.T) {
	dir := t.TempDir()
	st, err := dirstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var prefixes []string
	for item, value := range []string{"0.5", "0.25"} {
		p, err := batchrunner.WriteAttempt(ctx, st, &batchrunner.Attempt{
			Exec: "e", Node: "score", Item: item, Attempt: 1,
			Task: orchestrator.TaskTemplate{
				Name:    "score",
				Command: []string{"sh", "-c", `echo ` + value + ` > "$1"`, "sh", "{{outputs.accuracy}}"},
				Outputs: []orchestrator.Param{{Name: "accuracy", Type: orchestrator.Type{Kind: orchestrator.KindFloat}}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		prefixes = append(prefixes, p)
	}
	key, err := batchrunner.WriteArrayManifest(ctx, st, "e", "score", prefixes)
	if err != nil {
		t.Fatal(err)
	}
	base := config{store: dir, array: key, jobID: "parent-1", memory: "auto"}

	c := base
	c.arrayIndex = "1"
	if err := run(ctx, c); err != nil {
		t.Fatal(err)
	}
	o, _, err := batchrunner.ReadResult(ctx, st, prefixes[1])
	if err != nil || !o.Outputs["accuracy"].Equal(orchestrator.Float(0.25)) || o.JobID != "parent-1:1" {
		t.Fatalf("item 1: %+v, %v", o, err)
	}
	// AWS_BATCH_JOB_ID that already names the child is kept as it is.
	c.arrayIndex, c.jobID = "0", "parent-1:0"
	if err := run(ctx, c); err != nil {
		t.Fatal(err)
	}
	if o, _, err := batchrunner.ReadResult(ctx, st, prefixes[0]); err != nil || o.JobID != "parent-1:0" {
		t.Fatalf("item 0: %+v, %v", o, err)
	}

	for _, idx := range []struct{ index, want string }{
		{"", "needs AWS_BATCH_JOB_ARRAY_INDEX"},
		{"x", `AWS_BATCH_JOB_ARRAY_INDEX "x"`},
		{"2", "out of range"},
	} {
		c := base
		c.arrayIndex = idx.index
		if err := run(ctx, c); err == nil || !strings.Contains(err.Error(), idx.want) {
			t.Errorf("index %q: %v, want %q", idx.index, err, idx.want)
		}
	}
}
