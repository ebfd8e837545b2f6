package batchrunner_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// scratchDirs lists the scratch directories under dir.
func scratchDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "aloft-") {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestScratchPoolReusesCleanDirectories(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	work := t.TempDir()
	pool := batchrunner.NewScratchPool()
	opt := batchrunner.RunOptions{WorkDir: work, Scratch: pool}
	// The task reports its scratch directory.
	task := orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `dirname "$ALOFT_INPUT_DIR" > "$1"`, "sh", "{{outputs.dir}}"},
		Outputs: []orchestrator.Param{param("dir", "string")},
	}
	first := run(t, st, attempt(t, st, task, nil), opt).ok(t).Outputs["dir"].Str
	if n := scratchDirs(t, work); len(n) != 1 {
		t.Fatalf("after one clean attempt: scratch directories %v, want the one kept for reuse", n)
	}
	second := run(t, st, attempt(t, st, task, nil), opt).ok(t).Outputs["dir"].Str
	if first == second {
		t.Errorf("a reused directory keeps its name %s; want the new attempt's", first)
	}
	if n := scratchDirs(t, work); len(n) != 1 || filepath.Join(work, n[0]) != second {
		t.Errorf("after a second attempt: %v, want just %s (the first, renamed)", n, second)
	}
	// What a task leaves behind is removed; the directory is reused.
	messy := orchestrator.TaskTemplate{Command: []string{"sh", "-c", `touch "$ALOFT_INPUT_DIR/left" left; mkdir -p "$ALOFT_OUTPUT_DIR/a/b"`}}
	run(t, st, attempt(t, st, messy, nil), opt).ok(t)
	n := scratchDirs(t, work)
	if len(n) != 1 {
		t.Fatalf("after a messy task: %v, want one directory", n)
	}
	for _, sub := range []string{"", "inputs", "outputs"} {
		if e, err := os.ReadDir(filepath.Join(work, n[0], sub)); err != nil || len(e) != map[string]int{"": 2}[sub] {
			t.Errorf("kept directory %s/%s holds %v (%v)", n[0], sub, e, err)
		}
	}
	// One whose subdirectory changed mode is not reused.
	chmod := orchestrator.TaskTemplate{Command: []string{"sh", "-c", `chmod 0500 "$ALOFT_OUTPUT_DIR"`}}
	run(t, st, attempt(t, st, chmod, nil), opt).ok(t)
	if n := scratchDirs(t, work); len(n) != 0 {
		t.Errorf("after a task changed outputs/'s mode: %v, want the directory removed", n)
	}
	run(t, st, attempt(t, st, task, nil), opt).ok(t)
	pool.Drain()
	if n := scratchDirs(t, work); len(n) != 0 {
		t.Errorf("after Drain: %v, want none", n)
	}
}

func TestRunWithoutOutputWritesNoLog(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	prefix := attempt(t, st, orchestrator.TaskTemplate{Command: []string{"true"}}, nil)
	run(t, st, prefix, batchrunner.RunOptions{}).ok(t)
	if _, err := st.Head(context.Background(), prefix+batchrunner.LogFile); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("log.txt of a silent task: %v, want none (readers take a missing log for no output)", err)
	}
}

func TestRunLongLogSpillsToFile(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	work := t.TempDir()
	// 2 MiB of output: more than the sink keeps in memory.
	prefix := attempt(t, st, orchestrator.TaskTemplate{
		Command: []string{"sh", "-c", `head -c 2097152 /dev/zero | tr '\0' 'x' | fold -w 1023`},
	}, nil)
	run(t, st, prefix, batchrunner.RunOptions{WorkDir: work}).ok(t)
	logTxt, _, err := store.ReadAll(context.Background(), st, prefix+batchrunner.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(logTxt, []byte("x")); n != 2<<20 {
		t.Errorf("log.txt holds %d x's, want %d", n, 2<<20)
	}
	if n := scratchDirs(t, work); len(n) != 0 {
		t.Errorf("scratch left behind: %v", n)
	}
}
