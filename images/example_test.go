package images_test

import (
	"fmt"
	"strings"

	"github.com/aloft-run/aloft/images"
	"github.com/aloft-run/aloft/orchestrator"
)

// Plan groups a workflow's tasks by the image they need: the GPU task's
// image must offer linux/amd64 whatever the default, and tasks that build
// the same code on the same base share one build.
func ExamplePlan() {
	spec := `
apiVersion: aloft/v1
kind: Workflow
name: train
defaults:
  build: {base: "python:3.11-slim", code: ./tasks}
tasks:
  prepare: {command: [python3, tasks/prepare.py]}
  evaluate: {command: [python3, tasks/evaluate.py]}
  fit: {command: [python3, tasks/fit.py], image: "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime", resources: {gpu: 1}}
nodes:
  prepare: {task: prepare}
  fit: {task: fit, after: [prepare]}
  evaluate: {task: evaluate, after: [fit]}
`
	s, err := orchestrator.Parse("/home/me/ml/workflow.yaml", []byte(spec))
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := orchestrator.Compile(s, "train")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range images.Plan(c, images.LinuxARM64) {
		fmt.Printf("%-70s %s\n", w, strings.Join(w.Tasks, ", "))
	}
	// Output:
	// pin pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime for linux/amd64      fit
	// build /home/me/ml/tasks on python:3.11-slim for linux/arm64            evaluate, prepare
}
