package orchestrator

import (
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// checkName reports a name unsafe for object keys or Batch job names.
func (p *specParser) checkName(name string, pos Pos, what string) {
	if !validName(name) {
		p.d.hintf(pos, "names match ^[A-Za-z][A-Za-z0-9_-]{0,62}$ (a letter, then letters, digits, _ or -; at most 63 characters) so they are safe in object keys and AWS Batch job names",
			"invalid %s name %q", what, name)
	}
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 63 || !isLetter(s[0]) {
		return false
	}
	return refPartOK(s)
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// refPartOK reports whether s is non-empty and uses only name characters.
func refPartOK(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !('0' <= c && c <= '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// posAt is the position of byte offset off inside scalar n's value, when
// it can be known (single-line plain or quoted scalars).
func (p *specParser) posAt(n *yaml.Node, off int) Pos {
	return p.posAtRune(n, utf8.RuneCountInString(n.Value[:min(off, len(n.Value))]))
}

func (p *specParser) posAtRune(n *yaml.Node, runes int) Pos {
	pos := p.pos(n)
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(n.Value, "\n") {
		return pos
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		pos.Col++
	}
	pos.Col += runes
	return pos
}

// entries calls f for each key and value of mapping n (nothing for null),
// reporting keys that are not strings and duplicate keys. what names the
// mapping in messages.
func (p *specParser) entries(n *yaml.Node, what string, f func(key string, k, v *yaml.Node)) {
	n = p.deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.d.errorf(p.pos(n), "%s must be a mapping, not %s", what, kindWord(n))
		return
	}
	var seen keySet
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := p.deref(n.Content[i])
		if k.Kind != yaml.ScalarNode || isNull(k) {
			p.d.hintf(p.pos(k), `if it is a {{...}} reference, quote it: "{{inputs.x}}"`,
				"keys of %s must be names, not %s", what, kindWord(k))
			continue
		}
		if first, dup := seen.add(k.Value, p.pos(k)); dup {
			p.d.errorf(p.pos(k), "duplicate key %q in %s (first at %s)", k.Value, what, first)
			continue
		}
		f(k.Value, k, n.Content[i+1])
	}
}

// fields is entries for a mapping with a fixed set of keys: it reports
// unknown keys (suggesting the closest known one) and calls f for the rest.
func (p *specParser) fields(n *yaml.Node, what string, known []string, f func(key string, k, v *yaml.Node)) {
	p.entries(n, what, func(key string, k, v *yaml.Node) {
		if !slices.Contains(known, key) {
			if s := didYouMean(key, known); s != "" {
				p.d.errorf(p.pos(k), "unknown key %q in %s%s", key, what, s)
			} else {
				p.d.hintf(p.pos(k), "known keys: "+strings.Join(known, ", "), "unknown key %q in %s", key, what)
			}
			return
		}
		f(key, k, v)
	})
}

// keySet finds duplicate keys: a slice while small, a map when large.
type keySet struct {
	small []string
	pos   []Pos
	big   map[string]Pos
}

// add records key at pos; dup is true (with the first position) when it
// was already there.
func (s *keySet) add(key string, pos Pos) (first Pos, dup bool) {
	if s.big != nil {
		if first, dup = s.big[key]; !dup {
			s.big[key] = pos
		}
		return first, dup
	}
	for i, k := range s.small {
		if k == key {
			return s.pos[i], true
		}
	}
	s.small, s.pos = append(s.small, key), append(s.pos, pos)
	if len(s.small) > 16 {
		s.big = make(map[string]Pos, 64)
		for i, k := range s.small {
			s.big[k] = s.pos[i]
		}
	}
	return Pos{}, false
}

// deref follows aliases and counts visited nodes, aborting the document
// past maxVisits.
func (p *specParser) deref(n *yaml.Node) *yaml.Node {
	p.visits++
	if p.visits > maxVisits {
		panic(errTooBig)
	}
	for i := 0; n.Kind == yaml.AliasNode && i < 64; i++ {
		if n.Alias == nil {
			break
		}
		n = n.Alias
	}
	if n.Kind == yaml.AliasNode {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindWord names a node's shape for messages.
func kindWord(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "null"
	case n.Kind == yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a bool"
		}
		return "a string"
	}
	return "an alias"
}

// list calls f for each item of sequence n (nothing for null).
func (p *specParser) list(n *yaml.Node, what string, f func(i int, item *yaml.Node)) {
	n = p.deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.d.errorf(p.pos(n), "%s must be a list, not %s", what, kindWord(n))
		return
	}
	for i, item := range n.Content {
		f(i, p.deref(item))
	}
}
