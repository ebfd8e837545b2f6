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
		{config{store: "/tmp/x", jobID: "j"}, "--attempt is required"},
		{config{store: "/tmp/x", attempt: "data/e/n/1/"}, "--job-id is required"},
		{config{attempt: "data/e/n/1/", jobID: "j", memory: "auto"}, "--store is required"},
		{config{store: "s3://b", attempt: "data/e/n/1/", jobID: "j", memory: "auto"}, "only file://"},
		{config{store: "/tmp/x", attempt: "data/e/n/1/", jobID: "j", memory: "lots"}, "--memory-limit"},
	} {
		err := run(context.Background(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
}
