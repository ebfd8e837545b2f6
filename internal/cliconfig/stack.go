package cliconfig

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
)

// The output keys of the stack in cdk/ that FromStack reads. The cdk tests
// parse these constants and check that the synthesized stack has each one.
const (
	OutputStoreURI          = "StoreURI"
	OutputRegion            = "Region"
	OutputQueueURL          = "AdvanceQueueURL"
	OutputJobQueueCPU       = "JobQueueCPU"
	OutputJobQueueSpot      = "JobQueueSpot"
	OutputJobQueueGPU       = "JobQueueGPU"
	OutputRegistry          = "TaskRepositoryURI"
	OutputAdvanceFunction   = "AdvanceFunctionName"
	OutputTriggerFunction   = "TriggerFunctionName"
	OutputRegistrarFunction = "RegistrarFunctionName"
)

// CloudFormationAPI is the part of the CloudFormation client FromStack uses.
type CloudFormationAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

var _ CloudFormationAPI = (*cloudformation.Client)(nil)

// ErrStackNotFound is wrapped by FromStack when the stack does not exist in
// the client's account and region.
var ErrStackNotFound = errors.New("stack not found")

// ErrMissingOutput is wrapped by FromStack when the stack lacks an output
// it needs (a stack from another version of cdk/, or still being created).
var ErrMissingOutput = errors.New("stack output missing")

// FromStack builds the configuration from the outputs of the deployed
// stack named stack.
func FromStack(ctx context.Context, client CloudFormationAPI, stack string) (Config, error) {
	out, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		if isStackMissing(err) {
			return Config{}, fmt.Errorf("describe stack %s: %w (deploy it with `make deploy`, or check the region)", stack, ErrStackNotFound)
		}
		return Config{}, fmt.Errorf("describe stack %s: %w", stack, err)
	}
	if len(out.Stacks) == 0 {
		return Config{}, fmt.Errorf("describe stack %s: %w", stack, ErrStackNotFound)
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	var missing []string
	get := func(key string) string {
		v, ok := outputs[key]
		if !ok || v == "" {
			missing = append(missing, key)
		}
		return v
	}
	c := Config{
		Store:  get(OutputStoreURI),
		Region: get(OutputRegion),
		Stack:  aws.ToString(out.Stacks[0].StackName),
		JobQueues: JobQueues{
			CPU:  get(OutputJobQueueCPU),
			Spot: get(OutputJobQueueSpot),
			GPU:  get(OutputJobQueueGPU),
		},
		Registry: get(OutputRegistry),
		QueueURL: get(OutputQueueURL),
		Functions: Functions{
			Advance:   get(OutputAdvanceFunction),
			Trigger:   get(OutputTriggerFunction),
			Registrar: get(OutputRegistrarFunction),
		},
	}
	if c.Stack == "" {
		c.Stack = stack
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return Config{}, fmt.Errorf("stack %s (status %s): %w: %s", stack, out.Stacks[0].StackStatus, ErrMissingOutput, strings.Join(missing, ", "))
	}
	return c, nil
}

// isStackMissing recognizes CloudFormation's answer for an unknown stack: a
// ValidationError "Stack with id NAME does not exist".
func isStackMissing(err error) bool {
	var apiErr interface {
		ErrorCode() string
		ErrorMessage() string
	}
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationError" &&
		strings.Contains(apiErr.ErrorMessage(), "does not exist")
}
