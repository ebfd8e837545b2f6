package cliconfig

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// fakeCFN answers DescribeStacks from a map of stacks by name.
type fakeCFN struct {
	stacks map[string][]types.Output
	err    error
	asked  []string
}

func (f *fakeCFN) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	name := aws.ToString(in.StackName)
	f.asked = append(f.asked, name)
	if f.err != nil {
		return nil, f.err
	}
	outs, ok := f.stacks[name]
	if !ok {
		// What CloudFormation answers for an unknown stack.
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + name + " does not exist"}
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{{
		StackName:   aws.String(name),
		StackStatus: types.StackStatusCreateComplete,
		Outputs:     outs,
	}}}, nil
}

func outputsOf(c Config) []types.Output {
	kv := map[string]string{
		OutputStoreURI:          c.Store,
		OutputRegion:            c.Region,
		OutputQueueURL:          c.QueueURL,
		OutputJobQueueCPU:       c.JobQueues.CPU,
		OutputJobQueueSpot:      c.JobQueues.Spot,
		OutputJobQueueGPU:       c.JobQueues.GPU,
		OutputRegistry:          c.Registry,
		OutputAdvanceFunction:   c.Functions.Advance,
		OutputTriggerFunction:   c.Functions.Trigger,
		OutputRegistrarFunction: c.Functions.Registrar,
		"BucketName":            "ignored-extra-output",
	}
	var outs []types.Output
	for k, v := range kv {
		outs = append(outs, types.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	return outs
}

func TestFromStack(t *testing.T) {
	want := sample()
	cfn := &fakeCFN{stacks: map[string][]types.Output{"aloft": outputsOf(want)}}
	got, err := FromStack(context.Background(), cfn, "aloft")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromStack = %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(cfn.asked, []string{"aloft"}) {
		t.Errorf("asked for %v", cfn.asked)
	}
}

func TestFromStackMissingStack(t *testing.T) {
	cfn := &fakeCFN{stacks: map[string][]types.Output{}}
	_, err := FromStack(context.Background(), cfn, "nope")
	if !errors.Is(err, ErrStackNotFound) {
		t.Fatalf("err = %v, want ErrStackNotFound", err)
	}
	if !strings.Contains(err.Error(), "nope") {
		t.Errorf("error %q does not name the stack", err)
	}
}

func TestFromStackMissingOutputs(t *testing.T) {
	outs := outputsOf(sample())
	var kept []types.Output
	for _, o := range outs {
		switch aws.ToString(o.OutputKey) {
		case OutputJobQueueGPU, OutputQueueURL:
		default:
			kept = append(kept, o)
		}
	}
	cfn := &fakeCFN{stacks: map[string][]types.Output{"aloft": kept}}
	_, err := FromStack(context.Background(), cfn, "aloft")
	if !errors.Is(err, ErrMissingOutput) {
		t.Fatalf("err = %v, want ErrMissingOutput", err)
	}
	for _, key := range []string{OutputJobQueueGPU, OutputQueueURL} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
}

func TestFromStackOtherError(t *testing.T) {
	boom := errors.New("expired token")
	_, err := FromStack(context.Background(), &fakeCFN{err: boom}, "aloft")
	if !errors.Is(err, boom) || errors.Is(err, ErrStackNotFound) {
		t.Errorf("err = %v, want the client's error and not ErrStackNotFound", err)
	}
}
