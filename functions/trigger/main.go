// Command trigger is the Lambda function that starts runs: an S3 object
// created under incoming/ starts every active launch plan whose trigger
// matches; a schedule rule starts its launch plan. See functions/README.md.
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
	env, err := functions.ReadEnv("trigger", os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c, err := functions.NewAWS(ctx, "trigger", env)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(c.Trigger)
}
