package orchestrator

import (
	"fmt"
	"testing"
)

// chainN is a chain of n task nodes.
func chainN(n int) *Compiled {
	b := newBuilder()
	prev := b.task("n0", "t", lit(1))
	for i := 1; i < n; i++ {
		prev = b.task(fmt.Sprintf("n%d", i), "t", out(prev))
	}
	return b.c
}

// fanN is a root, n-2 parallel nodes, and a gather node that depends on all.
func fanN(n int) *Compiled {
	b := newBuilder()
	root := b.task("root", "t", lit(1))
	for i := 1; i < n-1; i++ {
		b.task(fmt.Sprintf("w%d", i), "t", out(root))
	}
	g := b.task("gather", "t", out(1))
	for i := 2; i < n-1; i++ {
		b.dep(int32(i), g)
	}
	return b.c
}

// benchCompletions applies one AttemptSucceeded per iteration, completing
// the nodes of wf in order (each is queued by the time its turn comes).
func benchCompletions(b *testing.B, wf *Compiled, first int) {
	var s State
	next := len(wf.Nodes)
	reset := func() {
		s = NewState(wf, "", Options{}, t0)
		s, _ = Step(s, ExecutionRequested{}, t0)
		for i := 0; i < first; i++ {
			s, _ = Step(s, AttemptSucceeded{Node: int32(i), Item: -1, Attempt: 1, Outputs: ys(1)}, t0)
		}
		next = first
	}
	outs := ys(1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if next >= len(wf.Nodes)-1 {
			b.StopTimer()
			reset()
			b.StartTimer()
		}
		seq := s.Seq
		s, _ = Step(s, AttemptSucceeded{Node: int32(next), Item: -1, Attempt: 1, Outputs: outs}, t0)
		if s.Seq != seq+1 {
			b.Fatalf("node %d: event not applied", next)
		}
		next++
	}
}

func BenchmarkStepCompletion(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("chain-%d", n), func(b *testing.B) { benchCompletions(b, chainN(n), 0) })
		// In the fan-out, the root has already completed; each iteration
		// completes one of the parallel nodes (out-degree 1, to the gather).
		b.Run(fmt.Sprintf("fanout-%d", n), func(b *testing.B) { benchCompletions(b, fanN(n), 1) })
	}
}

// BenchmarkStateSize reports the encoded size per node of a finished run.
func BenchmarkStateSize(b *testing.B) {
	for _, shape := range []struct {
		name string
		wf   *Compiled
	}{{"chain-10000", chainN(10000)}, {"fanout-10000", fanN(10000)}} {
		b.Run(shape.name, func(b *testing.B) {
			var size int
			for i := 0; i < b.N; i++ {
				s := NewState(shape.wf, "", Options{}, t0)
				s, _ = Step(s, ExecutionRequested{}, t0)
				for n := range shape.wf.Nodes {
					s, _ = Step(s, Dispatched{Node: int32(n), Item: -1, Attempt: 1, JobID: "local-0123456789"}, t0)
					s, _ = Step(s, AttemptSucceeded{Node: int32(n), Item: -1, Attempt: 1, Outputs: ys(int64(n))}, t0.Add(1500e6))
				}
				enc, err := s.Encode()
				if err != nil {
					b.Fatal(err)
				}
				if s.Phase != ExecSucceeded {
					b.Fatalf("phase %v", s.Phase)
				}
				size = len(enc)
			}
			b.ReportMetric(float64(size)/float64(len(shape.wf.Nodes)), "bytes/node")
		})
	}
}
