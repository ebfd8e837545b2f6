package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/aloft-run/aloft/internal/runnerbin"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// result is what one in-process invocation of aloft printed and returned.
type result struct {
	code     int
	out, err string
}

// aloft runs the CLI in-process with env.
// TestMain lets the commands that need the runner (register's image
// builds, --executor docker) build it from the source tree.
// With $ALOFT_TEST_AS_CLI set, the test binary is the aloft command
// itself (cliProcess), so tests can run several real aloft processes.
func TestMain(m *testing.M) {
	if os.Getenv(asCLIEnv) == "1" {
		main()
	}
	os.Setenv(runnerbin.FromSourceEnv, "1")
	os.Exit(m.Run())
}

func aloft(t *testing.T, env Env, args ...string) result {
	t.Helper()
	return aloftCtx(context.Background(), t, env, args...)
}

func aloftCtx(ctx context.Context, t *testing.T, env Env, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, Stdio{Out: &out, Err: &errb, Env: env})
	return result{code: code, out: out.String(), err: errb.String()}
}

// sandbox is a temporary working directory with a bucket under it.
type sandbox struct {
	dir   string
	store string
	env   Env
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	dir := t.TempDir()
	return &sandbox{dir: dir, store: filepath.Join(dir, "bucket"), env: Env{Dir: dir}}
}

// write puts a file in the sandbox and returns its path.
func (s *sandbox) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs aloft with --store pointing into the sandbox.
func (s *sandbox) run(t *testing.T, args ...string) result {
	t.Helper()
	return aloft(t, s.env, append(args, "--store", s.store)...)
}

func (r result) check(t *testing.T, want int) result {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, want, r.out, r.err)
	}
	return r
}

func TestHelpAndUnknownCommand(t *testing.T) {
	env := Env{Dir: t.TempDir()}
	r := aloft(t, env, "help").check(t, exitOK)
	for _, c := range []string{"run", "validate", "executions", "cache", "version"} {
		if !strings.Contains(r.out, "  "+c) {
			t.Errorf("help does not list %s:\n%s", c, r.out)
		}
	}
	aloft(t, env, "-h").check(t, exitOK)
	r = aloft(t, env, "frobnicate").check(t, exitUsage)
	if !strings.Contains(r.err, `unknown command "frobnicate"`) || !strings.Contains(r.err, "Commands:") {
		t.Errorf("unknown command: stderr %q", r.err)
	}
	aloft(t, env).check(t, exitUsage)
	r = aloft(t, env, "help", "run").check(t, exitOK)
	if !strings.Contains(r.out, "--resume") {
		t.Errorf("help run does not show the flags:\n%s", r.out)
	}
	r = aloft(t, env, "run", "-h").check(t, exitOK)
	if !strings.Contains(r.err, "--max-parallel") {
		t.Errorf("run -h does not show the flags:\n%s", r.err)
	}
	aloft(t, env, "run", "--no-such-flag").check(t, exitUsage)
}

func TestVersion(t *testing.T) {
	r := aloft(t, Env{}, "version").check(t, exitOK)
	for _, want := range []string{"aloft " + version, runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH} {
		if !strings.Contains(r.out, want) {
			t.Errorf("version %q lacks %q", r.out, want)
		}
	}
}

func TestParseFlagsInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		pos    []string
		inputs []string
		quiet  bool
	}{
		{[]string{"wf.yaml", "--input", "a=1", "--quiet"}, []string{"wf.yaml"}, []string{"a=1"}, true},
		{[]string{"--input=a=1", "x.yaml", "y.yaml", "-input", "b=2"}, []string{"x.yaml", "y.yaml"}, []string{"a=1", "b=2"}, false},
		{[]string{"wf.yaml", "--", "--quiet", "-x"}, []string{"wf.yaml", "--quiet", "-x"}, nil, false},
		{nil, nil, nil, false},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		var inputs listFlag
		fs.Var(&inputs, "input", "")
		quiet := fs.Bool("quiet", false, "")
		pos, code := parseFlags(fs, tc.args)
		if code != -1 {
			t.Fatalf("%q: code %d", tc.args, code)
		}
		if !reflect.DeepEqual(pos, tc.pos) || !reflect.DeepEqual([]string(inputs), tc.inputs) || *quiet != tc.quiet {
			t.Errorf("%q: positional %q inputs %q quiet %v; want %q %q %v", tc.args, pos, inputs, *quiet, tc.pos, tc.inputs, tc.quiet)
		}
	}
}

func TestValidate(t *testing.T) {
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", pipeSpec)
	r := aloft(t, s.env, "validate", wf).check(t, exitOK)
	if r.out != "ok: 1 workflow (pipe, 2 nodes)\n" {
		t.Errorf("validate: %q", r.out)
	}
	diabetes := filepath.Join("..", "..", "examples", "diabetes", "workflow.yaml")
	if _, err := os.Stat(diabetes); err == nil {
		r = aloft(t, s.env, "validate", diabetes).check(t, exitOK)
		if !strings.HasPrefix(r.out, "ok: 1 workflow (diabetes_xgboost_model, ") || !strings.Contains(r.out, "launch plan") {
			t.Errorf("validate diabetes: %q", r.out)
		}
	}
	bad := s.write(t, "bad.yaml", badSpec)
	r = aloft(t, s.env, "validate", bad).check(t, exitUsage)
	if !strings.Contains(r.err, bad+":") || !strings.Contains(r.err, "error:") {
		t.Errorf("validate bad: stderr %q", r.err)
	}
}

// fixedClock is a clock that never moves, for golden output.
func fixedClock() func() time.Time {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time { return t0 }
}

// ids gives r-test-1, r-test-2, ...
func ids() func() string {
	n := 0
	return func() string {
		n++
		return "rtest" + string(rune('0'+n))
	}
}
