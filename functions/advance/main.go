// Command advance is the Lambda function that steps executions: it consumes
// SQS batches of S3 and AWS Batch events (and its own delayed wake-ups) and
// the rate(1 minute) sweep. See functions/README.md.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aloft-run/aloft/batchrunner/awsbatch"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/functions"
)

func main() { functions.Main("advance", wire) }

// wire builds advance over the S3 store, the AWS Batch dispatcher and the
// SQS queue that carries its delayed wake-ups.
func wire(ctx context.Context, env functions.Env) (func(context.Context, json.RawMessage) (any, error), error) {
	cfg, base, err := functions.OpenAWS(ctx, "advance", env)
	if err != nil {
		return nil, err
	}
	d, err := awsbatch.New(awsbatch.Config{
		Client: batch.NewFromConfig(cfg), Bucket: base.Store, Store: env.Store,
		Queues:     awsbatch.Queues{CPU: env.QueueCPU, Spot: env.QueueSpot, GPU: env.QueueGPU},
		JobRoleARN: env.JobRoleARN, ExecutionRoleARN: env.ExecRoleARN, Platform: env.Platform,
	})
	if err != nil {
		return nil, fmt.Errorf("advance: %w", err)
	}
	waker := &functions.SQSWaker{Client: sqs.NewFromConfig(cfg), QueueURL: env.QueueURL}
	eng, err := engine.New(engine.Config{Store: base.Store, Now: base.Now, Dispatcher: d, Wake: waker.Wake,
		Warn: func(msg string) { base.Log.Warn(msg) }, Finished: functions.LogFinished(base.Log)})
	if err != nil {
		return nil, fmt.Errorf("advance: %w", err)
	}
	a := &functions.Advance{Base: base, Engine: eng,
		JobEvents: functions.BatchJobEvents(base.Store), Describe: functions.BatchDescriber(d, base.Store)}
	return a.Handle, nil
}
