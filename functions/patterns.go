package functions

import "github.com/aloft-run/aloft/layout"

// Patterns are the EventBridge event patterns of the stack's rules, one per
// target, for a bucket and aloft's job queue ARNs. The CDK stack installs
// exactly these; the end-to-end suite filters the events its S3 peer emits
// with them, as EventBridge would.
type Patterns struct {
	Trigger   map[string]any // S3 objects created under incoming/
	Queue     map[string]any // results and requests -> the advance queue
	Batch     map[string]any // Batch job state changes -> the advance queue
	Registrar map[string]any // active.json created or deleted
}

// RulePatterns returns the patterns for a bucket and job queue ARNs.
func RulePatterns(bucket string, jobQueueARNs []string) Patterns {
	s3 := func(types []string, keys []any) map[string]any {
		return map[string]any{
			"source":      []any{SourceS3},
			"detail-type": toAny(types),
			"detail": map[string]any{
				"bucket": map[string]any{"name": []any{bucket}},
				"object": map[string]any{"key": keys},
			},
		}
	}
	created := []string{TypeObjectCreated}
	return Patterns{
		Trigger: s3(created, []any{map[string]any{"prefix": layout.IncomingRoot}}),
		Queue: s3(created, []any{
			map[string]any{"wildcard": layout.ResultPatterns[0]},
			map[string]any{"wildcard": layout.ResultPatterns[1]},
			map[string]any{"prefix": layout.RequestsRoot},
		}),
		Batch: map[string]any{
			"source":      []any{SourceBatch},
			"detail-type": []any{TypeJobState},
			"detail": map[string]any{
				"jobQueue": toAny(jobQueueARNs),
				"status":   []any{"RUNNING", "SUCCEEDED", "FAILED"},
			},
		},
		Registrar: s3([]string{TypeObjectCreated, TypeObjectDeleted},
			[]any{map[string]any{"wildcard": layout.PlanPointerPattern}}),
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
