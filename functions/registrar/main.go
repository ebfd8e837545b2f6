// Command registrar is the Lambda function that keeps launch plans'
// schedule rules in EventBridge in step with their active.json pointers.
// See functions/README.md.
package main

import (
	"context"
	"encoding/json"

	"github.com/aloft-run/aloft/functions"
)

func main() {
	functions.Serve("registrar", func(c *functions.Control, env functions.Env) any {
		return func(ctx context.Context, raw json.RawMessage) (functions.Registered, error) {
			return c.Registrar(ctx, raw, env.RulePrefix)
		}
	})
}
