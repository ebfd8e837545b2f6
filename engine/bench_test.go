package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store/dirstore"
)

// The shapes of scripts/bench-vs-make.sh, run through the engine with the
// directory store and the local executor (2 parallel jobs), cold: a fresh
// store per iteration. Profile with
//
//	go test ./engine/ -run '^$' -bench Cold -benchtime 3x -cpuprofile cpu.out -trace trace.out

func benchSpec(shape string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: aloft/v1\nkind: Workflow\nname: %s\ndefaults: {cache: {version: \"1\"}}\n", shape)
	b.WriteString("tasks:\n  noop: {inputs: {i: int}, command: [\"true\", \"{{inputs.i}}\"]}\nnodes:\n")
	if shape == "fan" {
		b.WriteString("  source: {task: noop, inputs: {i: 0}}\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "  t%d: {task: noop, inputs: {i: %d}, after: [source]}\n", i, i)
		}
		b.WriteString("  gather: {task: noop, inputs: {i: -1}, after: [")
		for i := 1; i <= n; i++ {
			if i > 1 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "t%d", i)
		}
		b.WriteString("]}\n")
		return b.String()
	}
	b.WriteString("  t1: {task: noop, inputs: {i: 1}}\n")
	for i := 2; i <= n; i++ {
		fmt.Fprintf(&b, "  t%d: {task: noop, inputs: {i: %d}, after: [t%d]}\n", i, i, i-1)
	}
	return b.String()
}

func benchShape(b *testing.B, shape string, n int, cached bool) {
	dir := b.TempDir()
	p := filepath.Join(dir, "wf.yaml")
	if err := os.WriteFile(p, []byte(benchSpec(shape, n)), 0o644); err != nil {
		b.Fatal(err)
	}
	s, err := orchestrator.ParseFiles(p)
	if err != nil {
		b.Fatal(err)
	}
	wf, err := orchestrator.Compile(s, shape)
	if err != nil {
		b.Fatal(err)
	}
	saves := 0
	runOnce := func(root string) {
		st, err := dirstore.Open(root)
		if err != nil {
			b.Fatal(err)
		}
		ex, err := local.New(st, local.Options{GPUs: []int{}, MaxParallel: 2})
		if err != nil {
			b.Fatal(err)
		}
		eng, err := engine.New(engine.Config{Store: st, Dispatcher: ex, Observe: func(*orchestrator.State) { saves++ }})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		ref, err := eng.Start(ctx, wf, nil, engine.StartOptions{})
		if err != nil {
			b.Fatal(err)
		}
		state, err := eng.Run(ctx, ref, false)
		if err != nil {
			b.Fatal(err)
		}
		ex.Wait()
		if state.Phase != orchestrator.ExecSucceeded {
			b.Fatalf("phase %v: %s", state.Phase, state.Error)
		}
	}
	for i := 0; i < b.N; i++ {
		root := filepath.Join(dir, fmt.Sprintf("bucket%d", i))
		if cached {
			b.StopTimer()
			runOnce(root)
			saves = 0
			b.StartTimer()
		}
		runOnce(root)
		if !cached {
			b.StopTimer()
			_ = os.RemoveAll(root)
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(saves)/float64(b.N), "saves/op")
}

func BenchmarkColdChain100(b *testing.B)  { benchShape(b, "chain", 100, false) }
func BenchmarkColdFan1000(b *testing.B)   { benchShape(b, "fan", 1000, false) }
func BenchmarkCachedFan1000(b *testing.B) { benchShape(b, "fan", 1000, true) }
