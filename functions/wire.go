package functions

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/aloft-run/aloft/store/s3store"
	"github.com/aloft-run/aloft/store/storeurl"
)

// OpenAWS loads the AWS configuration (the standard credential chain;
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are honoured), opens the
// S3 store env names, and gives the Base every handler of function shares:
// that store, the wall clock and a JSON logger naming the function.
func OpenAWS(ctx context.Context, function string, env Env) (aws.Config, Base, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, Base{}, fmt.Errorf("%s: AWS configuration: %w", function, err)
	}
	bucket, prefix, _ := storeurl.S3(env.Store)
	st, err := s3store.Open(ctx, bucket, prefix)
	if err != nil {
		return cfg, Base{}, fmt.Errorf("%s: open %s: %w", function, env.Store, err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("function", function)
	return cfg, Base{Store: st, Bucket: bucket, Log: log, Now: time.Now}, nil
}

// Main is the main of a Lambda function: it reads the configuration once,
// lets wire build the function's handler from it and hands that handler to
// the Lambda runtime. A configuration or wiring error ends the process
// with a clear message (Lambda reports it as an init error).
func Main[H any](function string, wire func(ctx context.Context, env Env) (H, error)) {
	ctx := context.Background()
	env, err := ReadEnv(function, os.Getenv)
	if err == nil {
		var h H
		if h, err = wire(ctx, env); err == nil {
			lambda.Start(h)
			return
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
