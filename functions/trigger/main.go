// Command trigger is the Lambda function that starts runs: an S3 object
// created under incoming/ starts every active launch plan whose trigger
// matches; a schedule rule starts its launch plan. See functions/README.md.
package main

import (
	"context"
	"encoding/json"

	"github.com/aloft-run/aloft/functions"
)

func main() { functions.Main("trigger", wire) }

// wire builds trigger over the S3 store: it writes launch requests only.
func wire(ctx context.Context, env functions.Env) (func(context.Context, json.RawMessage) ([]functions.Launched, error), error) {
	_, base, err := functions.OpenAWS(ctx, "trigger", env)
	if err != nil {
		return nil, err
	}
	t := &functions.Trigger{Base: base}
	return t.Handle, nil
}
