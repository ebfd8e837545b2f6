// Command advance is the Lambda function that steps executions: it consumes
// SQS batches of S3 and AWS Batch events (and its own delayed wake-ups) and
// the rate(1 minute) sweep. See functions/README.md.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aloft-run/aloft/functions"
)

func main() {
	ctx := context.Background()
	env, err := functions.ReadEnv("advance", os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c, err := functions.NewAWS(ctx, "advance", env)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(c.Advance)
}
