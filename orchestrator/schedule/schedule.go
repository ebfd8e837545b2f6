package schedule

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of the year field of an EventBridge cron expression. A cron
// schedule never fires outside them.
const (
	MinYear = 1970
	MaxYear = 2199
)

// Schedule is a parsed EventBridge schedule expression: a *Cron or a Rate.
type Schedule interface {
	// Next returns the first fire time strictly after after, in UTC. It
	// reports false when the schedule has no fire time after after.
	Next(after time.Time) (time.Time, bool)
	// String returns the canonical expression, such as "cron(0 3 * * ? *)"
	// or "rate(1 day)". Parsing it gives an equivalent schedule.
	String() string
	// Every returns the interval of a rate schedule and 0 for cron.
	Every() time.Duration
}

// Error is a parse error of a schedule expression.
type Error struct {
	// Kind is "cron", "rate", or "" for an error in the expression as a whole.
	Kind string
	// Field names the part at fault: for cron the field ("minutes", "hours",
	// "day-of-month", "month", "day-of-week", "year"), for rate "value" or
	// "unit", otherwise "expression".
	Field string
	// Index is the 1-based number of the cron field at fault, 0 otherwise.
	Index int
	// Pos is the 0-based column, in runes, of the first character of the
	// offending field within the expression as given to Parse.
	Pos int
	// Text is the offending field as written.
	Text string
	// Msg says what is wrong and, where it can, how to fix it.
	Msg string
}

func (e *Error) Error() string {
	switch {
	case e.Kind == "cron" && e.Index > 0:
		return fmt.Sprintf("cron field %d (%s) %q: %s", e.Index, e.Field, e.Text, e.Msg)
	case e.Kind != "":
		return fmt.Sprintf("%s %s %q: %s", e.Kind, e.Field, e.Text, e.Msg)
	default:
		return fmt.Sprintf("schedule expression %q: %s", e.Text, e.Msg)
	}
}

// Parse parses an EventBridge schedule expression: cron(...) or rate(...),
// or the same without the wrapper ("0 3 * * ? *", "1 day"). Errors are
// *Error values.
func Parse(expr string) (Schedule, error) {
	p := &parser{expr: expr}
	s, err := p.parse()
	if err != nil {
		return nil, err
	}
	return s, nil
}

// MustParse is like Parse but panics on error. It is meant for expressions
// fixed in source code.
func MustParse(expr string) Schedule {
	s, err := Parse(expr)
	if err != nil {
		panic(err)
	}
	return s
}

// WithAnchor returns s with its rate anchor set to anchor, the time from
// which EventBridge counts the rate (the creation of the rule). Cron
// schedules, which have no anchor, are returned unchanged.
func WithAnchor(s Schedule, anchor time.Time) Schedule {
	switch r := s.(type) {
	case Rate:
		r.Anchor = anchor
		return r
	case *Rate:
		if r == nil {
			return s
		}
		c := *r
		c.Anchor = anchor
		return c
	}
	return s
}

// token is a white-space separated word of an expression; pos is its byte
// offset in the whole expression.
type token struct {
	text string
	pos  int
}

type parser struct {
	expr string
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// fail builds an *Error whose Pos is the rune column of byte offset off.
func (p *parser) fail(kind, field string, index, off int, text, format string, args ...any) *Error {
	if off < 0 {
		off = 0
	}
	if off > len(p.expr) {
		off = len(p.expr)
	}
	return &Error{
		Kind:  kind,
		Field: field,
		Index: index,
		Pos:   utf8.RuneCountInString(p.expr[:off]),
		Text:  text,
		Msg:   fmt.Sprintf(format, args...),
	}
}

func (p *parser) failExpr(off int, text, format string, args ...any) *Error {
	return p.fail("", "expression", 0, off, text, format, args...)
}

// split returns the white-space separated tokens of p.expr[start:end].
func (p *parser) split(start, end int) []token {
	var toks []token
	i := start
	for i < end {
		for i < end && isSpace(p.expr[i]) {
			i++
		}
		if i == end {
			break
		}
		j := i
		for j < end && !isSpace(p.expr[j]) {
			j++
		}
		toks = append(toks, token{p.expr[i:j], i})
		i = j
	}
	return toks
}

func (p *parser) parse() (Schedule, error) {
	start, end := 0, len(p.expr)
	for start < end && isSpace(p.expr[start]) {
		start++
	}
	for end > start && isSpace(p.expr[end-1]) {
		end--
	}
	body := p.expr[start:end]
	if body == "" {
		return nil, p.failExpr(0, body,
			"empty schedule expression; use cron(...) or rate(...), e.g. cron(0 3 * * ? *) or rate(1 day)")
	}

	for _, kind := range [...]string{"cron", "rate"} {
		if strings.HasPrefix(body, kind+"(") {
			open := start + len(kind) + 1
			rel := strings.IndexByte(p.expr[open:end], ')')
			if rel < 0 {
				return nil, p.failExpr(end, body, "missing closing ); write %s(...)", kind)
			}
			closing := open + rel
			if closing+1 < end {
				extra := closing + 1
				for isSpace(p.expr[extra]) {
					extra++
				}
				return nil, p.failExpr(extra, body,
					"unexpected text %q after the closing ); write %s(...) and nothing after it",
					p.expr[extra:end], kind)
			}
			toks := p.split(open, closing)
			if kind == "cron" {
				return p.parseCron(toks, body, closing)
			}
			return p.parseRate(toks, body, closing)
		}
		if len(body) >= len(kind) && strings.EqualFold(body[:len(kind)], kind) {
			return nil, p.failExpr(start, body,
				"write %s(...) in lower case with no space before the (, e.g. %s", kind, example(kind))
		}
	}

	toks := p.split(start, end)
	if len(toks) == 2 && isLetter(toks[1].text[0]) {
		if !isDigits(toks[0].text) && !strings.HasPrefix(toks[0].text, "-") && !strings.HasPrefix(toks[0].text, "+") {
			return nil, p.failExpr(start, body,
				"not a schedule expression; use cron(...) with 6 fields or rate(N unit), e.g. cron(0 3 * * ? *) or rate(1 day)")
		}
		return p.parseRate(toks, body, end)
	}
	return p.parseCron(toks, body, end)
}

func example(kind string) string {
	if kind == "cron" {
		return "cron(0 3 * * ? *)"
	}
	return "rate(1 day)"
}

func isLetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoi parses a string of decimal digits, saturating at a value larger than
// any field allows instead of overflowing.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<40 {
			return 1 << 40
		}
	}
	return n
}
