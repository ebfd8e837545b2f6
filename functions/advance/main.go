// Command advance is the Lambda function that steps executions: it consumes
// SQS batches of S3 and AWS Batch events (and its own delayed wake-ups) and
// the rate(1 minute) sweep. See functions/README.md.
package main

import "github.com/aloft-run/aloft/functions"

func main() {
	functions.Serve("advance", func(c *functions.Control, _ functions.Env) any { return c.Advance })
}
