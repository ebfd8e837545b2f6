package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store/dirstore"
)

var (
	diabetesSpec = filepath.Join("..", "..", "examples", "diabetes", "workflow.yaml")
	helloSpec    = filepath.Join("..", "..", "examples", "hello", "workflow.yaml")
)

// tickingClock starts at the fixed clock's time and moves a second a call,
// so that registrations are ordered.
func tickingClock() func() time.Time {
	t := fixedClock()()
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.env.Now = tickingClock()

	r := s.run(t, "register", diabetesSpec, helloSpec, "--version", "v1").check(t, exitOK)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 4 || !rowIs(lines[0], "KIND", "NAME", "VERSION", "STATUS", "ACTIVE", "DETAIL") ||
		!rowIs(lines[1], "workflow", "diabetes_xgboost_model", "v1", "registered", "-", "4", "nodes,", "4", "tasks") ||
		!rowIs(lines[2], "workflow", "hello", "v1", "registered", "-") ||
		!rowIs(lines[3], "launch", "plan", "diabetes_nightly", "v1", "registered", "no", "workflow", "diabetes_xgboost_model,") ||
		!strings.Contains(lines[3], "on incoming/diabetes/*.csv") {
		t.Errorf("register:\n%s", r.out)
	}
	if !strings.Contains(r.err, "aloft launchplans activate NAME --version v1") {
		t.Errorf("register does not say how to activate:\n%s", r.err)
	}
	st, err := dirstore.Open(s.store)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := registry.GetWorkflow(ctx, st, "default", "development", "hello", "v1"); err != nil {
		t.Errorf("hello v1 not in the registry: %v", err)
	}

	// The same content again: unchanged, exit 0.
	r = s.run(t, "register", diabetesSpec, "--version", "v1").check(t, exitOK)
	if !hasRow(r.out, "workflow", "diabetes_xgboost_model", "v1", "unchanged") || !hasRow(r.out, "launch", "plan", "diabetes_nightly", "v1", "unchanged", "no") {
		t.Errorf("register again:\n%s", r.out)
	}

	// Other content under a used version: refused with the registry's message.
	changed := strings.Replace(readFile(t, helloSpec), "hello, %s", "hi, %s", 1)
	r = s.run(t, "register", s.write(t, "hello2.yaml", changed), "--version", "v1").check(t, exitFailed)
	if !strings.Contains(r.err, "workflow hello version v1 is already registered with different content") || !strings.Contains(r.err, "--version") {
		t.Errorf("conflicting register: stderr %q", r.err)
	}
	s.run(t, "register", s.write(t, "hello2.yaml", changed), "--version", "v2").check(t, exitOK)

	// --activate makes the launch plan active; list shows it.
	s.run(t, "launchplans", "list").check(t, exitOK)
	r = s.run(t, "register", diabetesSpec, "--version", "v2", "--activate").check(t, exitOK)
	if !hasRow(r.out, "launch", "plan", "diabetes_nightly", "v2", "registered", "yes") {
		t.Errorf("register --activate:\n%s", r.out)
	}
	r = s.run(t, "register", diabetesSpec, "--version", "v1").check(t, exitOK)
	if !hasRow(r.out, "launch", "plan", "diabetes_nightly", "v1", "unchanged", "no", "(v2", "is)") {
		t.Errorf("register of an inactive version:\n%s", r.out)
	}
	r = s.run(t, "launchplans", "list").check(t, exitOK)
	lines = strings.Split(strings.TrimSpace(r.out), "\n")
	if len(lines) != 2 || !rowIs(lines[0], "NAME", "VERSION", "WORKFLOW", "SCHEDULE", "TRIGGERS") ||
		!rowIs(lines[1], "diabetes_nightly", "v2", "diabetes_xgboost_model", "cron(0", "3", "*", "*", "?", "*)", "incoming/diabetes/*.csv", "->", "dataset") {
		t.Errorf("launchplans list:\n%s", r.out)
	}
	r = s.run(t, "launchplans", "list", "--project", "other").check(t, exitOK)
	if r.out != "" || !strings.Contains(r.err, "no active launch plans in other/development") {
		t.Errorf("list of another project: %q %q", r.out, r.err)
	}
}

func TestRegisterUsageAndSpecErrors(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	bad := s.write(t, "bad.yaml", badSpec)
	r := s.run(t, "register", bad, "--version", "v1").check(t, exitUsage)
	if !strings.Contains(r.err, bad+":") || !strings.Contains(r.err, "error:") {
		t.Errorf("spec error: stderr %q", r.err)
	}
	if _, err := os.Stat(filepath.Join(s.store, "registry")); err == nil {
		t.Errorf("a spec error registered something")
	}
	r = s.run(t, "register", helloSpec).check(t, exitUsage)
	if !strings.Contains(r.err, "--version") {
		t.Errorf("no --version: %q", r.err)
	}
	r = s.run(t, "register", helloSpec, "--version", "a/b").check(t, exitUsage)
	if !strings.Contains(r.err, `--version "a/b"`) {
		t.Errorf("bad version: %q", r.err)
	}
	s.run(t, "register", "--version", "v1").check(t, exitUsage)
}

func TestLaunchPlansActivateDeactivate(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.env.Now = tickingClock()
	s.run(t, "register", diabetesSpec, "--version", "v1").check(t, exitOK)
	s.run(t, "register", diabetesSpec, "--version", "v2").check(t, exitOK)

	r := s.run(t, "launchplans", "activate", "diabetes_nightly").check(t, exitOK)
	if r.out != "launch plan diabetes_nightly version v2 is active\n" {
		t.Errorf("activate (the latest version): %q", r.out)
	}
	r = s.run(t, "launchplans", "activate", "diabetes_nightly", "--version", "v1").check(t, exitOK)
	if r.out != "launch plan diabetes_nightly version v1 is active (was v2)\n" {
		t.Errorf("activate v1: %q", r.out)
	}
	r = s.run(t, "launchplans", "activate", "diabetes_nightly", "--version", "v1").check(t, exitOK)
	if !strings.Contains(r.out, "already active") {
		t.Errorf("activate again: %q", r.out)
	}
	r = s.run(t, "launchplans", "activate", "diabetes_nightly", "--version", "v9").check(t, exitFailed)
	if !strings.Contains(r.err, "not registered") {
		t.Errorf("activate an unknown version: %q", r.err)
	}
	s.run(t, "launchplans", "activate", "nosuch").check(t, exitFailed)

	r = s.run(t, "launchplans", "deactivate", "diabetes_nightly", "--version", "v2").check(t, exitFailed)
	if !strings.Contains(r.err, "version v1 is active, not v2") {
		t.Errorf("deactivate of the wrong version: %q", r.err)
	}
	r = s.run(t, "launchplans", "deactivate", "diabetes_nightly").check(t, exitOK)
	if r.out != "launch plan diabetes_nightly is no longer active (was version v1)\n" {
		t.Errorf("deactivate: %q", r.out)
	}
	r = s.run(t, "launchplans", "deactivate", "diabetes_nightly").check(t, exitOK)
	if r.out != "launch plan diabetes_nightly is not active\n" {
		t.Errorf("deactivate again: %q", r.out)
	}
	s.run(t, "launchplans", "deactivate", "nosuch").check(t, exitFailed)
	r = s.run(t, "launchplans", "list", "--json").check(t, exitOK)
	var rows []planView
	if err := json.Unmarshal([]byte(r.out), &rows); err != nil || len(rows) != 0 {
		t.Errorf("list --json after deactivate: %v %q", err, r.out)
	}
	s.run(t, "launchplans").check(t, exitUsage)
	s.run(t, "launchplans", "activate").check(t, exitUsage)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHelpListsBucketCommands(t *testing.T) {
	env := Env{Dir: t.TempDir()}
	r := aloft(t, env, "help").check(t, exitOK)
	for _, c := range []string{"register", "launchplans", "launch", "executions", "logs", "config"} {
		if !strings.Contains(r.out, "\n  "+c+" ") {
			t.Errorf("help does not list %s:\n%s", c, r.out)
		}
	}
	for cmd, flag := range map[string]string{"register": "--activate", "launch": "--wait", "logs": "--attempt"} {
		r = aloft(t, env, "help", cmd).check(t, exitOK)
		if !strings.Contains(r.out, flag) || !strings.Contains(r.out, "s3://bucket[/prefix]") {
			t.Errorf("help %s lacks %s or the s3:// store:\n%s", cmd, flag, r.out)
		}
	}
	r = aloft(t, env, "executions", "help").check(t, exitOK)
	if !strings.Contains(r.err, "terminate") {
		t.Errorf("executions help lacks terminate:\n%s", r.err)
	}
}
