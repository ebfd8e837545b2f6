package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
)

// recoverSpec has an uncached task whose output feeds a task that fails
// while DIR/fail exists, and a map whose item n fails while DIR/fail-n
// exists; items run one at a time, in order. Every run of a task
// appends a line to DIR/<name>.runs: the marker of what ran.
const recoverSpec = `apiVersion: aloft/v1
kind: Workflow
name: rec
inputs: {dir: string}
outputs: {final: "{{flaky.out}}", items: "{{sq.sq}}"}
tasks:
  prep:
    inputs: {dir: string}
    outputs: {v: int}
    command: [sh, -c, 'echo x >> "$1/prep.runs"; echo 7 > "$2"', prep, "{{inputs.dir}}", "{{outputs.v}}"]
  flaky:
    inputs: {dir: string, v: int}
    outputs: {out: int}
    command: [sh, -c, 'echo x >> "$1/flaky.runs"; test ! -e "$1/fail" && echo $(( $2 + 1 )) > "$3"', flaky, "{{inputs.dir}}", "{{inputs.v}}", "{{outputs.out}}"]
  item:
    inputs: {dir: string, n: int}
    outputs: {sq: int}
    command: [sh, -c, 'echo x >> "$1/item-$2.runs"; test ! -e "$1/fail-$2" && echo $(( $2 * $2 )) > "$3"', item, "{{inputs.dir}}", "{{inputs.n}}", "{{outputs.sq}}"]
nodes:
  prep: {task: prep, inputs: {dir: "{{inputs.dir}}"}}
  flaky: {task: flaky, inputs: {dir: "{{inputs.dir}}", v: "{{prep.v}}"}}
  sq:
    map: item
    over: {n: [1, 2, 3]}
    inputs: {dir: "{{inputs.dir}}"}
    concurrency: 1
    after: [prep]
`

type recoverCase struct {
	f    *fixture
	wf   *orchestrator.Compiled
	dir  string
	ctx  context.Context
	orig engine.Ref
}

func newRecoverCase(t *testing.T, fails ...string) *recoverCase {
	dir := t.TempDir()
	p := filepath.Join(dir, "wf.yaml")
	require.NoError(t, os.WriteFile(p, []byte(recoverSpec), 0o644))
	marks := filepath.Join(dir, "marks")
	require.NoError(t, os.Mkdir(marks, 0o755))
	for _, f := range fails {
		require.NoError(t, os.WriteFile(filepath.Join(marks, f), nil, 0o644))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	c := &recoverCase{f: newFixture(t), wf: compile(t, p, "rec"), dir: marks, ctx: ctx}
	var err error
	c.orig, err = c.f.eng.Start(ctx, c.wf, map[string]orchestrator.Literal{"dir": orchestrator.String(marks)}, engine.StartOptions{})
	require.NoError(t, err)
	s := c.drive(t, c.orig)
	require.Equal(t, orchestrator.ExecFailed, s.Phase, "the original run: %s", s.Error)
	for _, f := range fails {
		require.NoError(t, os.Remove(filepath.Join(marks, f)))
	}
	return c
}

func (c *recoverCase) drive(t *testing.T, ref engine.Ref) orchestrator.State {
	t.Helper()
	s, err := c.f.eng.Run(c.ctx, ref, false)
	require.NoError(t, err)
	c.f.exec.Wait()
	return s
}

// runs counts the runs of a task recorded in its marker file.
func (c *recoverCase) runs(t *testing.T, name string) int {
	b, err := os.ReadFile(filepath.Join(c.dir, name+".runs"))
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(t, err)
	return strings.Count(string(b), "x")
}

func (c *recoverCase) again(t *testing.T, how string) orchestrator.State {
	t.Helper()
	ref, err := c.f.eng.Again(c.ctx, how, c.orig, engine.StartOptions{})
	require.NoError(t, err)
	s := c.drive(t, ref)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
	return s
}

// Recover reruns only what failed: the uncached prep, which succeeded, is
// reused (its marker shows one run), the failed node runs again.
func TestRecoverReusesSucceededUncachedNodes(t *testing.T) {
	c := newRecoverCase(t, "fail")
	require.Equal(t, 1, c.runs(t, "prep"))
	require.Equal(t, 1, c.runs(t, "flaky"))
	s := c.again(t, engine.Recover)
	assert.Equal(t, 1, c.runs(t, "prep"), "prep succeeded in the original and must not run again")
	assert.Equal(t, 2, c.runs(t, "flaky"), "the failed node runs again")
	assert.True(t, s.Nodes[0].Recovered, "prep is marked recovered")
	assert.False(t, s.Nodes[1].Recovered)
	assert.Equal(t, c.orig.Exec, s.RecoveredFrom)
	assert.Equal(t, int64(8), s.Outputs["final"].Int)
}

// A map with a failed item: recover reruns that item only.
func TestRecoverRerunsOnlyFailedMapItems(t *testing.T) {
	c := newRecoverCase(t, "fail-2")
	require.Equal(t, 0, c.runs(t, "item-3"), "the map failed at item 2")
	s := c.again(t, engine.Recover)
	assert.Equal(t, 1, c.runs(t, "item-1"), "item 1 succeeded and is reused")
	assert.Equal(t, 2, c.runs(t, "item-2"))
	assert.Equal(t, 1, c.runs(t, "item-3"))
	assert.Equal(t, 1, c.runs(t, "prep"))
	sq := s.Nodes[2]
	require.Len(t, sq.Items, 3)
	assert.True(t, sq.Items[0].Recovered)
	assert.False(t, sq.Items[1].Recovered)
	assert.Equal(t, []int64{1, 4, 9}, ints(s.Outputs["items"]))
}

// Relaunch reruns everything (nothing is cached) with the same inputs.
func TestRelaunchRerunsEverything(t *testing.T) {
	c := newRecoverCase(t, "fail")
	items := c.runs(t, "item-1") // 0 or 1: the failure may abort the map first
	s := c.again(t, engine.Relaunch)
	assert.Equal(t, 2, c.runs(t, "prep"))
	assert.Equal(t, 2, c.runs(t, "flaky"))
	assert.Equal(t, items+1, c.runs(t, "item-1"))
	assert.Equal(t, c.orig.Exec, s.RelaunchedFrom)
	assert.Empty(t, s.RecoveredFrom)
	assert.Equal(t, c.dir, s.Inputs["dir"].Str)
}

// A running execution, or a succeeded one for recover, is refused.
func TestAgainRefusesWhatCannotStartAgain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	wf := compile(t, "testdata/map.yaml", "squares")
	ref, err := f.eng.Start(ctx, wf, nil, engine.StartOptions{})
	require.NoError(t, err)
	_, err = f.eng.Again(ctx, engine.Recover, ref, engine.StartOptions{})
	assert.ErrorIs(t, err, engine.ErrNotRecoverable)
	assert.ErrorContains(t, err, "is running")
	_, err = f.eng.Again(ctx, "redo", ref, engine.StartOptions{})
	assert.ErrorContains(t, err, "neither recover nor relaunch")
	s := f.run(wf, nil)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase)
	done := engine.Ref{Project: s.Project, Domain: s.Domain, Exec: s.Exec}
	_, err = f.eng.Again(ctx, engine.Recover, done, engine.StartOptions{})
	assert.ErrorContains(t, err, "nothing to recover")
}

func ints(l orchestrator.Literal) []int64 {
	out := []int64{}
	for _, e := range l.List {
		out = append(out, e.Int)
	}
	return out
}
