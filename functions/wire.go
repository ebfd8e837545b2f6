package functions

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aloft-run/aloft/batchrunner/awsbatch"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/store/s3store"
	"github.com/aloft-run/aloft/store/storeurl"
)

// NewAWS wires a function's Control from its configuration: the S3 store,
// and for advance the AWS Batch dispatcher and the SQS waker, for registrar
// the EventBridge rules. The standard AWS credential chain and
// AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) are honoured.
func NewAWS(ctx context.Context, function string, env Env) (*Control, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: AWS configuration: %w", function, err)
	}
	bucket, prefix, _ := storeurl.S3(env.Store)
	st, err := s3store.Open(ctx, bucket, prefix)
	if err != nil {
		return nil, fmt.Errorf("%s: open %s: %w", function, env.Store, err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("function", function)
	c := &Control{Store: st, Bucket: bucket, Log: log, Now: time.Now}
	ecfg := engine.Config{Store: st, Now: time.Now, Warn: func(msg string) { log.Warn(msg) }, Finished: LogFinished(log)}
	switch function {
	case "advance":
		d, err := awsbatch.New(awsbatch.Config{
			Client: batch.NewFromConfig(cfg), Bucket: st, Store: env.Store,
			Queues:     awsbatch.Queues{CPU: env.QueueCPU, Spot: env.QueueSpot, GPU: env.QueueGPU, GPUSpot: env.QueueGPUSpot},
			JobRoleARN: env.JobRoleARN, ExecutionRoleARN: env.ExecRoleARN, Platform: env.Platform,
			AssignPublicIP: env.PublicIP, LogGroup: env.TaskLogGroup, JobDefinitionPrefix: env.JobDefPrefix, ManagedTag: env.ManagedTag,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", function, err)
		}
		waker := &SQSWaker{Client: sqs.NewFromConfig(cfg), QueueURL: env.QueueURL}
		ecfg.Dispatcher, ecfg.Wake = d, waker.Wake
		c.JobEvents, c.Describe = BatchJobEvents(st), BatchDescriber(d, st)
	case "registrar":
		c.Rules = &EventBridgeRules{Client: eventbridge.NewFromConfig(cfg), TargetARN: env.TriggerARN, DeadLetterARN: env.DeadLetterARN}
	}
	eng, err := engine.New(ecfg)
	if err != nil {
		return nil, err
	}
	c.Engine = eng
	return c, nil
}

// Serve is the main of a Lambda function: it reads the configuration once,
// wires the control plane and hands the handler handler makes to the Lambda
// runtime. A configuration error ends the process with a clear message
// (Lambda reports it as an init error).
func Serve(function string, handler func(c *Control, env Env) any) {
	ctx := context.Background()
	env, err := ReadEnv(function, os.Getenv)
	if err == nil {
		var c *Control
		if c, err = NewAWS(ctx, function, env); err == nil {
			lambda.Start(handler(c, env))
			return
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
