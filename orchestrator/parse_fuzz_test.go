package orchestrator

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds random specs to Parse: it must never panic, every
// diagnostic must carry a file and a line (and a column, except for YAML
// syntax errors, whose library gives none), and a spec that parses must
// compile, deterministically, and resolve its launch plans.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/spec/*.yaml", "testdata/validate/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("kind: Workflow\nfailure_policy:")) // found by the fuzzer: a null value gave a position-less error
	f.Add([]byte("a: &a [*a]\nkind: Workflow\nnodes: {n: {task: t, inputs: {x: *a}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			checkDiagnostics(t, err)
			return
		}
		for _, wf := range s.Workflows {
			a, err := Compile(s, wf.Name)
			if err != nil {
				t.Fatalf("valid spec does not compile: %v", err)
			}
			b, _ := Compile(s, wf.Name)
			ea, errA := a.Encode()
			eb, errB := b.Encode()
			if errA != nil || errB != nil || !bytes.Equal(ea, eb) {
				t.Fatalf("compile is not deterministic (%v, %v)", errA, errB)
			}
		}
		for _, lp := range s.LaunchPlans {
			if _, err := s.ResolveLaunchPlan(lp.Name); err != nil {
				t.Fatalf("valid launch plan does not resolve: %v", err)
			}
		}
	})
}

func checkDiagnostics(t *testing.T, err error) {
	t.Helper()
	var ds Diagnostics
	if !errors.As(err, &ds) || len(ds) == 0 {
		t.Fatalf("error is not Diagnostics: %v", err)
	}
	for _, d := range ds {
		if d.Pos.File != "fuzz.yaml" || d.Pos.Line < 1 {
			t.Fatalf("diagnostic without a position: %+v", d)
		}
		if d.Pos.Col < 1 && !strings.HasPrefix(d.Msg, "yaml:") {
			t.Fatalf("diagnostic without a column: %+v", d)
		}
		if d.Msg == "" {
			t.Fatalf("empty diagnostic at %v", d.Pos)
		}
	}
}
