package stack

import (
	"strings"
	"testing"
)

// A test-only EventBridge pattern matcher for exactly the operators the
// stack's rules use: exact values, {"prefix": ...}, {"wildcard": ...},
// lists of alternatives and nested objects. Any other operator fails the
// test, so a new operator in the stack needs a matching line here.

// matchPattern reports whether event matches pattern: every field of the
// pattern must be present in the event and match one of its alternatives.
func matchPattern(t testing.TB, pattern, event map[string]any) bool {
	t.Helper()
	for field, want := range pattern {
		got, present := event[field]
		switch want := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !present || !ok || !matchPattern(t, want, sub) {
				return false
			}
		case []any:
			if !present || !matchAlternatives(t, want, got) {
				return false
			}
		default:
			t.Fatalf("pattern field %q: want an object or a list, got %T", field, want)
		}
	}
	return true
}

// matchAlternatives: a list pattern matches when any alternative matches
// the value, or any element of the value when the event holds a list.
func matchAlternatives(t testing.TB, alts []any, value any) bool {
	t.Helper()
	values, ok := value.([]any)
	if !ok {
		values = []any{value}
	}
	for _, alt := range alts {
		for _, v := range values {
			if matchOne(t, alt, v) {
				return true
			}
		}
	}
	return false
}

func matchOne(t testing.TB, alt, v any) bool {
	t.Helper()
	switch alt := alt.(type) {
	case string, float64, bool:
		return alt == v
	case map[string]any:
		if len(alt) != 1 {
			t.Fatalf("pattern operator %v: want one key", alt)
		}
		s, isString := v.(string)
		for op, arg := range alt {
			switch op {
			case "prefix":
				return isString && strings.HasPrefix(s, arg.(string))
			case "wildcard":
				return isString && globMatch(arg.(string), s)
			default:
				t.Fatalf("pattern operator %q not supported by the test matcher", op)
			}
		}
	}
	t.Fatalf("pattern alternative %v (%T) not supported", alt, alt)
	return false
}

// globMatch matches s against a pattern where '*' stands for any run of
// characters, '/' included (EventBridge wildcards and IAM ArnLike).
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
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

func TestMatcher(t *testing.T) {
	event := map[string]any{
		"source": "aws.s3",
		"detail": map[string]any{"object": map[string]any{"key": "data/x/1/outputs.json"}, "tags": []any{"a", "b"}},
	}
	tests := []struct {
		name    string
		pattern map[string]any
		want    bool
	}{
		{"exact", map[string]any{"source": []any{"aws.s3"}}, true},
		{"exact miss", map[string]any{"source": []any{"aws.s3x"}}, false},
		{"alternatives", map[string]any{"source": []any{"aws.batch", "aws.s3"}}, true},
		{"prefix", map[string]any{"detail": map[string]any{"object": map[string]any{"key": []any{map[string]any{"prefix": "data/"}}}}}, true},
		{"prefix miss", map[string]any{"detail": map[string]any{"object": map[string]any{"key": []any{map[string]any{"prefix": "data/y"}}}}}, false},
		{"wildcard across slashes", map[string]any{"detail": map[string]any{"object": map[string]any{"key": []any{map[string]any{"wildcard": "data/*/outputs.json"}}}}}, true},
		{"wildcard anchored", map[string]any{"detail": map[string]any{"object": map[string]any{"key": []any{map[string]any{"wildcard": "data/*/outputs"}}}}}, false},
		{"missing field", map[string]any{"region": []any{"us-east-1"}}, false},
		{"nested object against a string", map[string]any{"source": map[string]any{"x": []any{"y"}}}, false},
		{"event list", map[string]any{"detail": map[string]any{"tags": []any{"b"}}}, true},
	}
	for _, tt := range tests {
		if got := matchPattern(t, tt.pattern, event); got != tt.want {
			t.Errorf("%s: match = %v, want %v", tt.name, got, tt.want)
		}
	}
	for _, g := range []struct {
		pattern, s string
		want       bool
	}{
		{"a*", "a", true}, {"*b", "ab", true}, {"a*b*c", "aXbYc", true}, {"a*b*c", "aXbY", false},
		{"registry/*/*/launchplans/*/active.json", "registry/p/d/launchplans/n/active.json", true},
		{"registry/*/*/launchplans/*/active.json", "registry/p/d/workflows/n/active.json", false},
		{"a*a", "a", false},
	} {
		if got := globMatch(g.pattern, g.s); got != g.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", g.pattern, g.s, got, g.want)
		}
	}
}
