package batchrunner_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// The test binary doubles as a task (and as a runner parent) when
// ALOFT_TEST_HELPER is set, so tests need no tools beyond sh.
const helperEnv = "ALOFT_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "alloc": // alloc MIB: hold MIB of touched memory for a while
		mib, _ := strconv.Atoi(os.Args[1])
		b := make([]byte, mib<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		time.Sleep(1500 * time.Millisecond)
		fmt.Println("held", mib, "MiB", b[len(b)-4096])
		os.Exit(0)
	case "sleep": // sleep PIDFILE: write own pid, sleep
		_ = os.WriteFile(os.Args[1], []byte(strconv.Itoa(os.Getpid())), 0o666)
		time.Sleep(30 * time.Second)
		os.Exit(0)
	case "runner": // run the attempt ALOFT_TEST_PREFIX in the store ALOFT_TEST_STORE
		st, err := dirstore.Open(os.Getenv("ALOFT_TEST_STORE"))
		if err == nil {
			err = batchrunner.Run(context.Background(), st, os.Getenv("ALOFT_TEST_PREFIX"), batchrunner.RunOptions{JobID: "parent"})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// self is the test binary, for helper tasks.
func self(t testing.TB) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newStore(t testing.TB) *dirstore.Store {
	t.Helper()
	st, err := dirstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// param makes a typed parameter from spec syntax.
func param(name, typ string) orchestrator.Param {
	ty, err := orchestrator.ParseType(typ)
	if err != nil {
		panic(err)
	}
	return orchestrator.Param{Name: name, Type: ty}
}

var attemptSeq atomic.Int64

// attempt writes an attempt of task with inputs and returns its prefix.
func attempt(t testing.TB, st store.Store, task orchestrator.TaskTemplate, inputs map[string]orchestrator.Literal) string {
	t.Helper()
	seq := attemptSeq.Add(1)
	if task.Name == "" {
		task.Name = "t"
	}
	a := &batchrunner.Attempt{
		Project: "default", Domain: "development", Exec: "x" + strconv.FormatInt(seq, 10), Node: "n", Item: -1, Attempt: 1,
		Task: task, Inputs: inputs,
	}
	prefix, err := batchrunner.WriteAttempt(context.Background(), st, a)
	if err != nil {
		t.Fatal(err)
	}
	return prefix
}

// result is an attempt's outcome.
type result struct {
	o *batchrunner.Outputs
	f *batchrunner.Failure
}

// run runs the attempt (job id "job-1" unless opt says) and reads its result.
func run(t testing.TB, st store.Store, prefix string, opt batchrunner.RunOptions) result {
	t.Helper()
	if opt.JobID == "" {
		opt.JobID = "job-1"
	}
	if err := batchrunner.Run(context.Background(), st, prefix, opt); err != nil {
		t.Fatalf("Run: %v", err)
	}
	o, f, err := batchrunner.ReadResult(context.Background(), st, prefix)
	if err != nil {
		t.Fatalf("ReadResult: %v", err)
	}
	return result{o, f}
}

// ok wants success.
func (r result) ok(t testing.TB) *batchrunner.Outputs {
	t.Helper()
	if r.f != nil {
		t.Fatalf("attempt failed: %s\nlog tail:\n%s", r.f.Error(), r.f.LogTail)
	}
	return r.o
}

// failed wants a failure.
func (r result) failed(t testing.TB) *batchrunner.Failure {
	t.Helper()
	if r.f == nil {
		t.Fatalf("attempt succeeded with %v, want a failure", r.o.Outputs)
	}
	return r.f
}

// wantKind checks a failure's kind.
func wantKind(t testing.TB, f *batchrunner.Failure, kind orchestrator.ErrorKind) *batchrunner.Failure {
	t.Helper()
	if f == nil || f.Kind != kind {
		t.Fatalf("failure %+v, want kind %s", f, kind)
	}
	return f
}

func newStoreAt(dir string) (*dirstore.Store, error) { return dirstore.Open(dir) }
