package orchestrator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// Blob is a file or directory value: where it lives and what it holds.
// Digest is "sha256:<hex>" of the file's bytes, or for a directory the
// sha256 of the canonical JSON list of [relative path, file digest] pairs
// sorted by path. An empty Digest marks an external value (an https URL or a
// local path) that a shell must ingest into the store before use.
type Blob struct {
	URI    string `json:"uri"`
	Digest string `json:"digest,omitempty"`
	Size   int64  `json:"size,omitempty"`
}

// Literal is a typed value. The zero Literal is the none value.
type Literal struct {
	Kind Kind
	Int  int64
	Flt  float64
	Str  string // string; json (its canonical text)
	Bool bool
	Time time.Time
	Dur  time.Duration
	Blob *Blob
	List []Literal
	Map  map[string]Literal
}

// clone returns a deep copy of l (its blob, list and map are copied).
func (l Literal) clone() Literal {
	if l.Blob != nil {
		b := *l.Blob
		l.Blob = &b
	}
	if l.List != nil {
		list := make([]Literal, len(l.List))
		for i := range l.List {
			list[i] = l.List[i].clone()
		}
		l.List = list
	}
	l.Map = cloneLiterals(l.Map)
	return l
}

// Constructors for literals.
func Int(v int64) Literal              { return Literal{Kind: KindInt, Int: v} }
func Float(v float64) Literal          { return Literal{Kind: KindFloat, Flt: v} }
func String(v string) Literal          { return Literal{Kind: KindString, Str: v} }
func Bool(v bool) Literal              { return Literal{Kind: KindBool, Bool: v} }
func Datetime(v time.Time) Literal     { return Literal{Kind: KindDatetime, Time: v.UTC()} }
func Duration(v time.Duration) Literal { return Literal{Kind: KindDuration, Dur: v} }
func File(b Blob) Literal              { return Literal{Kind: KindFile, Blob: &b} }
func Directory(b Blob) Literal         { return Literal{Kind: KindDirectory, Blob: &b} }
func List(v ...Literal) Literal        { return Literal{Kind: KindList, List: v} }
func Map(v map[string]Literal) Literal { return Literal{Kind: KindMap, Map: v} }

// JSONValue makes a json literal from JSON text, canonicalising it.
func JSONValue(text []byte) (Literal, error) {
	c, err := canonicalJSON(text)
	if err != nil {
		return Literal{}, err
	}
	return Literal{Kind: KindJSON, Str: string(c)}, nil
}

// IsNone reports whether l is the none value.
func (l Literal) IsNone() bool { return l.Kind == KindNone }

// Equal reports whether two literals hold the same value (blobs by digest
// when both have one, else by URI).
func (l Literal) Equal(m Literal) bool {
	return bytes.Equal(l.Canonical(), m.Canonical())
}

// Conforms reports whether l is a value of type t (an int conforms to float).
func (l Literal) Conforms(t Type) bool {
	if l.Kind == KindNone {
		return t.Optional
	}
	switch t.Kind {
	case KindFloat:
		return l.Kind == KindFloat || l.Kind == KindInt
	case KindList:
		if l.Kind != KindList {
			return false
		}
		for _, e := range l.List {
			if !e.Conforms(*t.Elem) {
				return false
			}
		}
		return true
	case KindMap:
		if l.Kind != KindMap {
			return false
		}
		for _, e := range l.Map {
			if !e.Conforms(*t.Elem) {
				return false
			}
		}
		return true
	}
	return l.Kind == t.Kind
}

// Coerce returns l converted to type t where aloft allows it (int -> float).
func (l Literal) Coerce(t Type) Literal {
	if t.Kind == KindFloat && l.Kind == KindInt {
		return Float(float64(l.Int))
	}
	return l
}

// Text renders a primitive for a command line: ints and floats in shortest
// form, datetimes RFC 3339, durations as Go durations, json as its text.
func (l Literal) Text() string {
	switch l.Kind {
	case KindInt:
		return strconv.FormatInt(l.Int, 10)
	case KindFloat:
		return formatFloat(l.Flt)
	case KindString, KindJSON:
		return l.Str
	case KindBool:
		return strconv.FormatBool(l.Bool)
	case KindDatetime:
		return l.Time.UTC().Format(time.RFC3339Nano)
	case KindDuration:
		return l.Dur.String()
	case KindFile, KindDirectory:
		return l.Blob.URI
	case KindNone:
		return ""
	}
	return string(l.Canonical())
}

// formatFloat is the shortest round-trip form ("0.33", "1e+21", "+Inf").
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Canonical is the one encoding used for hashing (Decision 6): JSON with
// sorted keys and no insignificant whitespace, floats in shortest
// round-trip form, datetimes RFC 3339 UTC, durations in seconds as a decimal
// string, files and directories by digest only (so the same bytes at a new
// URI hash the same).
func (l Literal) Canonical() []byte {
	var b bytes.Buffer
	_ = l.encode(&b, true)
	return b.Bytes()
}

// Hash is "sha256:<hex>" of the canonical encoding.
func (l Literal) Hash() string {
	sum := sha256.Sum256(l.Canonical())
	return "sha256:" + hex.EncodeToString(sum[:])
}

// encode writes the one-key object naming the kind ({"int":7}) or null.
// The canonical form differs from the wire form in two places only: floats
// are strings in shortest round-trip form, and blobs are their digest.
func (l Literal) encode(b *bytes.Buffer, canonical bool) error {
	if l.Kind == KindNone {
		b.WriteString("null")
		return nil
	}
	if int(l.Kind) >= len(kindNames) {
		return fmt.Errorf("literal of unknown kind %d", l.Kind)
	}
	b.WriteString(`{"` + l.Kind.String() + `":`)
	switch l.Kind {
	case KindInt:
		b.WriteString(strconv.FormatInt(l.Int, 10))
	case KindFloat:
		if canonical || math.IsInf(l.Flt, 0) || math.IsNaN(l.Flt) {
			writeJSONString(b, formatFloat(l.Flt))
		} else {
			enc, _ := json.Marshal(l.Flt)
			b.Write(enc)
		}
	case KindString:
		writeJSONString(b, l.Str)
	case KindBool:
		b.WriteString(strconv.FormatBool(l.Bool))
	case KindDatetime:
		writeJSONString(b, l.Time.UTC().Format(time.RFC3339Nano))
	case KindDuration:
		writeJSONString(b, durationSeconds(l.Dur))
	case KindFile, KindDirectory:
		switch {
		case !canonical:
			enc, err := json.Marshal(l.Blob)
			if err != nil {
				return err
			}
			b.Write(enc)
		case l.Blob.Digest != "":
			writeJSONString(b, l.Blob.Digest)
		default:
			writeJSONString(b, "uri:"+l.Blob.URI)
		}
	case KindJSON:
		b.WriteString(l.Str)
	case KindList:
		b.WriteByte('[')
		for i, e := range l.List {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := e.encode(b, canonical); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case KindMap:
		b.WriteByte('{')
		for i, k := range sortedKeys(l.Map) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if err := l.Map[k].encode(b, canonical); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return nil
}

// durationSeconds renders d in seconds as a decimal string ("90", "1.5").
func durationSeconds(d time.Duration) string {
	s := strconv.FormatInt(int64(d/time.Second), 10)
	if frac := d % time.Second; frac != 0 {
		if frac < 0 {
			frac = -frac
			if d > -time.Second {
				s = "-0"
			}
		}
		f := strconv.FormatInt(int64(frac)+int64(time.Second), 10)[1:]
		for len(f) > 0 && f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		s += "." + f
	}
	return s
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	b.Write(enc)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// canonicalJSON re-encodes JSON text with sorted object keys and no
// whitespace, keeping numbers as written.
func canonicalJSON(text []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid json: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("invalid json: trailing data")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// MarshalJSON gives the wire form used in inputs.json, outputs.json and
// state: a one-key object naming the kind ({"int":7}, {"file":{"uri":...}}),
// or null for none.
func (l Literal) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := l.encode(&b, false); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalJSON reads the wire form written by MarshalJSON.
func (l *Literal) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*l = Literal{}
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf("literal: %w", err)
	}
	if len(obj) != 1 {
		return fmt.Errorf("literal: want one key naming the kind, got %d keys", len(obj))
	}
	for k, raw := range obj {
		return l.decodeKind(k, raw)
	}
	return nil
}

func (l *Literal) decodeKind(k string, raw json.RawMessage) error {
	var err error
	switch k {
	case "int":
		var v int64
		err = json.Unmarshal(raw, &v)
		*l = Int(v)
	case "float":
		var v float64
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if err = json.Unmarshal(raw, &s); err == nil {
				v, err = strconv.ParseFloat(s, 64)
			}
		} else {
			err = json.Unmarshal(raw, &v)
		}
		*l = Float(v)
	case "string":
		var v string
		err = json.Unmarshal(raw, &v)
		*l = String(v)
	case "bool":
		var v bool
		err = json.Unmarshal(raw, &v)
		*l = Bool(v)
	case "datetime":
		var s string
		if err = json.Unmarshal(raw, &s); err == nil {
			var t time.Time
			t, err = time.Parse(time.RFC3339Nano, s)
			*l = Datetime(t)
		}
	case "duration":
		var s string
		if err = json.Unmarshal(raw, &s); err == nil {
			var f float64
			f, err = strconv.ParseFloat(s, 64)
			*l = Duration(time.Duration(math.Round(f * float64(time.Second))))
		}
	case "file", "directory":
		var b Blob
		err = json.Unmarshal(raw, &b)
		if k == "file" {
			*l = File(b)
		} else {
			*l = Directory(b)
		}
	case "json":
		*l, err = JSONValue(raw)
	case "list":
		var v []Literal
		err = json.Unmarshal(raw, &v)
		*l = Literal{Kind: KindList, List: v}
	case "map":
		var v map[string]Literal
		err = json.Unmarshal(raw, &v)
		*l = Literal{Kind: KindMap, Map: v}
	default:
		return fmt.Errorf("literal: unknown kind %q", k)
	}
	if err != nil {
		return fmt.Errorf("literal %s: %w", k, err)
	}
	return nil
}
