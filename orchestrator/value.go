package orchestrator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ParseValue converts a decoded YAML or JSON value (string, int, int64,
// float64, json.Number, bool, time.Time, []any, map[string]any or nil) to a
// literal of type t. An int is accepted for a float; a string names a file
// or directory (an external value with no digest yet); any value is
// accepted for json; a datetime is RFC 3339 text or a YAML timestamp; a
// duration is Go syntax ("90s", "1h30m") or a number of seconds; nil is the
// none value of an optional type.
func ParseValue(t Type, v any) (Literal, error) {
	if v == nil {
		if t.Optional {
			return Literal{}, nil
		}
		return Literal{}, fmt.Errorf("null is not a value of type %s (make the type %s? to allow it)", t, t)
	}
	switch t.Kind {
	case KindInt:
		if n, ok := asInt(v); ok {
			return Int(n), nil
		}
	case KindFloat:
		if f, ok := asFloat(v); ok {
			return Float(f), nil
		}
	case KindString:
		if s, ok := v.(string); ok {
			return String(s), nil
		}
		return Literal{}, fmt.Errorf("cannot use %s as string (quote it)", describe(v))
	case KindBool:
		if b, ok := v.(bool); ok {
			return Bool(b), nil
		}
	case KindDatetime:
		return datetimeValue(v)
	case KindDuration:
		return durationValue(v)
	case KindFile, KindDirectory:
		return blobValue(t.Kind, v)
	case KindJSON:
		return jsonValue(v)
	case KindList:
		return listValue(t, v)
	case KindMap:
		return mapValue(t, v)
	}
	return Literal{}, fmt.Errorf("cannot use %s as %s", describe(v), t)
}

// ParseText converts command-line text (`--input k=v`) to a literal of
// type t: primitives from their text, list, map and json from JSON text,
// file and directory from a path or URL. For an optional type other than
// string, "null" gives the none value.
func ParseText(t Type, s string) (Literal, error) {
	if t.Optional && t.Kind != KindString && s == "null" {
		return Literal{}, nil
	}
	switch t.Kind {
	case KindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return Literal{}, fmt.Errorf("cannot use %q as int", s)
		}
		return Int(n), nil
	case KindFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return Literal{}, fmt.Errorf("cannot use %q as float", s)
		}
		return Float(f), nil
	case KindString:
		return String(s), nil
	case KindBool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return Literal{}, fmt.Errorf("cannot use %q as bool (want true or false)", s)
		}
		return Bool(b), nil
	case KindDatetime, KindDuration, KindFile, KindDirectory:
		return ParseValue(Type{Kind: t.Kind}, s)
	case KindJSON:
		l, err := JSONValue([]byte(s))
		if err != nil {
			return Literal{}, fmt.Errorf("cannot use %q as json: %w", s, err)
		}
		return l, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return Literal{}, fmt.Errorf("cannot use %q as %s: want JSON text, e.g. %s", s, t, jsonExample(t))
	}
	return ParseValue(t, v)
}

func jsonExample(t Type) string {
	if t.Kind == KindList {
		return `[1, 2, 3]`
	}
	return `{"a": 1}`
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<63 {
			return int64(n), true
		}
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	if i, ok := asInt(v); ok {
		return float64(i), true
	}
	return 0, false
}

// timeLayouts are the datetime forms accepted: RFC 3339 and the YAML
// timestamp forms (a missing zone means UTC).
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999 -07:00",
	"2006-1-2T15:4:5.999999999",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

func datetimeValue(v any) (Literal, error) {
	switch x := v.(type) {
	case time.Time:
		return Datetime(x), nil
	case string:
		s := strings.TrimSpace(x)
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return Datetime(t), nil
			}
		}
		return Literal{}, fmt.Errorf("cannot use %q as datetime (want RFC 3339, e.g. 2026-01-02T15:04:05Z)", x)
	}
	return Literal{}, fmt.Errorf("cannot use %s as datetime", describe(v))
}

func durationValue(v any) (Literal, error) {
	switch x := v.(type) {
	case time.Duration:
		return Duration(x), nil
	case string:
		if d, err := time.ParseDuration(strings.TrimSpace(x)); err == nil {
			return Duration(d), nil
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return secondsValue(f, x)
		}
		return Literal{}, fmt.Errorf("cannot use %q as duration (want Go syntax such as 90s or 1h30m, or seconds)", x)
	}
	if f, ok := asFloat(v); ok {
		return secondsValue(f, v)
	}
	return Literal{}, fmt.Errorf("cannot use %s as duration", describe(v))
}

func secondsValue(f float64, v any) (Literal, error) {
	ns := f * float64(time.Second)
	if math.IsNaN(ns) || math.Abs(ns) >= math.MaxInt64 {
		return Literal{}, fmt.Errorf("cannot use %s as duration: out of range", describe(v))
	}
	return Duration(time.Duration(math.Round(ns))), nil
}

func blobValue(k Kind, v any) (Literal, error) {
	s, ok := v.(string)
	if !ok {
		return Literal{}, fmt.Errorf("cannot use %s as %s (want a path or URL)", describe(v), k)
	}
	if strings.TrimSpace(s) == "" {
		return Literal{}, fmt.Errorf("empty %s path", k)
	}
	if k == KindFile {
		return File(Blob{URI: s}), nil
	}
	return Directory(Blob{URI: s}), nil
}

func jsonValue(v any) (Literal, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return Literal{}, fmt.Errorf("cannot use %s as json: %v", describe(v), err)
	}
	return JSONValue(buf.Bytes())
}

func listValue(t Type, v any) (Literal, error) {
	items, ok := v.([]any)
	if !ok {
		return Literal{}, fmt.Errorf("cannot use %s as %s", describe(v), t)
	}
	out := make([]Literal, len(items))
	for i, e := range items {
		l, err := ParseValue(*t.Elem, e)
		if err != nil {
			return Literal{}, fmt.Errorf("item %d: %w", i, err)
		}
		out[i] = l
	}
	return List(out...), nil
}

func mapValue(t Type, v any) (Literal, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Literal{}, fmt.Errorf("cannot use %s as %s", describe(v), t)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]Literal, len(m))
	for _, k := range keys {
		l, err := ParseValue(*t.Elem, m[k])
		if err != nil {
			return Literal{}, fmt.Errorf("key %q: %w", k, err)
		}
		out[k] = l
	}
	return Map(out), nil
}

// describe renders a decoded value for messages: `"abc" (string)`, `3
// (int)`, `a list`.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			x = x[:37] + "..."
		}
		return strconv.Quote(x) + " (string)"
	case bool:
		return strconv.FormatBool(x) + " (bool)"
	case int, int32, int64, uint64:
		return fmt.Sprint(x) + " (int)"
	case float64, float32:
		return fmt.Sprint(x) + " (float)"
	case json.Number:
		return x.String() + " (number)"
	case time.Time:
		return x.Format(time.RFC3339Nano) + " (timestamp)"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

// coerceTo converts l, a value that conforms to t, to t's exact form:
// ints become floats where t (or its element type) is float.
func coerceTo(l Literal, t Type) Literal {
	switch {
	case l.Kind == KindList && t.Kind == KindList && t.Elem != nil:
		out := make([]Literal, len(l.List))
		for i, e := range l.List {
			out[i] = coerceTo(e, *t.Elem)
		}
		return List(out...)
	case l.Kind == KindMap && t.Kind == KindMap && t.Elem != nil:
		out := make(map[string]Literal, len(l.Map))
		for k, e := range l.Map {
			out[k] = coerceTo(e, *t.Elem)
		}
		return Map(out)
	}
	return l.Coerce(t)
}

// The readers below take values out of YAML nodes for the spec parser,
// reporting a diagnostic (and false) when the node has the wrong shape.

// str reads a scalar as text; the zero Str (Pos.Line 0) means it was not one.
func (p *specParser) str(n *yaml.Node, what string) Str {
	n = p.deref(n)
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Kind == yaml.MappingNode {
		p.d.hintf(p.pos(n), `quote it: "{{...}}"`, "%s must be a string; YAML read an unquoted {{...}} as a mapping", what)
		return Str{}
	}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.d.errorf(p.pos(n), "%s must be a string, not %s", what, kindWord(n))
		return Str{}
	}
	return Str{Value: n.Value, Pos: p.pos(n)}
}

func (p *specParser) integer(n *yaml.Node, what string) (int, bool) {
	n = p.deref(n)
	var i int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		p.d.errorf(p.pos(n), "%s must be an integer, not %s", what, kindWord(n))
		return 0, false
	}
	return i, true
}

func (p *specParser) number(n *yaml.Node, what string) (float64, bool) {
	n = p.deref(n)
	var f float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
		p.d.errorf(p.pos(n), "%s must be a number, not %s", what, kindWord(n))
		return 0, false
	}
	return f, true
}

func (p *specParser) boolean(n *yaml.Node, what string) (bool, bool) {
	n = p.deref(n)
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		p.d.errorf(p.pos(n), "%s must be true or false, not %s", what, kindWord(n))
		return false, false
	}
	return b, true
}

// duration reads Go duration syntax ("30m", "1h30m") or a number of seconds.
func (p *specParser) duration(n *yaml.Node, what string) (time.Duration, bool) {
	n = p.deref(n)
	const hint = "use Go duration syntax such as 30m or 1h30m, or a number of seconds"
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.d.hintf(p.pos(n), hint, "%s must be a duration, not %s", what, kindWord(n))
		return 0, false
	}
	var l Literal
	var err error
	switch n.ShortTag() {
	case "!!int", "!!float":
		var f float64
		if err = n.Decode(&f); err == nil {
			l, err = durationValue(f)
		}
	default:
		var d time.Duration
		if d, err = time.ParseDuration(n.Value); err == nil {
			l = Duration(d)
		}
	}
	if err != nil || l.Dur < 0 {
		p.d.hintf(p.pos(n), hint, "%s: invalid duration %q", what, n.Value)
		return 0, false
	}
	return l.Dur, true
}

// strList reads a list of strings; a single string is a list of one.
func (p *specParser) strList(n *yaml.Node, what string) []Str {
	n = p.deref(n)
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return []Str{p.str(n, what)}
	}
	var out []Str
	p.list(n, what, func(i int, item *yaml.Node) {
		if s := p.str(item, what); s.Pos.Line > 0 {
			out = append(out, s)
		}
	})
	return out
}

// value decodes a YAML value for ParseValue: string, int64, float64, bool,
// time.Time, nil, []any or map[string]any.
func (p *specParser) value(n *yaml.Node, depth int) (any, bool) {
	n = p.deref(n)
	if depth > maxValueDepth {
		p.d.errorf(p.pos(n), "value nested more than %d deep", maxValueDepth)
		return nil, false
	}
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, ok := p.value(c, depth+1)
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	case yaml.MappingNode:
		return p.mappingValue(n, depth)
	}
	return p.scalarValue(n)
}

func (p *specParser) mappingValue(n *yaml.Node, depth int) (any, bool) {
	out := make(map[string]any, len(n.Content)/2)
	var seen keySet
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := p.deref(n.Content[i])
		if k.Kind == yaml.MappingNode && len(k.Content) == 2 {
			p.d.hintf(p.pos(n), fmt.Sprintf(`quote it: "{{%s}}"`, k.Content[0].Value),
				"unquoted {{...}}: YAML reads it as a mapping")
			return nil, false
		}
		if k.Kind != yaml.ScalarNode {
			p.d.errorf(p.pos(k), "mapping keys must be strings, not %s", kindWord(k))
			return nil, false
		}
		if first, dup := seen.add(k.Value, p.pos(k)); dup {
			p.d.errorf(p.pos(k), "duplicate key %q (first at %s)", k.Value, first)
			return nil, false
		}
		v, ok := p.value(n.Content[i+1], depth+1)
		if !ok {
			return nil, false
		}
		out[k.Value] = v
	}
	return out, true
}

func (p *specParser) scalarValue(n *yaml.Node) (any, bool) {
	var err error
	switch tag := n.ShortTag(); tag {
	case "!!str":
		return n.Value, true
	case "!!null":
		return nil, true
	case "!!bool":
		var b bool
		if err = n.Decode(&b); err == nil {
			return b, true
		}
	case "!!int":
		var i int64
		if err = n.Decode(&i); err == nil {
			return i, true
		}
	case "!!float":
		var f float64
		if err = n.Decode(&f); err == nil {
			return f, true
		}
	case "!!timestamp":
		var t time.Time
		if n.Decode(&t) == nil {
			return t, true
		}
		return n.Value, true
	default:
		p.d.errorf(p.pos(n), "unsupported YAML tag %s", tag)
		return nil, false
	}
	p.d.errorf(p.pos(n), "invalid %s %q", n.ShortTag(), n.Value)
	return nil, false
}

// parseCPU reads cores ("2", "0.5", 1) or millicores ("500m").
func parseCPU(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if m, ok := strings.CutSuffix(s, "m"); ok {
		n, err := strconv.ParseInt(m, 10, 64)
		if err != nil || !isDecimal(m) || n <= 0 {
			return 0, errors.New("want a positive number of millicores")
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !isDecimal(s) || !(f > 0) || f > 1e9 {
		return 0, errors.New("want a positive number of cores")
	}
	return int64(math.Ceil(f*1000 - 1e-6)), nil
}

// isDecimal reports whether s is digits with at most one decimal point.
func isDecimal(s string) bool {
	dots := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.':
			dots++
		case s[i] < '0' || s[i] > '9':
			return false
		}
	}
	return s != "" && s != "." && dots <= 1
}

var byteUnits = map[string]float64{
	"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
}

// parseBytes reads a byte quantity: a number with an optional unit, binary
// (Ki Mi Gi Ti Pi Ei) or decimal (k M G T P E).
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] == '.' || '0' <= s[i] && s[i] <= '9') {
		i++
	}
	num, unit := s[:i], s[i:]
	mult, ok := byteUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	if !isDecimal(num) {
		return 0, errors.New("want a number of bytes with an optional unit")
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil && mult == 1 {
		if n <= 0 {
			return 0, errors.New("must be positive")
		}
		return n, nil
	}
	f, _ := strconv.ParseFloat(num, 64)
	b := math.Ceil(f * mult)
	if !(b >= 1) || b >= math.MaxInt64 {
		return 0, errors.New("out of range")
	}
	return int64(b), nil
}
