package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
)

// compute is AWS Batch: one compute environment and one job queue per kind
// of task. Every environment scales to zero.
type compute struct {
	cpu, spot, gpu, gpuSpot awsbatch.JobQueue
	accelerators            []string // of the GPU queues
}

func (c compute) queues() []awsbatch.JobQueue {
	return []awsbatch.JobQueue{c.cpu, c.spot, c.gpu, c.gpuSpot}
}

// RunnableReasons are the reasons Batch gives a job it cancelled because
// it waited RUNNABLE too long at the head of its queue; the stuck-jobs
// alarm matches them.
var RunnableReasons = []awsbatch.JobStateTimeLimitActionsReason{
	awsbatch.JobStateTimeLimitActionsReason_INSUFFICIENT_INSTANCE_CAPACITY,
	awsbatch.JobStateTimeLimitActionsReason_COMPUTE_ENVIRONMENT_MAX_RESOURCE,
	awsbatch.JobStateTimeLimitActionsReason_JOB_RESOURCE_REQUIREMENT,
}

func newCompute(st awscdk.Stack, p Props, n network) compute {
	fargate := func(id string, maxv int, spot bool) awsbatch.IManagedComputeEnvironment {
		return awsbatch.NewFargateComputeEnvironment(st, jsii.String(id), &awsbatch.FargateComputeEnvironmentProps{
			Vpc:            n.vpc,
			VpcSubnets:     n.subnets,
			SecurityGroups: n.securityGroups,
			MaxvCpus:       jsii.Number(float64(maxv)),
			Spot:           jsii.Bool(spot),
		})
	}
	types := make([]awsec2.InstanceType, len(p.GPUInstanceTypes))
	for i, t := range p.GPUInstanceTypes {
		types[i] = awsec2.NewInstanceType(jsii.String(t))
	}
	// Containers on GPU hosts must not reach the instance metadata service
	// (and so the ECS instance role): IMDSv2 only, one network hop.
	lt := awsec2.NewLaunchTemplate(st, jsii.String("GpuLaunchTemplate"), &awsec2.LaunchTemplateProps{
		RequireImdsv2:           jsii.Bool(true),
		HttpTokens:              awsec2.LaunchTemplateHttpTokens_REQUIRED,
		HttpPutResponseHopLimit: jsii.Number(1),
	})
	gpu := func(id string, maxv int, spot bool) awsbatch.IManagedComputeEnvironment {
		strategy := awsbatch.AllocationStrategy_BEST_FIT_PROGRESSIVE
		if spot {
			strategy = awsbatch.AllocationStrategy_SPOT_PRICE_CAPACITY_OPTIMIZED
		}
		return awsbatch.NewManagedEc2EcsComputeEnvironment(st, jsii.String(id), &awsbatch.ManagedEc2EcsComputeEnvironmentProps{
			Vpc:                       n.vpc,
			VpcSubnets:                n.subnets,
			SecurityGroups:            n.securityGroups,
			InstanceTypes:             &types,
			UseOptimalInstanceClasses: jsii.Bool(false),
			MinvCpus:                  jsii.Number(0),
			MaxvCpus:                  jsii.Number(float64(maxv)),
			Spot:                      jsii.Bool(spot),
			AllocationStrategy:        strategy,
			LaunchTemplate:            lt,
			Images: &[]*awsbatch.EcsMachineImage{{
				// The ECS GPU-optimized AMI (NVIDIA driver, container toolkit).
				ImageType: awsbatch.EcsMachineImageType_ECS_AL2023_NVIDIA,
			}},
		})
	}
	// A job that waits RUNNABLE at the head of its queue for
	// RunnableTimeoutMinutes is cancelled with the reason Batch found
	// (often a vCPU or GPU quota of 0 in a new account); aloft shows it.
	wait := awscdk.Duration_Minutes(jsii.Number(float64(p.RunnableTimeoutMinutes)))
	limits := make([]*awsbatch.JobStateTimeLimitAction, len(RunnableReasons))
	for i, r := range RunnableReasons {
		limits[i] = &awsbatch.JobStateTimeLimitAction{
			MaxTime: wait, Reason: r, Action: awsbatch.JobStateTimeLimitActionsAction_CANCEL,
			State: awsbatch.JobStateTimeLimitActionsState_RUNNABLE,
		}
	}
	queue := func(id, name string, env awsbatch.IManagedComputeEnvironment) awsbatch.JobQueue {
		return awsbatch.NewJobQueue(st, jsii.String(id), &awsbatch.JobQueueProps{
			JobQueueName:             jsii.String(p.name(name)),
			Priority:                 jsii.Number(1),
			JobStateTimeLimitActions: &limits,
			ComputeEnvironments: &[]*awsbatch.OrderedComputeEnvironment{{
				ComputeEnvironment: env,
				Order:              jsii.Number(1),
			}},
		})
	}
	return compute{
		cpu:          queue("CpuJobQueue", "cpu", fargate("CpuComputeEnvironment", p.CPUMaxVCPUs, false)),
		spot:         queue("SpotJobQueue", "spot", fargate("SpotComputeEnvironment", p.SpotMaxVCPUs, true)),
		gpu:          queue("GpuJobQueue", "gpu", gpu("GpuComputeEnvironment", p.GPUMaxVCPUs, false)),
		gpuSpot:      queue("GpuSpotJobQueue", "gpu-spot", gpu("GpuSpotComputeEnvironment", p.GPUSpotMaxVCPUs, true)),
		accelerators: accelerators(p.GPUInstanceTypes),
	}
}

// newTaskLogGroup is where task containers log, with a retention (Batch's
// default group /aws/batch/job never expires). Its name is generated, so
// a retained group never blocks a redeploy.
func newTaskLogGroup(st awscdk.Stack, p Props) awslogs.LogGroup {
	return awslogs.NewLogGroup(st, jsii.String("TaskLogs"), &awslogs.LogGroupProps{
		Retention:     retention[p.TaskLogRetentionDays],
		RemovalPolicy: p.removal(),
	})
}
