package functions_test

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/aloft-run/aloft/functions"
)

// TestPatternsMatchTheStack checks that the patterns the end-to-end suite
// routes with are the ones the CDK stack synthesizes (the cdk module's
// tests write that file from the template and match the same fixtures).
func TestPatternsMatchTheStack(t *testing.T) {
	b, err := os.ReadFile("../cdk/testdata/rule-patterns.json")
	if err != nil {
		t.Fatal(err)
	}
	var stack map[string]any
	if err := json.Unmarshal(b, &stack); err != nil {
		t.Fatal(err)
	}
	p := functions.RulePatterns("aloft-test-bucket", []string{
		"arn:aws:batch:us-east-1:123456789012:job-queue/aloft-cpu",
		"arn:aws:batch:us-east-1:123456789012:job-queue/aloft-spot",
		"arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu",
	})
	ours := map[string]any{"trigger": p.Trigger, "queue": p.Queue, "batch": p.Batch, "registrar": p.Registrar}
	// Compare as JSON values, the form both sides have on the wire.
	ob, _ := json.Marshal(ours)
	var mine map[string]any
	_ = json.Unmarshal(ob, &mine)
	for name, want := range stack {
		if !reflect.DeepEqual(mine[name], want) {
			got, _ := json.Marshal(mine[name])
			w, _ := json.Marshal(want)
			t.Errorf("%s: functions.RulePatterns gives\n%s\nthe stack has\n%s", name, got, w)
		}
	}
	if len(stack) != len(mine) {
		t.Errorf("the stack has %d rules with patterns, functions %d", len(stack), len(mine))
	}
}
