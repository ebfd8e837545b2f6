package localstack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aloft-run/aloft/functions"
)

// matches reports whether an EventBridge event matches a pattern, for
// exactly the operators the stack's rules use (functions.RulePatterns):
// exact string values, lists of alternatives, nested objects, and the
// prefix, suffix and wildcard operators. Any other operator is an error, so
// that a pattern this matcher does not understand never passes silently.
// No Go library for EventBridge patterns is served here (shared/TESTING.md).
func matches(pattern map[string]any, event []byte) (bool, error) {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		return false, fmt.Errorf("event is not a JSON object: %w", err)
	}
	return matchObject(pattern, ev)
}

func matchObject(pattern, ev map[string]any) (bool, error) {
	for field, p := range pattern {
		v, present := ev[field]
		switch p := p.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !present || !ok {
				return false, nil
			}
			if ok, err := matchObject(p, sub); !ok || err != nil {
				return false, err
			}
		case []any:
			if !present {
				return false, nil
			}
			if ok, err := matchAny(p, v); !ok || err != nil {
				return false, err
			}
		default:
			return false, fmt.Errorf("pattern field %q: want an object or a list of alternatives, got %T", field, p)
		}
	}
	return true, nil
}

// matchAny matches an event value (or, for a list, any of its elements)
// against a list of alternatives.
func matchAny(alts []any, v any) (bool, error) {
	values := []any{v}
	if list, ok := v.([]any); ok {
		values = list
	}
	for _, alt := range alts {
		for _, v := range values {
			ok, err := matchOne(alt, v)
			if err != nil || ok {
				return ok, err
			}
		}
	}
	return false, nil
}

func matchOne(alt, v any) (bool, error) {
	op, isOp := alt.(map[string]any)
	if !isOp {
		switch alt.(type) {
		case string, float64, bool:
			return alt == v, nil
		}
		return false, fmt.Errorf("alternative %v (%T): not a value this matcher knows", alt, alt)
	}
	if len(op) != 1 {
		return false, fmt.Errorf("operator %v: want exactly one key", op)
	}
	s, isString := v.(string)
	for name, arg := range op {
		a, ok := arg.(string)
		if !ok {
			return false, fmt.Errorf("operator %s: want a string argument, got %T", name, arg)
		}
		switch name {
		case "prefix":
			return isString && strings.HasPrefix(s, a), nil
		case "suffix":
			return isString && strings.HasSuffix(s, a), nil
		case "wildcard":
			return isString && wildcard(a, s), nil
		}
		return false, fmt.Errorf("operator %q: not one the stack's rules use", name)
	}
	return false, nil
}

// wildcard matches s against a pattern whose '*' stands for any run of
// characters (slashes included), as EventBridge's wildcard operator does.
func wildcard(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// targetsOf names the rules of ps an event matches: "trigger", "queue",
// "batch", "registrar", sorted.
func targetsOf(ps functions.Patterns, event []byte) ([]string, error) {
	var out []string
	for _, r := range []struct {
		name    string
		pattern map[string]any
	}{{"trigger", ps.Trigger}, {"queue", ps.Queue}, {"batch", ps.Batch}, {"registrar", ps.Registrar}} {
		ok, err := matches(r.pattern, event)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.name, err)
		}
		if ok {
			out = append(out, r.name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// fixtureQueues are the job queue ARNs the event fixtures name.
var fixtureQueues = []string{
	"arn:aws:batch:us-east-1:123456789012:job-queue/aloft-cpu",
	"arn:aws:batch:us-east-1:123456789012:job-queue/aloft-spot",
	"arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu",
}

// The router's matcher sends each fixture of the real event shapes to the
// rule the functions' README gives it, and nowhere else.
func TestRulePatternsRouteTheFixtures(t *testing.T) {
	ps := functions.RulePatterns("aloft-test-bucket", fixtureQueues)
	want := map[string]string{
		"s3-object-created-incoming.json":       "trigger",
		"s3-object-created-outputs.json":        "queue",
		"s3-object-created-error.json":          "queue",
		"s3-object-created-launch-request.json": "queue",
		"s3-object-created-cancel-request.json": "queue",
		"s3-object-created-active.json":         "registrar",
		"s3-object-deleted-active.json":         "registrar",
		"batch-job-running.json":                "batch",
		"batch-job-succeeded.json":              "batch",
		"batch-job-failed-oom.json":             "batch",
		"batch-job-failed-host-reclaim.json":    "batch",
		"batch-job-failed-array-child.json":     "batch",
		"scheduled-event.json":                  "",
	}
	for name, target := range want {
		b, err := os.ReadFile(filepath.Join("..", "functions", "testdata", "events", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := targetsOf(ps, b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Join(got, ",") != target {
			t.Errorf("%s goes to %q, want %q", name, got, target)
		}
	}
}

// Near misses of each rule go nowhere.
func TestRulePatternsNearMisses(t *testing.T) {
	ps := functions.RulePatterns("aloft-e2e", fixtureQueues)
	s3 := func(typ, bucket, key string) []byte {
		if typ == functions.TypeObjectDeleted {
			return functions.ObjectDeleted(bucket, key, testTime)
		}
		b := functions.ObjectCreated(bucket, key, 1, "etag", "", testTime)
		if typ != functions.TypeObjectCreated {
			b = []byte(strings.Replace(string(b), functions.TypeObjectCreated, typ, 1))
		}
		return b
	}
	batch := func(queue, status string) []byte {
		b, _ := json.Marshal(map[string]any{"version": "0", "id": "x", "detail-type": functions.TypeJobState,
			"source": functions.SourceBatch, "detail": map[string]any{"jobQueue": queue, "status": status}})
		return b
	}
	for _, c := range []struct {
		name  string
		event []byte
		want  string
	}{
		{"an incoming object", s3(functions.TypeObjectCreated, "aloft-e2e", "incoming/diabetes/a.csv"), "trigger"},
		{"another bucket", s3(functions.TypeObjectCreated, "aloft-e2e-other", "incoming/diabetes/a.csv"), ""},
		{"no slash after incoming", s3(functions.TypeObjectCreated, "aloft-e2e", "incomingx/a.csv"), ""},
		{"incoming deleted", s3(functions.TypeObjectDeleted, "aloft-e2e", "incoming/diabetes/a.csv"), ""},
		{"incoming restored", s3("Object Restore Completed", "aloft-e2e", "incoming/diabetes/a.csv"), ""},
		{"outputs", s3(functions.TypeObjectCreated, "aloft-e2e", "data/r1/fit/1/outputs.json"), "queue"},
		{"a map item's error", s3(functions.TypeObjectCreated, "aloft-e2e", "data/r1/fit.3/2/error.json"), "queue"},
		{"an output file", s3(functions.TypeObjectCreated, "aloft-e2e", "data/r1/fit/1/outputs/model"), ""},
		{"inputs.json", s3(functions.TypeObjectCreated, "aloft-e2e", "data/r1/fit/1/inputs.json"), ""},
		{"outputs.json outside data/", s3(functions.TypeObjectCreated, "aloft-e2e", "catalog/outputs.json"), ""},
		{"outputs.json.tmp", s3(functions.TypeObjectCreated, "aloft-e2e", "data/r1/fit/1/outputs.json.tmp"), ""},
		{"a launch request", s3(functions.TypeObjectCreated, "aloft-e2e", "requests/launch/l1.json"), "queue"},
		{"a deleted request", s3(functions.TypeObjectDeleted, "aloft-e2e", "requests/launch/l1.json"), ""},
		{"an active pointer", s3(functions.TypeObjectCreated, "aloft-e2e", "registry/default/development/launchplans/lp/active.json"), "registrar"},
		{"a deleted active pointer", s3(functions.TypeObjectDeleted, "aloft-e2e", "registry/default/development/launchplans/lp/active.json"), "registrar"},
		{"a launch plan version", s3(functions.TypeObjectCreated, "aloft-e2e", "registry/default/development/launchplans/lp/v1.json"), ""},
		{"a workflow's active.json", s3(functions.TypeObjectCreated, "aloft-e2e", "registry/default/development/workflows/wf/active.json"), ""},
		{"a job succeeded", batch(fixtureQueues[1], "SUCCEEDED"), "batch"},
		{"a job runnable", batch(fixtureQueues[0], "RUNNABLE"), ""},
		{"another account's queue", batch("arn:aws:batch:us-east-1:999999999999:job-queue/aloft-cpu", "FAILED"), ""},
	} {
		got, err := targetsOf(ps, c.event)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s goes to %q, want %q", c.name, got, c.want)
		}
	}
}

func TestMatcherRefusesUnknownOperators(t *testing.T) {
	for _, p := range []map[string]any{
		{"detail": map[string]any{"size": []any{map[string]any{"numeric": []any{">", 0}}}}},
		{"detail": map[string]any{"key": []any{map[string]any{"anything-but": "x"}}}},
		{"source": "aws.s3"},
	} {
		if _, err := matches(p, []byte(`{"source": "aws.s3", "detail": {"size": 3, "key": "y"}}`)); err == nil {
			t.Errorf("pattern %v: no error", p)
		}
	}
	if !wildcard("a*b*c", "aXbYbc") || wildcard("a*b*c", "aXc") || !wildcard("*", "") || wildcard("a*", "b") {
		t.Error("wildcard")
	}
	if got, _ := matches(map[string]any{"resources": []any{map[string]any{"prefix": "arn:aws:s3:::"}}},
		[]byte(`{"resources": ["x", "arn:aws:s3:::b"]}`)); !got {
		t.Error("a list-valued field matches when one element does")
	}
	if reflect.DeepEqual(functions.RulePatterns("a", nil).Queue, functions.RulePatterns("b", nil).Queue) {
		t.Error("patterns do not name the bucket")
	}
}
