package awsbatch_test

import (
	"fmt"

	"github.com/aloft-run/aloft/batchrunner/awsbatch"
	"github.com/aloft-run/aloft/orchestrator"
)

// Size shows what a task's requests become on AWS Batch.
func ExampleSize() {
	req := orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 200 << 20}
	for _, platform := range []string{awsbatch.Fargate, awsbatch.EC2} {
		s, note, err := awsbatch.Size(req, platform)
		if err != nil {
			fmt.Println(err)
			continue
		}
		if note == "" {
			note = "as requested"
		}
		fmt.Printf("%v: %s\n", s, note)
	}
	_, _, err := awsbatch.Size(orchestrator.Resources{CPUMilli: 4000, GPU: 1}, awsbatch.Fargate)
	fmt.Println(err)
	// Output:
	// 1 vCPU, 2048 MiB (FARGATE): memory 200Mi -> 2048 MiB (on Fargate 1 vCPU takes 2048 to 8192 MiB)
	// 1 vCPU, 200 MiB (EC2): as requested
	// no GPUs on Fargate: a GPU task runs on EC2 through the GPU queue
}
