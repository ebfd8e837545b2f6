package batchrunner_test

import (
	"context"
	"os/exec"
	"testing"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// BenchmarkRunTrue is the runner's overhead per attempt: claim, read
// inputs.json, scratch directory, start and wait for `true` on a locked
// thread, upload log.txt, write outputs.json, all against a directory store.
// Compare BenchmarkExecTrue, the bare process.
func BenchmarkRunTrue(b *testing.B) {
	benchRun(b, newStore(b), orchestrator.TaskTemplate{Command: []string{"true"}})
}

// BenchmarkRunTrueNoSync is BenchmarkRunTrue with the store's Sync hidden:
// what the runner costs without the two group fsyncs around the result.
func BenchmarkRunTrueNoSync(b *testing.B) {
	benchRun(b, struct{ store.Store }{newStore(b)}, orchestrator.TaskTemplate{Command: []string{"true"}})
}

// BenchmarkRunTrueWithOutput adds a float output, the common case of a
// scoring task.
func BenchmarkRunTrueWithOutput(b *testing.B) {
	benchRun(b, newStore(b), orchestrator.TaskTemplate{
		Command: []string{"cp", "/dev/null", "{{outputs.f}}"},
		Outputs: []orchestrator.Param{param("f", "file")},
	})
}

// benchRun runs a new attempt of task per iteration; only Run is timed.
func benchRun(b *testing.B, st store.Store, task orchestrator.TaskTemplate) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		prefix := attempt(b, st, task, nil)
		b.StartTimer()
		if err := batchrunner.Run(ctx, st, prefix, batchrunner.RunOptions{JobID: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExecTrue(b *testing.B) {
	path, err := exec.LookPath("true")
	if err != nil {
		b.Skip(err)
	}
	for i := 0; i < b.N; i++ {
		if err := exec.Command(path).Run(); err != nil {
			b.Fatal(err)
		}
	}
}
