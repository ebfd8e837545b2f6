package functions_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/functions"
)

// TestPatternsMatchTheStack checks that the patterns the end-to-end suite
// routes with are the ones the CDK stack synthesizes (the cdk module's
// tests write that file from the template and match the same fixtures).
func TestPatternsMatchTheStack(t *testing.T) {
	b, err := os.ReadFile("../cdk/testdata/rule-patterns.json")
	require.NoError(t, err)
	var stack map[string]any
	require.NoError(t, json.Unmarshal(b, &stack))
	p := functions.RulePatterns("aloft-test-bucket", []string{
		"arn:aws:batch:us-east-1:123456789012:job-queue/aloft-cpu",
		"arn:aws:batch:us-east-1:123456789012:job-queue/aloft-spot",
		"arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu",
		"arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu-spot",
	})
	ours := map[string]any{"trigger": p.Trigger, "queue": p.Queue, "batch": p.Batch, "registrar": p.Registrar}
	// Compare as JSON values, the form both sides have on the wire.
	ob, err := json.Marshal(ours)
	require.NoError(t, err)
	var mine map[string]any
	require.NoError(t, json.Unmarshal(ob, &mine))
	for name, want := range stack {
		assert.Equal(t, want, mine[name], "%s: functions.RulePatterns differs from the stack", name)
	}
	assert.Len(t, mine, len(stack), "rules with patterns: the stack's and functions'")
}
