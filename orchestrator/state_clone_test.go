package orchestrator

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// richState is a running map workflow whose state holds every kind of
// shared storage Clone must copy: maps of literals with blobs, lists and
// nested maps, node outputs and map items.
func richState(t *testing.T) State {
	t.Helper()
	s, _ := mapWF().start(t, Options{Exec: "e1"})
	s, _ = Step(s, AttemptSucceeded{Node: 0, Item: 1, Attempt: 1, Outputs: ys(20)}, t0)
	s.Inputs["files"] = List(File(Blob{URI: "s3://b/a", Digest: "sha256:aa", Size: 1}))
	s.Inputs["meta"] = Map(map[string]Literal{"k": Int(1), "dir": Directory(Blob{URI: "s3://b/d/"})})
	s.Outputs = map[string]Literal{"ys": List(Int(1))}
	s.Nodes[0].Outputs = map[string]Literal{"y": List(Int(7))}
	return s
}

func TestStateCloneIsDeep(t *testing.T) {
	orig := richState(t)
	want := richState(t)
	require.NotEmpty(t, orig.Nodes[0].Items, "the map node has items")
	require.NotNil(t, orig.Nodes[0].Items[1].Outputs, "a map item has outputs")

	c := orig.Clone()
	require.Equal(t, orig, c)
	assert.Same(t, orig.Compiled(), c.Compiled(), "the compiled workflow is shared")
	assert.NotSame(t, &orig.Nodes[0], &c.Nodes[0])
	assert.NotSame(t, &orig.Nodes[0].Items[0], &c.Nodes[0].Items[0])
	assert.NotSame(t, orig.Inputs["files"].List[0].Blob, c.Inputs["files"].List[0].Blob)
	assert.NotSame(t, &orig.Inputs["files"].List[0], &c.Inputs["files"].List[0])

	// Change everything reachable from the clone.
	c.Inputs["files"].List[0].Blob.URI = "s3://b/changed"
	c.Inputs["files"].List[0] = Int(0)
	c.Inputs["meta"].Map["k"] = Int(2)
	c.Inputs["meta"].Map["dir"].Blob.Size = 99
	c.Inputs["new"] = Bool(true)
	c.Outputs["ys"].List[0] = Int(2)
	c.Nodes[0].Outputs["y"].List[0] = Int(8)
	c.Nodes[0].Items[1].Outputs["y"] = Int(21)
	require.NotEmpty(t, c.Nodes[0].Items[1].Times, "a map item that ran keeps its attempt times")
	c.Nodes[0].Items[1].Times[0] = 1
	c.Nodes[0].Items[0].Phase = Failed
	c.Nodes[0].Phase = Failed
	c.Phase = ExecFailed

	assert.Equal(t, want, orig, "changing the clone changed the original")
}

func TestStateCloneSurvivesStep(t *testing.T) {
	orig := richState(t)
	want := richState(t)
	enc, err := orig.Encode()
	require.NoError(t, err)

	c := orig.Clone()
	c, _ = Step(c, AttemptSucceeded{Node: 0, Item: 0, Attempt: 1, Outputs: ys(10)}, t0)
	require.Equal(t, orig.Seq+1, c.Seq, "the step changed the clone")
	c, _ = Step(c, AttemptSucceeded{Node: 0, Item: 2, Attempt: 1, Outputs: ys(30)}, t0)
	require.Equal(t, ExecSucceeded, c.Phase)

	assert.Equal(t, want, orig, "stepping the clone changed the original")
	after, err := orig.Encode()
	require.NoError(t, err)
	assert.JSONEq(t, string(enc), string(after))
}

// TestStepUpdatesNodesInPlace pins what Step's doc comment says: the state
// handed to Step shares its node states with the result.
func TestStepUpdatesNodesInPlace(t *testing.T) {
	s := richState(t)
	before := s.Clone()
	next, _ := Step(s, AttemptSucceeded{Node: 0, Item: 0, Attempt: 1, Outputs: ys(10)}, t0)
	require.Equal(t, Succeeded, next.Nodes[0].Items[0].Phase)
	assert.Equal(t, Succeeded, s.Nodes[0].Items[0].Phase, "Step wrote into the caller's Nodes")
	assert.NotEqual(t, before.Nodes[0].Items[0].Phase, s.Nodes[0].Items[0].Phase)
}

// TestStateCloneConcurrentSteps steps clones of one state on many goroutines
// (run under -race): clones share nothing that Step writes.
func TestStateCloneConcurrentSteps(t *testing.T) {
	orig := richState(t)
	want := richState(t)
	var wg sync.WaitGroup
	for item := range 3 {
		c := orig.Clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			Step(c, AttemptSucceeded{Node: 0, Item: item, Attempt: 1, Outputs: ys(int64(item))}, t0)
		}()
	}
	wg.Wait()
	assert.Equal(t, want, orig)
}

func TestStateCloneOfEmpty(t *testing.T) {
	var s State
	c := s.Clone()
	assert.Equal(t, s, c)
	assert.Nil(t, c.Nodes)
	assert.Nil(t, c.Inputs)
}
