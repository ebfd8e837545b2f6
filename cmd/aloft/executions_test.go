package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestExecutionsListAndGet(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	r := s.run(t, "executions", "list").check(t, exitOK)
	if r.out != "" || !strings.Contains(r.err, "no executions") {
		t.Errorf("list of an empty store: %q %q", r.out, r.err)
	}
	wf := s.write(t, "wf.yaml", pipeSpec)
	fail := s.write(t, "fail.yaml", failSpec)
	r = s.run(t, "run", wf, "--input", "marker="+filepath.Join(s.dir, "m")).check(t, exitOK)
	first := execID(t, r.err)
	r = s.run(t, "run", fail).check(t, exitFailed)
	second := execID(t, r.err)

	r = s.run(t, "executions", "list").check(t, exitOK)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 3 || !rowIs(lines[0], "EXECUTION", "WORKFLOW", "PHASE", "STARTED", "DURATION") ||
		!rowIs(lines[1], second, "fails", "failed") || !rowIs(lines[2], first, "pipe", "succeeded") {
		t.Errorf("list (newest first):\n%s", r.out)
	}
	r = s.run(t, "executions", "list", "--limit", "1", "--json").check(t, exitOK)
	var rows []execSummary
	if err := json.Unmarshal([]byte(r.out), &rows); err != nil || len(rows) != 1 || rows[0].Execution != second || rows[0].Phase != "failed" {
		t.Errorf("list --json --limit 1: %v\n%s", err, r.out)
	}
	r = s.run(t, "executions", "list", "--project", "other").check(t, exitOK)
	if r.out != "" {
		t.Errorf("list of another project: %q", r.out)
	}

	r = s.run(t, "executions", "get", first).check(t, exitOK)
	for _, want := range [][]string{{"phase", "succeeded"}, {"NODE", "PHASE", "ATTEMPTS"}, {"make", "succeeded", "1"},
		{"Inputs:"}, {"n", "int", "3"}, {"Outputs:"}, {"doubled", "int", "6"}} {
		if !hasRow(r.out, want...) {
			t.Errorf("get lacks a row %q:\n%s", want, r.out)
		}
	}
	r = s.run(t, "executions", "get", second).check(t, exitOK)
	for _, want := range []string{"ERROR", "attempt 1: user:", "| about to fail with 1"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("get of a failed run lacks %q:\n%s", want, r.out)
		}
	}
	r = s.run(t, "executions", "get", first, "--json").check(t, exitOK)
	var v struct {
		Execution, Workflow, Phase string
		Error                      *string
		Inputs, Outputs            map[string]json.RawMessage
		Nodes                      []struct {
			Name, Phase    string
			Attempts       int
			Cached         bool
			Error          *string
			Started, Ended *string
			Items          []json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(r.out), &v); err != nil {
		t.Fatalf("get --json: %v\n%s", err, r.out)
	}
	if v.Execution != first || v.Workflow != "pipe" || v.Phase != "succeeded" || v.Error != nil ||
		string(v.Inputs["n"]) != "3" || string(v.Outputs["doubled"]) != "6" || len(v.Nodes) != 2 ||
		v.Nodes[0].Name != "make" || v.Nodes[0].Attempts != 1 || v.Nodes[0].Started == nil || v.Nodes[0].Ended == nil {
		t.Errorf("get --json:\n%s", r.out)
	}
	s.run(t, "executions", "get", "nosuch").check(t, exitFailed)
	s.run(t, "executions", "get").check(t, exitUsage)
	s.run(t, "executions", "frob").check(t, exitUsage)
}

func TestCacheListAndEvict(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	marker := filepath.Join(s.dir, "m")
	s.run(t, "run", wf, "--input", "marker="+marker, "--quiet").check(t, exitOK)

	r := s.run(t, "cache", "list").check(t, exitOK)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 3 || !rowIs(lines[0], "TASK", "VERSION", "KEY", "CREATED", "EXECUTION", "NODE") ||
		!rowIs(lines[1], "double", "1") || !rowIs(lines[2], "make", "1") || !strings.HasSuffix(lines[2], " make") {
		t.Errorf("cache list:\n%s", r.out)
	}
	r = s.run(t, "cache", "list", "--task", "make", "--json").check(t, exitOK)
	var entries []entryView
	if err := json.Unmarshal([]byte(r.out), &entries); err != nil || len(entries) != 1 || entries[0].Task != "make" || entries[0].Node != "make" {
		t.Fatalf("cache list --json: %v\n%s", err, r.out)
	}

	s.run(t, "cache", "evict").check(t, exitUsage)
	r = s.run(t, "cache", "evict", "--task", "make", "--key", shortKey(entries[0].Key)[:8]).check(t, exitOK)
	if r.out != "evicted 1 entry\n" {
		t.Errorf("evict: %q", r.out)
	}
	// make runs again; its output has the same bytes, so double still hits.
	r = s.run(t, "run", wf, "--input", "marker="+marker, "--quiet").check(t, exitOK)
	if got := markerLines(t, marker); strings.Join(got, ",") != "make,double,make" {
		t.Errorf("after evicting make, the tasks that ran: %q", got)
	}
	if !strings.Contains(r.out, "2 nodes: 1 succeeded, 1 cached") {
		t.Errorf("after evict:\n%s", r.out)
	}
	r = s.run(t, "cache", "evict", "--all").check(t, exitOK)
	if r.out != "evicted 2 entries\n" {
		t.Errorf("evict --all: %q", r.out)
	}
	r = s.run(t, "cache", "list").check(t, exitOK)
	if r.out != "" {
		t.Errorf("list after evict --all: %q", r.out)
	}
}

// rowIs reports whether the whitespace-separated fields of line start with
// fields.
func rowIs(line string, fields ...string) bool {
	got := strings.Fields(line)
	if len(got) < len(fields) {
		return false
	}
	for i, f := range fields {
		if got[i] != f {
			return false
		}
	}
	return true
}

// hasRow reports whether some line of out starts with fields.
func hasRow(out string, fields ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		if rowIs(l, fields...) {
			return true
		}
	}
	return false
}
