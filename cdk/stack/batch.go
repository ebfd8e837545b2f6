package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
)

// JobDefinitionPrefix is the name prefix of the job definitions advance
// registers (content-addressed: aloft-<hash>); its Batch permissions are
// scoped to it.
const JobDefinitionPrefix = "aloft-"

// compute is AWS Batch: one compute environment and one job queue per kind
// of task. Every environment scales to zero.
type compute struct {
	cpu, spot, gpu awsbatch.JobQueue
}

func (c compute) queues() []awsbatch.JobQueue { return []awsbatch.JobQueue{c.cpu, c.spot, c.gpu} }

func newCompute(st awscdk.Stack, p Props, vpc awsec2.IVpc) compute {
	maxv := jsii.Number(float64(p.MaxVCPUs))
	cpuEnv := awsbatch.NewFargateComputeEnvironment(st, jsii.String("CpuComputeEnvironment"), &awsbatch.FargateComputeEnvironmentProps{
		Vpc:        vpc,
		VpcSubnets: subnets(p),
		MaxvCpus:   maxv,
		Spot:       jsii.Bool(false),
	})
	spotEnv := awsbatch.NewFargateComputeEnvironment(st, jsii.String("SpotComputeEnvironment"), &awsbatch.FargateComputeEnvironmentProps{
		Vpc:        vpc,
		VpcSubnets: subnets(p),
		MaxvCpus:   maxv,
		Spot:       jsii.Bool(true),
	})
	types := make([]awsec2.InstanceType, len(p.GPUInstanceTypes))
	for i, t := range p.GPUInstanceTypes {
		types[i] = awsec2.NewInstanceType(jsii.String(t))
	}
	gpuEnv := awsbatch.NewManagedEc2EcsComputeEnvironment(st, jsii.String("GpuComputeEnvironment"), &awsbatch.ManagedEc2EcsComputeEnvironmentProps{
		Vpc:                       vpc,
		VpcSubnets:                subnets(p),
		InstanceTypes:             &types,
		UseOptimalInstanceClasses: jsii.Bool(false),
		MinvCpus:                  jsii.Number(0),
		MaxvCpus:                  maxv,
		Spot:                      jsii.Bool(false),
		AllocationStrategy:        awsbatch.AllocationStrategy_BEST_FIT_PROGRESSIVE,
		Images: &[]*awsbatch.EcsMachineImage{{
			// The ECS GPU-optimized AMI (NVIDIA driver, container toolkit).
			ImageType: awsbatch.EcsMachineImageType_ECS_AL2023_NVIDIA,
		}},
	})
	queue := func(id, name string, env awsbatch.IManagedComputeEnvironment) awsbatch.JobQueue {
		return awsbatch.NewJobQueue(st, jsii.String(id), &awsbatch.JobQueueProps{
			JobQueueName: jsii.String(p.name(name)),
			Priority:     jsii.Number(1),
			ComputeEnvironments: &[]*awsbatch.OrderedComputeEnvironment{{
				ComputeEnvironment: env,
				Order:              jsii.Number(1),
			}},
		})
	}
	return compute{
		cpu:  queue("CpuJobQueue", "cpu", cpuEnv),
		spot: queue("SpotJobQueue", "spot", spotEnv),
		gpu:  queue("GpuJobQueue", "gpu", gpuEnv),
	}
}
