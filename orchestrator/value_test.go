package orchestrator

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func mustType(t testing.TB, s string) Type {
	t.Helper()
	typ, err := ParseType(s)
	if err != nil {
		t.Fatal(err)
	}
	return typ
}

func TestParseValue(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		typ  string
		in   any
		want Literal
	}{
		{"int", 7, Int(7)},
		{"int", int64(-3), Int(-3)},
		{"int", float64(4), Int(4)},
		{"int", json.Number("12"), Int(12)},
		{"float", 1, Float(1)},
		{"float", 0.25, Float(0.25)},
		{"string", "hi", String("hi")},
		{"bool", true, Bool(true)},
		{"datetime", when, Datetime(when)},
		{"datetime", "2026-01-02T03:04:05Z", Datetime(when)},
		{"datetime", "2026-01-02T05:04:05+02:00", Datetime(when)},
		{"datetime", "2026-01-02", Datetime(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))},
		{"duration", "1h30m", Duration(90 * time.Minute)},
		{"duration", 90, Duration(90 * time.Second)},
		{"duration", 1.5, Duration(1500 * time.Millisecond)},
		{"duration", "45", Duration(45 * time.Second)},
		{"file", "s3://b/k.csv", File(Blob{URI: "s3://b/k.csv"})},
		{"directory", "./data", Directory(Blob{URI: "./data"})},
		{"json", map[string]any{"b": []any{int64(1), "x"}, "a": nil}, Literal{Kind: KindJSON, Str: `{"a":null,"b":[1,"x"]}`}},
		{"json", "text", Literal{Kind: KindJSON, Str: `"text"`}},
		{"json", 3.5, Literal{Kind: KindJSON, Str: `3.5`}},
		{"list<float>", []any{1, 2.5}, List(Float(1), Float(2.5))},
		{"map<int>", map[string]any{"a": 1}, Map(map[string]Literal{"a": Int(1)})},
		{"list<int?>", []any{1, nil}, List(Int(1), Literal{})},
		{"int?", nil, Literal{}},
	} {
		got, err := ParseValue(mustType(t, tc.typ), tc.in)
		if err != nil {
			t.Errorf("ParseValue(%s, %#v): %v", tc.typ, tc.in, err)
			continue
		}
		if !got.Equal(tc.want) || got.Kind != tc.want.Kind {
			t.Errorf("ParseValue(%s, %#v) = %s, want %s", tc.typ, tc.in, got.Canonical(), tc.want.Canonical())
		}
	}
}

func TestParseValueErrors(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		in   any
		want string
	}{
		{"int", "7", `cannot use "7" (string) as int`},
		{"int", 1.5, `cannot use 1.5 (float) as int`},
		{"string", 7, `cannot use 7 (int) as string (quote it)`},
		{"bool", "true", `cannot use "true" (string) as bool`},
		{"float", nil, `null is not a value of type float (make the type float? to allow it)`},
		{"datetime", "noon", `cannot use "noon" as datetime`},
		{"duration", "a while", `cannot use "a while" as duration`},
		{"file", 3, `cannot use 3 (int) as file (want a path or URL)`},
		{"file", " ", `empty file path`},
		{"list<int>", []any{1, "x"}, `item 1: cannot use "x" (string) as int`},
		{"map<int>", map[string]any{"k": true}, `key "k": cannot use true (bool) as int`},
		{"map<int>", []any{}, `cannot use a list as map<int>`},
	} {
		_, err := ParseValue(mustType(t, tc.typ), tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseValue(%s, %#v) error = %v, want %q", tc.typ, tc.in, err, tc.want)
		}
	}
}

func TestParseText(t *testing.T) {
	for _, tc := range []struct {
		typ, in string
		want    Literal
	}{
		{"int", "7", Int(7)},
		{"float", "0.33", Float(0.33)},
		{"float", "2", Float(2)},
		{"string", " spaced ", String(" spaced ")},
		{"string?", "null", String("null")},
		{"int?", "null", Literal{}},
		{"bool", "true", Bool(true)},
		{"datetime", "2026-01-02T03:04:05Z", Datetime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))},
		{"duration", "90s", Duration(90 * time.Second)},
		{"duration", "90", Duration(90 * time.Second)},
		{"file", "data/x.csv", File(Blob{URI: "data/x.csv"})},
		{"file", "https://example.com/x.csv", File(Blob{URI: "https://example.com/x.csv"})},
		{"directory", "/tmp/d", Directory(Blob{URI: "/tmp/d"})},
		{"json", `{"b": 1, "a": [true]}`, Literal{Kind: KindJSON, Str: `{"a":[true],"b":1}`}},
		{"list<int>", `[1, 2, 3]`, List(Int(1), Int(2), Int(3))},
		{"list<float>", `[1, 2.5]`, List(Float(1), Float(2.5))},
		{"map<string>", `{"k": "v"}`, Map(map[string]Literal{"k": String("v")})},
		{"list<file>", `["a.csv"]`, List(File(Blob{URI: "a.csv"}))},
	} {
		got, err := ParseText(mustType(t, tc.typ), tc.in)
		if err != nil {
			t.Errorf("ParseText(%s, %q): %v", tc.typ, tc.in, err)
			continue
		}
		if !got.Equal(tc.want) || got.Kind != tc.want.Kind {
			t.Errorf("ParseText(%s, %q) = %s, want %s", tc.typ, tc.in, got.Canonical(), tc.want.Canonical())
		}
	}
}

func TestParseTextErrors(t *testing.T) {
	for _, tc := range []struct{ typ, in, want string }{
		{"int", "seven", `cannot use "seven" as int`},
		{"float", "1,5", `cannot use "1,5" as float`},
		{"bool", "yes please", `want true or false`},
		{"json", "{", `cannot use "{" as json`},
		{"list<int>", "1,2", `want JSON text, e.g. [1, 2, 3]`},
		{"list<int>", `[1, "x"]`, `item 1: cannot use "x" (string) as int`},
		{"map<int>", `[1] [2]`, `want JSON text`},
	} {
		_, err := ParseText(mustType(t, tc.typ), tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseText(%s, %q) error = %v, want %q", tc.typ, tc.in, err, tc.want)
		}
	}
}

func TestQuantities(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{"500m", 500}, {"2", 2000}, {"0.5", 500}, {"1", 1000}, {"0.001", 1}} {
		if got, err := parseCPU(tc.in); err != nil || got != tc.want {
			t.Errorf("parseCPU(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"abc", "-1", "0", "1e3", "0.5m", "m", "inf"} {
		if _, err := parseCPU(in); err == nil {
			t.Errorf("parseCPU(%q) succeeded", in)
		}
	}
	for _, tc := range []struct {
		in   string
		want int64
	}{{"200Mi", 200 << 20}, {"4Gi", 4 << 30}, {"1G", 1e9}, {"1048576", 1 << 20}, {"1.5Ki", 1536}, {"10k", 1e4}} {
		if got, err := parseBytes(tc.in); err != nil || got != tc.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"200MB", "1gi", "", "0", "-5Mi", "1.2.3", "9999999Ei"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) succeeded", in)
		}
	}
}
