package local_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/orchestrator"
)

// TestDiabetesPipelineUnder200Mi runs the seed pipeline's four tasks through
// the executor, chained by hand, each under cpu 1 and memory 200Mi (Decision
// 10: the real fit task passes at 200Mi), and checks the accuracy the
// example's README gives for the generated dataset.
func TestDiabetesPipelineUnder200Mi(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Python with xgboost")
	}
	dir, err := filepath.Abs("../../examples/diabetes")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "tasks", "fit.py")); err != nil {
		t.Skip("no examples/diabetes here")
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import pandas, sklearn, xgboost, joblib").Run(); err != nil {
		t.Skip("/usr/bin/python3 lacks pandas, sklearn, xgboost or joblib (examples/diabetes/check_deps.sh installs them)")
	}
	st := newStore(t)
	ctx := context.Background()
	csv := filepath.Join(t.TempDir(), "diabetes.csv")
	if out, err := exec.Command("/usr/bin/python3", filepath.Join(dir, "gen_dataset.py"), csv).CombinedOutput(); err != nil {
		t.Fatalf("gen_dataset: %v\n%s", err, out)
	}
	e, err := local.New(st, local.Options{Env: append(os.Environ(), "PATH=/usr/bin:"+os.Getenv("PATH")), GPUs: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	ty := func(s string) orchestrator.Type { t, _ := orchestrator.ParseType(s); return t }
	params := func(kv ...string) []orchestrator.Param {
		var ps []orchestrator.Param
		for i := 0; i < len(kv); i += 2 {
			ps = append(ps, orchestrator.Param{Name: kv[i], Type: ty(kv[i+1])})
		}
		return ps
	}
	task := func(name string, in, out []orchestrator.Param, args ...string) *orchestrator.TaskTemplate {
		return &orchestrator.TaskTemplate{
			Name: name, Command: append([]string{"python3", "tasks/" + name + ".py"}, args...), Inputs: in, Outputs: out,
			Resources: orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 200 << 20}, Dir: dir,
		}
	}
	step := func(node string, tt *orchestrator.TaskTemplate, inputs map[string]orchestrator.Literal) map[string]orchestrator.Literal {
		t.Helper()
		a := &batchrunner.Attempt{Exec: "diabetes", Node: node, Item: -1, Attempt: 1, Task: *tt, Inputs: inputs}
		prefix, err := batchrunner.WriteAttempt(ctx, st, a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Submit(ctx, batchrunner.Job{Prefix: prefix, Exec: "diabetes", Node: node, Item: -1, Attempt: 1, Task: tt}); err != nil {
			t.Fatal(err)
		}
		e.Wait()
		o, f := result(t, st, prefix)
		if f != nil {
			t.Fatalf("%s: %s\n%s", node, f.Error(), f.LogTail)
		}
		t.Logf("%s: peak memory %d MiB of 200", node, o.PeakRSS>>20)
		return o.Outputs
	}

	split := step("split", task("split", params("dataset", "file", "seed", "int", "test_split_ratio", "float"),
		params("x_train", "file", "x_test", "file", "y_train", "file", "y_test", "file"),
		"{{inputs.dataset}}", "{{inputs.seed}}", "{{inputs.test_split_ratio}}",
		"{{outputs.x_train}}", "{{outputs.x_test}}", "{{outputs.y_train}}", "{{outputs.y_test}}"),
		map[string]orchestrator.Literal{
			"dataset": orchestrator.File(orchestrator.Blob{URI: csv}), "seed": orchestrator.Int(7), "test_split_ratio": orchestrator.Float(0.33),
		})
	hp, _ := orchestrator.JSONValue([]byte(`{"max_depth": 4}`))
	fit := step("fit", task("fit", params("x", "file", "y", "file", "hyperparams", "json"), params("model", "file"),
		"{{inputs.x}}", "{{inputs.y}}", "{{inputs.hyperparams}}", "{{outputs.model}}"),
		map[string]orchestrator.Literal{"x": split["x_train"], "y": split["y_train"], "hyperparams": hp})
	predict := step("predict", task("predict", params("x", "file", "model", "file"), params("predictions", "file"),
		"{{inputs.x}}", "{{inputs.model}}", "{{outputs.predictions}}"),
		map[string]orchestrator.Literal{"x": split["x_test"], "model": fit["model"]})
	score := step("score", task("score", params("predictions", "file", "y", "file"), params("accuracy", "float"),
		"{{inputs.predictions}}", "{{inputs.y}}", "{{outputs.accuracy}}"),
		map[string]orchestrator.Literal{"predictions": predict["predictions"], "y": split["y_test"]})

	want := orchestrator.Float(0.7795275590551181) // examples/diabetes/README.md, gen_dataset.py N=768 SEED=7
	if !score["accuracy"].Equal(want) {
		t.Errorf("accuracy %s, want %s", score["accuracy"].Text(), want.Text())
	}
}
