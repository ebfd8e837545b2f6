package orchestrator_test

import (
	"fmt"
	"time"

	"github.com/aloft-run/aloft/orchestrator"
)

// Step on a two-node DAG: the shell feeds facts and carries out commands.
func ExampleStep() {
	spec, err := orchestrator.Parse("wf.yaml", []byte(`
apiVersion: aloft/v1
kind: Workflow
name: two
outputs: {total: "{{b.y}}"}
tasks:
  inc:
    inputs: {x: int}
    outputs: {y: int}
    command: [inc, "{{inputs.x}}", "{{outputs.y}}"]
nodes:
  a: {task: inc, inputs: {x: 1}}
  b: {task: inc, inputs: {x: "{{a.y}}"}}
`))
	if err != nil {
		panic(err)
	}
	wf, err := orchestrator.Compile(spec, "two")
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	s := orchestrator.NewState(wf, "", orchestrator.Options{Exec: "e1"}, now)
	show := func(cmds []orchestrator.Command) {
		for _, c := range cmds {
			switch c := c.(type) {
			case orchestrator.Dispatch:
				fmt.Printf("dispatch %s attempt %d x=%s\n", c.NodeName, c.Attempt, c.Inputs["x"].Text())
			case orchestrator.Finish:
				fmt.Printf("finish %s total=%s\n", c.Phase, c.Outputs["total"].Text())
			}
		}
	}
	var cmds []orchestrator.Command
	s, cmds = orchestrator.Step(s, orchestrator.ExecutionRequested{}, now)
	show(cmds)
	a, _ := wf.NodeIndex("a")
	s, cmds = orchestrator.Step(s, orchestrator.AttemptSucceeded{Node: a, Item: -1, Attempt: 1,
		Outputs: map[string]orchestrator.Literal{"y": orchestrator.Int(2)}}, now)
	show(cmds)
	b, _ := wf.NodeIndex("b")
	_, cmds = orchestrator.Step(s, orchestrator.AttemptSucceeded{Node: b, Item: -1, Attempt: 1,
		Outputs: map[string]orchestrator.Literal{"y": orchestrator.Int(3)}}, now)
	show(cmds)
	// Output:
	// dispatch a attempt 1 x=1
	// dispatch b attempt 1 x=2
	// finish succeeded total=3
}
