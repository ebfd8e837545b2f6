// Command trigger is the Lambda function that starts runs: an S3 object
// created under incoming/ starts every active launch plan whose trigger
// matches; a schedule rule starts its launch plan. See functions/README.md.
package main

import "github.com/aloft-run/aloft/functions"

func main() {
	functions.Serve("trigger", func(c *functions.Control, _ functions.Env) any { return c.Trigger })
}
