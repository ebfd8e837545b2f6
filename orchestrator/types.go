package orchestrator

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Kind is the kind of a Type.
type Kind uint8

// The kinds of values aloft moves between tasks.
const (
	KindNone Kind = iota // the absent value of an optional type
	KindInt
	KindFloat
	KindString
	KindBool
	KindDatetime
	KindDuration
	KindFile
	KindDirectory
	KindJSON
	KindList
	KindMap
)

var kindNames = [...]string{
	KindNone: "none", KindInt: "int", KindFloat: "float", KindString: "string", KindBool: "bool",
	KindDatetime: "datetime", KindDuration: "duration", KindFile: "file", KindDirectory: "directory",
	KindJSON: "json", KindList: "list", KindMap: "map",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Primitive reports whether values of the kind compare by value in conditions.
func (k Kind) Primitive() bool {
	switch k {
	case KindInt, KindFloat, KindString, KindBool, KindDatetime, KindDuration:
		return true
	}
	return false
}

// Type is a typed-interface type: a primitive, file, directory, json, or a
// list/map of those, possibly optional. Maps have string keys.
type Type struct {
	Kind     Kind
	Elem     *Type // for list and map
	Optional bool
}

// ParseType parses the spec syntax: int, float, string, bool, datetime,
// duration, file, directory, json, list<T>, map<T>, map<string,T>, and T?.
func ParseType(s string) (Type, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Type{}, fmt.Errorf("empty type")
	}
	opt := false
	if strings.HasSuffix(s, "?") {
		opt = true
		s = strings.TrimSpace(strings.TrimSuffix(s, "?"))
	}
	t, err := parseBareType(s)
	if err != nil {
		return Type{}, err
	}
	t.Optional = opt
	return t, nil
}

func parseBareType(s string) (Type, error) {
	for k := KindInt; k <= KindJSON; k++ {
		if s == kindNames[k] {
			return Type{Kind: k}, nil
		}
	}
	open := strings.IndexByte(s, '<')
	if open < 0 || !strings.HasSuffix(s, ">") {
		return Type{}, fmt.Errorf("unknown type %q (want int, float, string, bool, datetime, duration, file, directory, json, list<T>, map<T>, or T?)", s)
	}
	head, inner := strings.TrimSpace(s[:open]), strings.TrimSpace(s[open+1:len(s)-1])
	switch head {
	case "list":
		e, err := ParseType(inner)
		if err != nil {
			return Type{}, err
		}
		return Type{Kind: KindList, Elem: &e}, nil
	case "map":
		if k, v, ok := strings.Cut(inner, ","); ok {
			if strings.TrimSpace(k) != "string" {
				return Type{}, fmt.Errorf("map keys must be string, not %q", strings.TrimSpace(k))
			}
			inner = v
		}
		e, err := ParseType(inner)
		if err != nil {
			return Type{}, err
		}
		return Type{Kind: KindMap, Elem: &e}, nil
	}
	return Type{}, fmt.Errorf("unknown type %q (only list<T> and map<T> take parameters)", s)
}

// String gives the spec syntax of the type.
func (t Type) String() string {
	var s string
	switch t.Kind {
	case KindList:
		s = "list<" + t.Elem.String() + ">"
	case KindMap:
		s = "map<" + t.Elem.String() + ">"
	default:
		s = t.Kind.String()
	}
	if t.Optional {
		s += "?"
	}
	return s
}

// Equal reports whether two types are the same.
func (t Type) Equal(u Type) bool {
	if t.Kind != u.Kind || t.Optional != u.Optional {
		return false
	}
	if t.Elem == nil || u.Elem == nil {
		return t.Elem == nil && u.Elem == nil
	}
	return t.Elem.Equal(*u.Elem)
}

// AcceptsFrom reports whether a value of type u may be bound where t is
// expected. An optional t accepts u and u?; a required t does not accept u?.
// An int is accepted where a float is expected.
func (t Type) AcceptsFrom(u Type) bool {
	if u.Optional && !t.Optional {
		return false
	}
	if t.Kind == KindFloat && u.Kind == KindInt {
		return true
	}
	if t.Kind != u.Kind {
		return false
	}
	if t.Elem == nil || u.Elem == nil {
		return t.Elem == nil && u.Elem == nil
	}
	return t.Elem.AcceptsFrom(*u.Elem)
}

// ListOf is list<t>.
func ListOf(t Type) Type { return Type{Kind: KindList, Elem: &t} }

// MarshalJSON encodes the type in its spec syntax.
func (t Type) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON decodes the spec syntax.
func (t *Type) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := ParseType(s)
	if err != nil {
		return err
	}
	*t = p
	return nil
}
