package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store/dirstore"
)

// pipeSpec is a two-node workflow of POSIX tools. Each task appends its
// name to the file named by the marker input, so a test sees which tasks
// really ran.
const pipeSpec = `apiVersion: aloft/v1
kind: Workflow
name: pipe
inputs:
  n: {type: int, default: 3}
  marker: string
outputs:
  text: "{{make.out}}"
  doubled: "{{double.y}}"
  ratio: "{{double.ratio}}"
defaults:
  cache: {version: "1"}
tasks:
  make:
    inputs: {n: int, marker: string}
    outputs: {out: file}
    command: [sh, -c, 'echo make >> "$2"; echo "making $1"; echo "value $1" > "$3"', make, "{{inputs.n}}", "{{inputs.marker}}", "{{outputs.out}}"]
  double:
    inputs: {n: int, f: file, marker: string}
    outputs: {y: int, ratio: float}
    command: [sh, -c, 'echo double >> "$3"; cat "$2" > /dev/null; echo $(( $1 * 2 )) > "$4"; echo 0.7401574803149606 > "$5"', double,
              "{{inputs.n}}", "{{inputs.f}}", "{{inputs.marker}}", "{{outputs.y}}", "{{outputs.ratio}}"]
nodes:
  make:
    task: make
    inputs: {n: "{{inputs.n}}", marker: "{{inputs.marker}}"}
  double:
    task: double
    inputs: {n: "{{inputs.n}}", f: "{{make.out}}", marker: "{{inputs.marker}}"}
`

// badSpec binds a node to a task that does not exist.
const badSpec = `apiVersion: aloft/v1
kind: Workflow
name: bad
nodes:
  a:
    task: nosuchtask
`

// failSpec has a task that prints and fails.
const failSpec = `apiVersion: aloft/v1
kind: Workflow
name: fails
outputs:
  y: "{{b.y}}"
tasks:
  ok:
    outputs: {x: int}
    command: [sh, -c, 'echo 1 > "$1"', ok, "{{outputs.x}}"]
  boom:
    inputs: {x: int}
    outputs: {y: int}
    command: [sh, -c, 'echo "about to fail with $1"; echo "it went wrong" >&2; exit 3', boom, "{{inputs.x}}", "{{outputs.y}}"]
nodes:
  a: {task: ok}
  b:
    task: boom
    inputs: {x: "{{a.x}}"}
`

// markerLines reads the marker file: the tasks that ran, in order.
func markerLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

func TestRunSucceedsThenHitsTheCache(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	marker := filepath.Join(s.dir, "ran.txt")

	r := s.run(t, "run", wf, "--input", "marker="+marker).check(t, exitOK)
	for _, want := range []string{"2 nodes: 2 succeeded", "doubled  int", " 6\n", "0.7401574803149606", "text     file   file://", "(sha256:"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.out)
		}
	}
	if !strings.Contains(r.err, "(resume with: aloft run --resume r") {
		t.Errorf("stderr does not name the execution:\n%s", r.err)
	}
	// Plain progress (stderr is no terminal): phase lines and task output, no ANSI codes.
	for _, want := range []string{"make    queued", "double  succeeded in ", "make | making 3"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.err)
		}
	}
	if strings.Contains(r.err, "\x1b[") {
		t.Errorf("plain progress has ANSI codes:\n%q", r.err)
	}
	if got := markerLines(t, marker); strings.Join(got, ",") != "make,double" {
		t.Fatalf("tasks that ran: %q", got)
	}

	r = s.run(t, "run", wf, "--input", "marker="+marker).check(t, exitOK)
	if !strings.Contains(r.out, "2 nodes: 2 cached") {
		t.Errorf("second run is not all cached:\n%s", r.out)
	}
	if got := markerLines(t, marker); len(got) != 2 {
		t.Errorf("second run started processes: marker %q", got)
	}

	// A different input misses for both nodes.
	s.run(t, "run", wf, "--input", "marker="+marker, "--input", "n=4").check(t, exitOK)
	if got := markerLines(t, marker); len(got) != 4 {
		t.Errorf("n=4 did not rerun both tasks: marker %q", got)
	}
}

func TestRunJSON(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	r := s.run(t, "run", wf, "--json", "--quiet", "--input", "marker="+filepath.Join(s.dir, "m"), "--input", "n=5").check(t, exitOK)
	var res struct {
		Execution string
		Phase     string
		Outputs   map[string]json.RawMessage
		Error     *string
	}
	if err := json.Unmarshal([]byte(r.out), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.out)
	}
	if res.Phase != "succeeded" || res.Error != nil || !strings.HasPrefix(res.Execution, "r") {
		t.Errorf("result %+v", res)
	}
	if string(res.Outputs["doubled"]) != "10" || string(res.Outputs["ratio"]) != "0.7401574803149606" {
		t.Errorf("outputs %s", r.out)
	}
	var file struct{ URI, Digest string }
	if err := json.Unmarshal(res.Outputs["text"], &file); err != nil || !strings.HasPrefix(file.URI, "file://") || !strings.HasPrefix(file.Digest, "sha256:") {
		t.Errorf("file output %s (%v)", res.Outputs["text"], err)
	}
	// --quiet prints only the execution's id, when it starts.
	if want := "execution " + res.Execution + " (resume with: aloft run --resume " + res.Execution + ")\n"; r.err != want {
		t.Errorf("--quiet printed on stderr:\n%s\nwant only:\n%s", r.err, want)
	}
}

func TestRunFailedTask(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", failSpec)
	r := s.run(t, "run", wf).check(t, exitFailed)
	for _, want := range []string{`error: node "b" failed: attempt 1: user:`, "b, attempt 1, last lines of output:", "| about to fail with 1", "| it went wrong", "see more: aloft executions get r", "full log: file://"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.err)
		}
	}
	if !strings.Contains(r.out, "2 nodes: 1 succeeded, 1 failed") {
		t.Errorf("stdout lacks the summary:\n%s", r.out)
	}
	r = s.run(t, "run", wf, "--json", "--quiet").check(t, exitFailed)
	var res runResult
	if err := json.Unmarshal([]byte(r.out), &res); err != nil || res.Phase != "failed" || res.Error == nil {
		t.Errorf("--json of a failed run: %v %s", err, r.out)
	}
}

// TestRunCutsALongNodeTable: the table at the end of a run of many nodes
// shows finalRows of them, the failed one among them, and says how to see
// the rest; executions get lists them all.
func TestRunCutsALongNodeTable(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	var spec strings.Builder
	spec.WriteString("apiVersion: aloft/v1\nkind: Workflow\nname: wide\ntasks:\n")
	spec.WriteString("  ok: {command: [\"true\"]}\n  bad: {command: [\"false\"]}\nnodes:\n")
	const n = finalRows + 10
	var before []string
	for i := 1; i < n; i++ {
		fmt.Fprintf(&spec, "  n%02d: {task: ok}\n", i)
		before = append(before, fmt.Sprintf("n%02d", i))
	}
	// The last node fails once all others have ended, so that none is
	// aborted; it is past the first finalRows, kept because it failed.
	fmt.Fprintf(&spec, "  n%02d: {task: bad, after: [%s]}\n", n, strings.Join(before, ", "))
	wf := s.write(t, "wf.yaml", spec.String())
	r := s.run(t, "run", wf, "--quiet").check(t, exitFailed)
	rows := 0
	for _, l := range strings.Split(r.out, "\n") {
		if strings.HasPrefix(l, "n") && len(l) > 3 && l[3] == ' ' {
			rows++
		}
	}
	if rows != finalRows {
		t.Errorf("%d node rows, want %d:\n%s", rows, finalRows, r.out)
	}
	if !regexp.MustCompile(fmt.Sprintf(`(?m)^n%02d +failed`, n)).MatchString(r.out) {
		t.Errorf("the failed node is not in the table:\n%s", r.out)
	}
	for _, w := range []string{fmt.Sprintf("… %d more nodes (aloft executions get r", n-finalRows), fmt.Sprintf("%d nodes: %d succeeded, 1 failed", n, n-1)} {
		if !strings.Contains(r.out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, r.out)
		}
	}
	exec := regexp.MustCompile(`aloft executions get (r[0-9a-z]+)`).FindStringSubmatch(r.out)
	if exec == nil {
		t.Fatalf("no execution named:\n%s", r.out)
	}
	g := s.run(t, "executions", "get", exec[1]).check(t, exitOK)
	if !strings.Contains(g.out, "n01 ") || !strings.Contains(g.out, fmt.Sprintf("n%02d ", n)) {
		t.Errorf("executions get does not list every node:\n%s", g.out)
	}
}

func TestRunSpecError(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	bad := s.write(t, "bad.yaml", badSpec)
	r := s.run(t, "run", bad).check(t, exitUsage)
	if !strings.Contains(r.err, bad+":6:11: error:") {
		t.Errorf("stderr lacks file:line:col:\n%s", r.err)
	}
	if _, err := os.Stat(s.store); !os.IsNotExist(err) {
		t.Errorf("a spec error wrote the store (%v)", err)
	}
}

func TestRunBadInputs(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	r := s.run(t, "run", wf, "--input", "nn=3").check(t, exitUsage)
	for _, want := range []string{`no input "nn"`, "n       int", "default 3", "marker  string  required"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("unknown input: stderr lacks %q:\n%s", want, r.err)
		}
	}
	r = s.run(t, "run", wf, "--input", "n=three", "--input", "marker=m").check(t, exitUsage)
	if !strings.Contains(r.err, `input "n" expects int`) {
		t.Errorf("bad value: stderr %q", r.err)
	}
	r = s.run(t, "run", wf, "--input", "n").check(t, exitUsage)
	if !strings.Contains(r.err, "want name=value") {
		t.Errorf("no '=': stderr %q", r.err)
	}
	if _, err := os.Stat(s.store); !os.IsNotExist(err) {
		t.Errorf("bad inputs wrote the store (%v)", err)
	}
	// A missing required input is found by the engine: still a usage error.
	r = s.run(t, "run", wf).check(t, exitUsage)
	if !strings.Contains(r.err, `missing required input "marker"`) {
		t.Errorf("missing input: stderr %q", r.err)
	}
}

func TestRunInputsFile(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	marker := filepath.Join(s.dir, "m")
	s.write(t, "in.yaml", "n: 7\nmarker: "+marker+"\n")
	s.write(t, "in.json", `{"n": 8, "marker": "`+marker+`"}`)
	r := s.run(t, "run", wf, "--inputs-file", "in.yaml", "--quiet").check(t, exitOK)
	if !strings.Contains(r.out, "doubled  int    14") {
		t.Errorf("yaml inputs:\n%s", r.out)
	}
	r = s.run(t, "run", wf, "--inputs-file", "in.json", "--input", "n=9", "--quiet").check(t, exitOK)
	if !strings.Contains(r.out, "doubled  int    18") {
		t.Errorf("--input does not win over the file:\n%s", r.out)
	}
}

func TestRunChoosesWorkflow(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	two := strings.Replace(failSpec, "name: fails", "name: second", 1)
	wf := s.write(t, "wf.yaml", failSpec+"---\n"+two)
	r := s.run(t, "run", wf).check(t, exitUsage)
	if !strings.Contains(r.err, "2 workflows (fails, second): choose one with --workflow NAME") {
		t.Errorf("ambiguous workflow: %q", r.err)
	}
	r = s.run(t, "run", wf, "--workflow", "third").check(t, exitUsage)
	if !strings.Contains(r.err, `no workflow "third"`) {
		t.Errorf("unknown workflow: %q", r.err)
	}
	s.run(t, "run", wf, "--workflow", "second", "--quiet").check(t, exitFailed)
}

func TestRunDefaultStoreFromEnv(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	aloft(t, s.env, "run", wf, "--quiet", "--input", "marker=m").check(t, exitOK)
	if _, err := os.Stat(filepath.Join(s.dir, ".aloft", "bucket", "index")); err != nil {
		t.Errorf("default store .aloft/bucket not used: %v", err)
	}
	env := s.env
	env.Store = "elsewhere"
	aloft(t, env, "run", wf, "--quiet", "--input", "marker=m").check(t, exitOK)
	if _, err := os.Stat(filepath.Join(s.dir, "elsewhere", "index")); err != nil {
		t.Errorf("$ALOFT_STORE not used: %v", err)
	}
}

// slowSpec's first task waits for a go file unless it exists; it writes
// "started" when it begins.
const slowSpec = `apiVersion: aloft/v1
kind: Workflow
name: slow
inputs:
  dir: string
outputs:
  y: "{{second.y}}"
defaults:
  cache: {version: "1"}
tasks:
  quick:
    inputs: {dir: string}
    outputs: {x: int}
    command: [sh, -c, 'echo quick >> "$1/ran"; echo 1 > "$2"', quick, "{{inputs.dir}}", "{{outputs.x}}"]
  wait:
    inputs: {dir: string, x: int}
    outputs: {y: int}
    command: [sh, -c, 'echo wait >> "$1/ran"; touch "$1/started"; if [ ! -e "$1/go" ]; then sleep 60; fi; echo 2 > "$2"', wait, "{{inputs.dir}}", "{{outputs.y}}"]
nodes:
  first:
    task: quick
    inputs: {dir: "{{inputs.dir}}"}
  second:
    task: wait
    inputs: {dir: "{{inputs.dir}}", x: "{{first.x}}"}
`

func TestRunInterruptedThenResumed(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", slowSpec)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan result, 1)
	go func() { done <- aloftCtx(ctx, t, s.env, "run", wf, "--input", "dir="+s.dir, "--store", s.store) }()
	waitFor(t, filepath.Join(s.dir, "started"))
	start := time.Now()
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not stop after its context was cancelled")
	}
	r.check(t, exitAborted)
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("stopping took %v", d)
	}
	if !strings.Contains(r.err, "interrupted: cancelling the running tasks") || !strings.Contains(r.out, "aborted") {
		t.Errorf("interrupted run:\nstdout:\n%s\nstderr:\n%s", r.out, r.err)
	}
	id := execID(t, r.err)

	// Resuming an aborted run starts it again; the finished node is cached.
	if err := os.WriteFile(filepath.Join(s.dir, "go"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	r = s.run(t, "run", "--resume", id).check(t, exitOK)
	if !strings.Contains(r.out, "first   cached") || !strings.Contains(r.out, "second  succeeded") {
		t.Errorf("resumed run:\n%s\n%s", r.out, r.err)
	}
	if got := markerLines(t, filepath.Join(s.dir, "ran")); strings.Join(got, ",") != "quick,wait,wait" {
		t.Errorf("tasks that ran: %q", got)
	}
	// Resuming a succeeded run just reports it.
	r = s.run(t, "run", "--resume", execID(t, r.err)).check(t, exitOK)
	if !strings.Contains(r.err, "already succeeded") {
		t.Errorf("resume of a succeeded run: %s", r.err)
	}
	s.run(t, "run", "--resume", "nosuch").check(t, exitUsage)
	s.run(t, "run", wf, "--resume", id, "--input", "dir=x").check(t, exitUsage)
}

// TestRunResumesUnfinished resumes an execution whose engine went away
// after it started (here: it was never driven at all).
func TestRunResumesUnfinished(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	spec, err := orchestrator.ParseFiles(wf)
	if err != nil {
		t.Fatal(err)
	}
	c, err := orchestrator.Compile(spec, "pipe")
	if err != nil {
		t.Fatal(err)
	}
	st, err := dirstore.Open(s.store)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(s.dir, "m")
	ref, err := eng.Start(context.Background(), c, map[string]orchestrator.Literal{"marker": orchestrator.String(marker)}, engine.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := s.run(t, "run", "--resume", ref.Exec).check(t, exitOK)
	if !strings.Contains(r.err, "resuming execution "+ref.Exec) || !strings.Contains(r.out, "execution "+ref.Exec+" succeeded") {
		t.Errorf("resume:\n%s\n%s", r.out, r.err)
	}
	if got := markerLines(t, marker); len(got) != 2 {
		t.Errorf("tasks that ran: %q", got)
	}
}

func TestRunLiveView(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", slowSpec)
	if err := os.WriteFile(filepath.Join(s.dir, "go"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	// Slow the quick task down so that the view draws a few frames.
	spec := strings.Replace(slowSpec, `echo quick >> "$1/ran";`, `echo quick >> "$1/ran"; echo "tick"; sleep 0.4; echo "tock";`, 1)
	s.write(t, "wf.yaml", spec)
	env := s.env
	env.TTY = true
	env.Size = func() (int, int) { return 60, 20 }
	r := aloft(t, env, "run", wf, "--input", "dir="+s.dir, "--store", s.store).check(t, exitOK)
	for _, want := range []string{"\x1b[J", "] 0/2 nodes  00:0", "NODE    PHASE", "first | tick\n", "first | tock\n"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("live view lacks %q:\n%q", want, r.err)
		}
	}
	for _, l := range strings.Split(r.err, "\n") {
		if len([]rune(l)) > 60+len("\r\x1b[99A\x1b[J") && !strings.Contains(l, "resume with") {
			t.Errorf("line wider than the terminal: %q", l)
		}
	}
	// The table is redrawn below the task output: the output never lands
	// inside a table.
	frames := strings.Split(r.err, "\x1b[J")
	for _, f := range frames {
		if i, j := strings.Index(f, "NODE"), strings.Index(f, "first |"); i >= 0 && j > i {
			t.Errorf("task output printed below the table:\n%q", f)
		}
	}
}

func waitFor(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not appear", path)
}

// execID finds the execution id in "execution ID (resume with: ...)".
func execID(t *testing.T, stderr string) string {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		if i := strings.Index(l, "(resume with: aloft run --resume "); i >= 0 {
			return strings.TrimSuffix(l[i+len("(resume with: aloft run --resume "):], ")")
		}
	}
	t.Fatalf("no execution id in:\n%s", stderr)
	return ""
}
