// Command registrar is the Lambda function that keeps launch plans'
// schedule rules in EventBridge in step with their active.json pointers.
// See functions/README.md.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/aloft-run/aloft/functions"
)

func main() {
	ctx := context.Background()
	env, err := functions.ReadEnv("registrar", os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	c, err := functions.NewAWS(ctx, "registrar", env)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (functions.Registered, error) {
		return c.Registrar(ctx, raw, env.RulePrefix)
	})
}
