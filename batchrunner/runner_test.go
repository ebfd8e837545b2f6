package batchrunner_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func readObject(t *testing.T, st store.Store, uri string) []byte {
	t.Helper()
	key, ok := st.KeyOf(uri)
	if !ok {
		t.Fatalf("%s is not in the store", uri)
	}
	b, _, err := store.ReadAll(context.Background(), st, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRunSucceeds(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	data := []byte("6,148,72\n1,85,66\n")
	if _, err := store.PutBytes(ctx, st, "incoming/d.csv", data, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	task := orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `cp "$1" "$2" && echo 0.7598 > "$3" && echo fitted`, "sh",
			"{{inputs.data}}", "{{outputs.model}}", "{{ outputs.accuracy }}"},
		Inputs:  []orchestrator.Param{param("data", "file")},
		Outputs: []orchestrator.Param{param("model", "file"), param("accuracy", "float")},
	}
	prefix := attempt(t, st, task, map[string]orchestrator.Literal{
		"data": orchestrator.File(orchestrator.Blob{URI: st.URI("incoming/d.csv")}),
	})
	var logBuf bytes.Buffer
	o := run(t, st, prefix, batchrunner.RunOptions{Log: &logBuf}).ok(t)
	if got := o.Outputs["accuracy"]; !got.Equal(orchestrator.Float(0.7598)) {
		t.Errorf("accuracy = %v, want 0.7598", got)
	}
	m := o.Outputs["model"]
	if m.Kind != orchestrator.KindFile || m.Blob.Digest != sha(data) || m.Blob.Size != int64(len(data)) {
		t.Errorf("model = %+v, want digest %s size %d", m.Blob, sha(data), len(data))
	}
	if m.Blob.URI != st.URI(prefix+"outputs/model") {
		t.Errorf("model URI = %s, want %s", m.Blob.URI, st.URI(prefix+"outputs/model"))
	}
	if got := readObject(t, st, m.Blob.URI); !bytes.Equal(got, data) {
		t.Errorf("stored model = %q", got)
	}
	if o.JobID != "job-1" || o.Finished.Before(o.Started) {
		t.Errorf("outputs.json job %q, started %v, finished %v", o.JobID, o.Started, o.Finished)
	}
	logTxt, _, err := store.ReadAll(ctx, st, prefix+batchrunner.LogFile)
	if err != nil || string(logTxt) != "fitted\n" {
		t.Errorf("log.txt = %q, %v", logTxt, err)
	}
	if logBuf.String() != "fitted\n" {
		t.Errorf("opt.Log got %q", logBuf.String())
	}
	var claim batchrunner.ClaimRecord
	if _, err := store.GetJSON(ctx, st, prefix+batchrunner.ClaimFile, &claim); err != nil || claim.JobID != "job-1" {
		t.Errorf("claim = %+v, %v", claim, err)
	}
}

func TestRunNonZeroExit(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", "echo working; echo 'Traceback: boom' >&2; exit 3"},
	}, nil)
	f := run(t, st, prefix, batchrunner.RunOptions{}).failed(t)
	if f.ExitCode != 3 || f.Signal != "" {
		t.Errorf("exit code %d signal %q, want 3", f.ExitCode, f.Signal)
	}
	if !strings.Contains(f.LogTail, "Traceback: boom") || !strings.Contains(f.LogTail, "working") {
		t.Errorf("log tail %q lacks the task's output", f.LogTail)
	}
	if !strings.Contains(f.Message, "exited with code 3") {
		t.Errorf("message %q", f.Message)
	}
}

func TestRunLogTailIsTheEnd(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; exit 1`},
	}, nil)
	f := run(t, st, prefix, batchrunner.RunOptions{}).failed(t)
	if len(f.LogTail) > 4096 || !strings.HasSuffix(f.LogTail, "line 1999\n") || !strings.HasPrefix(f.LogTail, "line ") {
		t.Errorf("log tail (%d bytes) = %q...", len(f.LogTail), f.LogTail[:40])
	}
	logTxt, _, _ := store.ReadAll(context.Background(), st, prefix+batchrunner.LogFile)
	if n := bytes.Count(logTxt, []byte("\n")); n != 2000 {
		t.Errorf("log.txt has %d lines, want 2000", n)
	}
}

func TestRunMissingOutput(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `echo 1 > "$1"`, "sh", "{{outputs.rows}}"},
		Outputs: []orchestrator.Param{param("rows", "int"), param("model", "file"), param("note", "string?")},
	}, nil)
	f := run(t, st, prefix, batchrunner.RunOptions{}).failed(t)
	f = wantKind(t, f, orchestrator.ErrUser)
	if !strings.Contains(f.Message, "output model (file) was not written") || !strings.Contains(f.Message, "/outputs/model") {
		t.Errorf("message %q does not name the output and its path", f.Message)
	}
	if f.ExitCode != 0 {
		t.Errorf("exit code %d, want 0 (the task exited cleanly)", f.ExitCode)
	}
}

func TestRunOptionalOutputMissing(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"true"},
		Outputs: []orchestrator.Param{param("note", "string?")},
	}, nil)
	o := run(t, st, prefix, batchrunner.RunOptions{}).ok(t)
	if n, ok := o.Outputs["note"]; !ok || !n.IsNone() {
		t.Errorf("note = %v, %v; want none", n, ok)
	}
}

func TestRunBadFloatOutput(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `echo abc > "$1"`, "sh", "{{outputs.accuracy}}"},
		Outputs: []orchestrator.Param{param("accuracy", "float")},
	}, nil)
	f := run(t, st, prefix, batchrunner.RunOptions{}).failed(t)
	f = wantKind(t, f, orchestrator.ErrUser)
	for _, want := range []string{"accuracy", "float", `"abc\n"`} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %s", f.Message, want)
		}
	}
}

func TestRunTypedOutputs(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	script := `echo 42 > "$1"; printf 'hello\n' > "$2"; echo true > "$3"; echo '{"b":1, "a":[2]}' > "$4"; echo '[1,2,3]' > "$5"; echo 1m30s > "$6"; echo 2024-05-01T03:00:00Z > "$7"`
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", script, "sh", "{{outputs.i}}", "{{outputs.s}}", "{{outputs.b}}", "{{outputs.j}}", "{{outputs.l}}", "{{outputs.d}}", "{{outputs.t}}"},
		Outputs: []orchestrator.Param{param("i", "int"), param("s", "string"), param("b", "bool"), param("j", "json"),
			param("l", "list<int>"), param("d", "duration"), param("t", "datetime")},
	}, nil)
	o := run(t, st, prefix, batchrunner.RunOptions{}).ok(t)
	j, _ := orchestrator.JSONValue([]byte(`{"a":[2],"b":1}`))
	want := map[string]orchestrator.Literal{
		"i": orchestrator.Int(42), "s": orchestrator.String("hello"), "b": orchestrator.Bool(true), "j": j,
		"l": orchestrator.List(orchestrator.Int(1), orchestrator.Int(2), orchestrator.Int(3)),
		"d": orchestrator.Duration(90 * time.Second),
		"t": orchestrator.Datetime(time.Date(2024, 5, 1, 3, 0, 0, 0, time.UTC)),
	}
	for k, w := range want {
		if !o.Outputs[k].Equal(w) {
			t.Errorf("%s = %s, want %s", k, o.Outputs[k].Canonical(), w.Canonical())
		}
	}
}

func TestRunCommandNotFound(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{Command: []string{"no-such-program-aloft"}}, nil)
	f := run(t, st, prefix, batchrunner.RunOptions{}).failed(t)
	f = wantKind(t, f, orchestrator.ErrNoRetry)
	if !strings.Contains(f.Message, "no-such-program-aloft") {
		t.Errorf("message %q", f.Message)
	}
}

func TestRunUnknownPlaceholder(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"echo", "{{inputs.nope}}", "{{outputs.x}}"},
		Outputs: []orchestrator.Param{param("x", "file")},
	}, nil)
	f := run(t, st, prefix, batchrunner.RunOptions{}).failed(t)
	f = wantKind(t, f, orchestrator.ErrNoRetry)
	if !strings.Contains(f.Message, `no input "nope"`) {
		t.Errorf("message %q", f.Message)
	}
}

func TestRunNoShell(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	pwned := filepath.Join(t.TempDir(), "pwned")
	evil := "$(touch " + pwned + "); `touch " + pwned + "` ; touch " + pwned
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"printf", "[%s]", "{{inputs.s}}"},
		Inputs:  []orchestrator.Param{param("s", "string")},
	}, map[string]orchestrator.Literal{"s": orchestrator.String(evil)})
	run(t, st, prefix, batchrunner.RunOptions{}).ok(t)
	logTxt, _, _ := store.ReadAll(context.Background(), st, prefix+batchrunner.LogFile)
	if string(logTxt) != "["+evil+"]" {
		t.Errorf("the task saw %q, want the string passed through literally", logTxt)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Error("a shell ran the input")
	}
}

func TestRunRendersValues(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	hp, _ := orchestrator.JSONValue([]byte(`{"max_depth": 4}`))
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"printf", "%s|", "{{inputs.seed}}", "--ratio={{inputs.ratio}}", "{{inputs.hp}}", "{{inputs.l}}", "{{inputs.flag}}", "{{inputs.opt}}"},
		Inputs:  []orchestrator.Param{param("seed", "int"), param("ratio", "float"), param("hp", "json"), param("l", "list<string>"), param("flag", "bool"), param("opt", "int?")},
	}, map[string]orchestrator.Literal{
		"seed": orchestrator.Int(7), "ratio": orchestrator.Float(0.33), "hp": hp, "flag": orchestrator.Bool(true),
		"l": orchestrator.List(orchestrator.String("a<b"), orchestrator.String("c")),
	})
	run(t, st, prefix, batchrunner.RunOptions{}).ok(t)
	logTxt, _, _ := store.ReadAll(context.Background(), st, prefix+batchrunner.LogFile)
	if want := `7|--ratio=0.33|{"max_depth":4}|["a<b","c"]|true||`; string(logTxt) != want {
		t.Errorf("argv rendered as %q, want %q", logTxt, want)
	}
}

func TestRunEnvironment(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	workflowDir := t.TempDir()
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `pwd; env | grep -E '^(ALOFT_|CUDA_|GREETING|BASE)' | sort`},
		Env:     map[string]string{"GREETING": "hi"},
		Dir:     workflowDir,
	}, nil)
	run(t, st, prefix, batchrunner.RunOptions{GPUs: []int{1, 3}, Env: []string{"PATH=" + os.Getenv("PATH"), "BASE=1"}}).ok(t)
	logTxt, _, _ := store.ReadAll(context.Background(), st, prefix+batchrunner.LogFile)
	got := string(logTxt)
	for _, want := range []string{workflowDir + "\n", "BASE=1\n", "GREETING=hi\n", "CUDA_VISIBLE_DEVICES=1,3\n", "ALOFT_NODE=n\n",
		"ALOFT_ATTEMPT=1\n", "ALOFT_ITEM=-1\n", "ALOFT_EXECUTION=x", "ALOFT_INPUT_DIR=/", "ALOFT_OUTPUT_DIR=/", "ALOFT_JOB_ID=job-1\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("task environment lacks %q:\n%s", want, got)
		}
	}
}

func TestRunInputs(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	if _, err := store.PutBytes(ctx, st, "incoming/a.txt", []byte("from store\n"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "b.txt")
	if err := os.WriteFile(local, []byte("from disk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	web := []byte("from the web\n")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/data/c.csv" {
			http.NotFound(w, r)
			return
		}
		w.Write(web)
	}))
	defer srv.Close()
	task := orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `cat "$1" "$2" "$3" > "$4"; echo "$3"`, "sh", "{{inputs.a}}", "{{inputs.b}}", "{{inputs.c}}", "{{outputs.all}}"},
		Inputs:  []orchestrator.Param{param("a", "file"), param("b", "file"), param("c", "file")},
		Outputs: []orchestrator.Param{param("all", "file")},
	}
	inputs := func(cDigest string) map[string]orchestrator.Literal {
		return map[string]orchestrator.Literal{
			"a": orchestrator.File(orchestrator.Blob{URI: st.URI("incoming/a.txt")}),
			"b": orchestrator.File(orchestrator.Blob{URI: local, Digest: sha([]byte("from disk\n"))}),
			"c": orchestrator.File(orchestrator.Blob{URI: srv.URL + "/data/c.csv", Digest: cDigest}),
		}
	}
	opt := batchrunner.RunOptions{HTTPClient: srv.Client()}

	o := run(t, st, attempt(t, st, task, inputs(sha(web))), opt).ok(t)
	if got := readObject(t, st, o.Outputs["all"].Blob.URI); string(got) != "from store\nfrom disk\nfrom the web\n" {
		t.Errorf("task read %q", got)
	}

	// A wrong digest on the https input: the bytes are not the ones promised.
	f := run(t, st, attempt(t, st, task, inputs(sha([]byte("other")))), opt).failed(t)
	f = wantKind(t, f, orchestrator.ErrNoRetry)
	if !strings.Contains(f.Message, "input c") || !strings.Contains(f.Message, "digest mismatch") {
		t.Errorf("message %q", f.Message)
	}

	// A 404 is permanent; the store object that is not there too.
	in := inputs("")
	in["c"] = orchestrator.File(orchestrator.Blob{URI: srv.URL + "/missing"})
	f = run(t, st, attempt(t, st, task, in), opt).failed(t)
	wantKind(t, f, orchestrator.ErrNoRetry)
	in = inputs("")
	in["a"] = orchestrator.File(orchestrator.Blob{URI: st.URI("incoming/gone.txt")})
	f = run(t, st, attempt(t, st, task, in), opt).failed(t)
	if f = wantKind(t, f, orchestrator.ErrNoRetry); !strings.Contains(f.Message, "input a") {
		t.Errorf("message %q", f.Message)
	}
}

func TestRunInputCannotChangeStoredObject(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	if _, err := store.PutBytes(ctx, st, "incoming/a.txt", []byte("original\n"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `echo changed > "$1"`, "sh", "{{inputs.a}}"},
		Inputs:  []orchestrator.Param{param("a", "file")},
	}, map[string]orchestrator.Literal{"a": orchestrator.File(orchestrator.Blob{URI: st.URI("incoming/a.txt")})})
	run(t, st, prefix, batchrunner.RunOptions{}).ok(t)
	b, _, _ := store.ReadAll(ctx, st, "incoming/a.txt")
	if string(b) != "original\n" {
		t.Errorf("the task changed the stored input: %q", b)
	}
}

func TestRunDirectoryOutputAndInput(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `mkdir -p "$1/sub" && printf A > "$1/a.txt" && printf BB > "$1/sub/b.bin"`, "sh", "{{outputs.d}}"},
		Outputs: []orchestrator.Param{param("d", "directory")},
	}, nil)
	o := run(t, st, prefix, batchrunner.RunOptions{}).ok(t)
	d := o.Outputs["d"]
	// The digest, computed here by hand from Decision 6.
	canon := `[["a.txt","` + sha([]byte("A")) + `"],["sub/b.bin","` + sha([]byte("BB")) + `"]]`
	if want := sha([]byte(canon)); d.Kind != orchestrator.KindDirectory || d.Blob.Digest != want || d.Blob.Size != 3 {
		t.Errorf("directory = %+v, want digest %s size 3", d.Blob, want)
	}
	if d.Blob.URI != st.URI(prefix+"outputs/d") {
		t.Errorf("directory URI %s", d.Blob.URI)
	}
	objs, err := st.List(context.Background(), prefix+"outputs/d/")
	if err != nil || len(objs) != 2 {
		t.Fatalf("stored %v, %v", objs, err)
	}
	if got := batchrunner.DirectoryDigest(map[string]string{"sub/b.bin": sha([]byte("BB")), "a.txt": sha([]byte("A"))}); got != d.Blob.Digest {
		t.Errorf("DirectoryDigest = %s, runner wrote %s", got, d.Blob.Digest)
	}

	// The directory as the next task's input.
	next := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `cd "$1" && find . -type f | sort && cat a.txt sub/b.bin`, "sh", "{{inputs.d}}"},
		Inputs:  []orchestrator.Param{param("d", "directory")},
	}, map[string]orchestrator.Literal{"d": d})
	run(t, st, next, batchrunner.RunOptions{}).ok(t)
	logTxt, _, _ := store.ReadAll(context.Background(), st, next+batchrunner.LogFile)
	if string(logTxt) != "./a.txt\n./sub/b.bin\nABB" {
		t.Errorf("the next task saw %q", logTxt)
	}
}

func TestClaim(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `echo ran > "$1"`, "sh", "{{outputs.x}}"},
		Outputs: []orchestrator.Param{param("x", "string")},
	}, nil)
	if err := batchrunner.Claim(ctx, st, prefix, "job-A", time.Now()); err != nil {
		t.Fatal(err)
	}
	// Another job for the same attempt does nothing and exits cleanly.
	if err := batchrunner.Run(ctx, st, prefix, batchrunner.RunOptions{JobID: "job-B"}); err != nil {
		t.Fatalf("duplicate job: %v", err)
	}
	if _, _, err := batchrunner.ReadResult(ctx, st, prefix); !errors.Is(err, batchrunner.ErrNoResult) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after the duplicate: %v, want no result", err)
	}
	if objs, _ := st.List(ctx, prefix); len(objs) != 2 { // inputs.json, claim.json
		t.Errorf("the duplicate wrote something: %v", objs)
	}
	if err := batchrunner.Claim(ctx, st, prefix, "job-B", time.Now()); !errors.Is(err, batchrunner.ErrClaimed) {
		t.Errorf("Claim by job-B = %v, want ErrClaimed", err)
	}
	// The claiming job, retried by Batch, proceeds.
	o := run(t, st, prefix, batchrunner.RunOptions{JobID: "job-A"}).ok(t)
	if !o.Outputs["x"].Equal(orchestrator.String("ran")) || o.JobID != "job-A" {
		t.Errorf("outputs %+v", o)
	}
	// Run again after the result: nothing changes.
	if err := batchrunner.Run(ctx, st, prefix, batchrunner.RunOptions{JobID: "job-A"}); err != nil {
		t.Fatal(err)
	}
	o2, _, _ := batchrunner.ReadResult(ctx, st, prefix)
	if !o2.Finished.Equal(o.Finished) {
		t.Error("a second run of the finished attempt rewrote outputs.json")
	}
}

func TestWriteAttempt(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	a := &batchrunner.Attempt{Exec: "e", Node: "fit", Item: 3, Attempt: 2, Task: orchestrator.TaskTemplate{Name: "fit", Command: []string{"true"}},
		Inputs: map[string]orchestrator.Literal{"seed": orchestrator.Int(7)}}
	p, err := batchrunner.WriteAttempt(ctx, st, a)
	if err != nil || p != "data/e/fit.3/2/" {
		t.Fatalf("WriteAttempt = %q, %v", p, err)
	}
	if _, err := batchrunner.WriteAttempt(ctx, st, a); err != nil {
		t.Errorf("rewriting the same attempt: %v", err)
	}
	b := *a
	b.Inputs = map[string]orchestrator.Literal{"seed": orchestrator.Int(8)}
	if _, err := batchrunner.WriteAttempt(ctx, st, &b); !errors.Is(err, store.ErrConflict) {
		t.Errorf("writing a different attempt = %v, want ErrConflict", err)
	}
	if got := batchrunner.AttemptPrefix("e", "split", -1, 1); got != "data/e/split/1/" {
		t.Errorf("AttemptPrefix = %q", got)
	}
	back, err := batchrunner.ReadAttempt(ctx, st, p)
	if err != nil || !back.Inputs["seed"].Equal(orchestrator.Int(7)) || back.Item != 3 {
		t.Errorf("ReadAttempt = %+v, %v", back, err)
	}
}
