// Command registrar is the Lambda function that keeps launch plans'
// schedule rules in EventBridge in step with their active.json pointers.
// See functions/README.md.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/aloft-run/aloft/functions"
)

func main() { functions.Main("registrar", wire) }

// wire builds registrar over the S3 store and EventBridge's rules, each
// targeting the trigger function.
func wire(ctx context.Context, env functions.Env) (func(context.Context, json.RawMessage) (functions.Registered, error), error) {
	cfg, base, err := functions.OpenAWS(ctx, "registrar", env)
	if err != nil {
		return nil, err
	}
	r := &functions.Registrar{Base: base, Prefix: env.RulePrefix,
		Rules: &functions.EventBridgeRules{Client: eventbridge.NewFromConfig(cfg), TargetARN: env.TriggerARN}}
	return r.Handle, nil
}
