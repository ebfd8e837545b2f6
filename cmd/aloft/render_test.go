package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aloft-run/aloft/orchestrator"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o666); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestGoldenRun renders the result of a real run with a clock that stands
// still and fixed execution ids.
func TestGoldenRun(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.env.Now, s.env.NewID = fixedClock(), ids()
	wf := s.write(t, "wf.yaml", pipeSpec)
	marker := filepath.Join(s.dir, "m")
	first := s.run(t, "run", wf, "--input", "marker="+marker, "--quiet").check(t, exitOK)
	second := s.run(t, "run", wf, "--input", "marker="+marker, "--quiet").check(t, exitOK)
	fail := s.write(t, "fail.yaml", failSpec)
	failed := s.run(t, "run", fail, "--quiet").check(t, exitFailed)
	got := "$ aloft run wf.yaml\n" + first.out + "\n$ aloft run wf.yaml  # again\n" + second.out +
		"\n$ aloft run fail.yaml\n" + failed.out + "--- stderr\n" + failed.err
	got = strings.ReplaceAll(got, s.dir, "$DIR")
	golden(t, "run.golden", got)
}

// TestGoldenTables renders a hand-made state: durations, a map node, a
// failure, a skipped node, and values of every kind.
func TestGoldenTables(t *testing.T) {
	wf := &orchestrator.Compiled{
		Name: "tables",
		Nodes: []orchestrator.Node{
			{Name: "split"}, {Name: "fit_grid", Kind: orchestrator.NodeMap}, {Name: "score"}, {Name: "report"},
		},
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli()
	s := orchestrator.NewState(wf, "", orchestrator.Options{Exec: "rtables1"}, time.UnixMilli(t0))
	s.Phase = orchestrator.ExecFailed
	s.Nodes[0] = orchestrator.NodeState{Phase: orchestrator.Cached, Start: t0, End: t0 + 20}
	s.Nodes[1] = orchestrator.NodeState{Phase: orchestrator.Succeeded, Start: t0 + 20, End: t0 + 20 + 125_000, Items: []orchestrator.NodeState{
		{Phase: orchestrator.Cached}, {Phase: orchestrator.Succeeded, Attempt: 1}, {Phase: orchestrator.Succeeded, Attempt: 2},
	}}
	s.Nodes[2] = orchestrator.NodeState{Phase: orchestrator.Failed, Attempt: 3, Start: t0 + 125_020, End: t0 + 125_020 + 3_723_000,
		Err: "attempt 3: oom: memory limit 200Mi exceeded\nmore detail"}
	s.Nodes[3] = orchestrator.NodeState{Phase: orchestrator.Skipped, Start: t0 + 3_848_020, End: t0 + 3_848_020, Err: `upstream node "score" failed`}
	snap := takeSnapshot(&s)

	var b bytes.Buffer
	nodeTable(snap, t0+4_000_000, false).write(&b)
	b.WriteString(summary(snap) + "\n\n")
	nodeTable(snap, t0+4_000_000, true).write(&b)

	when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	js, _ := orchestrator.JSONValue([]byte(`{"max_depth": 4, "eta": 0.1}`))
	blob := orchestrator.Blob{URI: "file:///bucket/data/r1/fit/1/outputs/model", Digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Size: 123456}
	params := []orchestrator.Param{
		{Name: "accuracy", Type: orchestrator.Type{Kind: orchestrator.KindFloat}},
		{Name: "big", Type: orchestrator.Type{Kind: orchestrator.KindFloat}},
		{Name: "n", Type: orchestrator.Type{Kind: orchestrator.KindInt}},
		{Name: "model", Type: orchestrator.Type{Kind: orchestrator.KindFile}},
		{Name: "label", Type: orchestrator.Type{Kind: orchestrator.KindString}},
		{Name: "note", Type: orchestrator.Type{Kind: orchestrator.KindString, Optional: true}},
		{Name: "params", Type: orchestrator.Type{Kind: orchestrator.KindJSON}},
		{Name: "when", Type: orchestrator.Type{Kind: orchestrator.KindDatetime}},
		{Name: "timeout", Type: orchestrator.Type{Kind: orchestrator.KindDuration}},
		{Name: "scores", Type: orchestrator.ListOf(orchestrator.Type{Kind: orchestrator.KindFloat})},
		{Name: "models", Type: orchestrator.ListOf(orchestrator.Type{Kind: orchestrator.KindFile})},
		{Name: "missing", Type: orchestrator.Type{Kind: orchestrator.KindBool}},
	}
	values := map[string]orchestrator.Literal{
		"accuracy": orchestrator.Float(0.7401574803149606),
		"big":      orchestrator.Float(1e21),
		"n":        orchestrator.Int(-42),
		"model":    orchestrator.File(blob),
		"label":    orchestrator.String("two\nlines"),
		"note":     {},
		"params":   js,
		"when":     orchestrator.Datetime(when),
		"timeout":  orchestrator.Duration(90 * time.Minute),
		"scores":   orchestrator.List(orchestrator.Float(0.5), orchestrator.Float(1.0/3)),
		"models":   orchestrator.List(orchestrator.File(blob)),
	}
	b.WriteString("\n")
	valuesTable(params, values).write(&b)
	golden(t, "tables.golden", b.String())
}

func TestProgressLine(t *testing.T) {
	s := snapshot{Created: 1000, Nodes: make([]nodeRow, 40)}
	for i := range 12 {
		s.Nodes[i].Phase = orchestrator.Succeeded
	}
	if got, want := progressLine(s, 13_500), "[######..............] 12/40 nodes  00:12"; got != want {
		t.Errorf("progressLine = %q, want %q", got, want)
	}
	s.Ended = 3_700_000
	if got := progressLine(s, 99_999_999); !strings.HasSuffix(got, "  1:01:39") {
		t.Errorf("progressLine of an ended run = %q", got)
	}
}

func TestPickRowsKeepsActiveNodes(t *testing.T) {
	rows := []nodeRow{
		{Name: "a", Phase: orchestrator.Succeeded}, {Name: "b", Phase: orchestrator.Running},
		{Name: "c", Phase: orchestrator.Pending}, {Name: "d", Phase: orchestrator.Failed}, {Name: "e", Phase: orchestrator.Cached},
	}
	var names []string
	for _, r := range pickRows(rows, 3) {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ","); got != "b,c,d" {
		t.Errorf("pickRows = %s, want b,c,d", got)
	}
}
