package orchestrator

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const indexSpec = `apiVersion: aloft/v1
kind: Workflow
name: wf
tasks:
  t: {command: [t]}
nodes:
  a: {task: t}
  b: {task: t, after: [a]}
  c: {task: t, after: [a]}
  d: {task: t, after: [b, c]}
`

// TestCompiledSharedLookups looks nodes up on one Compiled from many
// goroutines; under -race it fails if a lookup writes to the Compiled.
func TestCompiledSharedLookups(t *testing.T) {
	wf, err := Compile(mustParse(t, indexSpec), "wf")
	require.NoError(t, err)
	enc, err := wf.Encode()
	require.NoError(t, err)
	decoded, err := DecodeCompiled(enc)
	require.NoError(t, err)
	hand := chain3().c // written as a literal, without an index

	for _, c := range []*Compiled{wf, decoded, hand} {
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i, n := range c.Nodes {
					got, ok := c.NodeIndex(n.Name)
					assert.True(t, ok, n.Name)
					assert.Equal(t, int32(i), got, n.Name)
				}
				_, ok := c.NodeIndex("missing")
				assert.False(t, ok)
			}()
		}
		wg.Wait()
	}
}

func TestCompiledIndexBuiltAtConstruction(t *testing.T) {
	wf, err := Compile(mustParse(t, indexSpec), "wf")
	require.NoError(t, err)
	require.Len(t, wf.index, 4, "Compile builds the index")
	enc, err := wf.Encode()
	require.NoError(t, err)
	decoded, err := DecodeCompiled(enc)
	require.NoError(t, err)
	assert.Equal(t, wf.index, decoded.index, "DecodeCompiled builds the index")

	hand := chain3().c
	_, ok := hand.NodeIndex("b")
	require.True(t, ok)
	assert.Nil(t, hand.index, "a lookup never writes the index")
}
