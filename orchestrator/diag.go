package orchestrator

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Pos is a place in a spec file. Line and Col are 1-based; 0 means unknown.
type Pos struct {
	File      string
	Line, Col int
}

// String gives "file:line:col", leaving out the parts that are unknown.
func (p Pos) String() string {
	s := p.File
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
		if p.Col > 0 {
			s += ":" + strconv.Itoa(p.Col)
		}
	}
	return s
}

// less orders positions by file, line and column.
func (p Pos) less(q Pos) bool {
	if p.File != q.File {
		return p.File < q.File
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Col < q.Col
}

// Diagnostic is one error found in a spec: where, what, and optionally how
// to fix it.
type Diagnostic struct {
	Pos  Pos
	Msg  string
	Hint string
}

// String renders the diagnostic compiler style, with the hint on an
// indented second line.
func (d Diagnostic) String() string {
	s := d.Pos.String() + ": error: " + d.Msg
	if d.Hint != "" {
		s += "\n    hint: " + d.Hint
	}
	return s
}

// Diagnostics is every error found in a spec, sorted by position. It is the
// error type returned by Parse and ParseFiles.
type Diagnostics []Diagnostic

// Error prints one diagnostic per line (hints on their own indented line).
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// diagSink collects diagnostics while parsing and validating.
type diagSink struct {
	list Diagnostics
}

// errorf records an error at pos.
func (s *diagSink) errorf(pos Pos, format string, args ...any) {
	s.list = append(s.list, Diagnostic{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// hintf records an error at pos with a hint.
func (s *diagSink) hintf(pos Pos, hint, format string, args ...any) {
	s.list = append(s.list, Diagnostic{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// result returns the sorted, de-duplicated diagnostics, or nil when there
// are none.
func (s *diagSink) result() error {
	if len(s.list) == 0 {
		return nil
	}
	ds := append(Diagnostics(nil), s.list...)
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Pos != ds[j].Pos {
			return ds[i].Pos.less(ds[j].Pos)
		}
		return ds[i].Msg < ds[j].Msg
	})
	out := ds[:1]
	for _, d := range ds[1:] {
		if d != out[len(out)-1] {
			out = append(out, d)
		}
	}
	return out
}

// didYouMean returns `; did you mean "x"?` for the candidate closest to
// word, or "" when none is close enough.
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// suggest returns the candidate closest to word by edit distance (with
// transpositions), when it is close enough to be a likely typo.
func suggest(word string, candidates []string) string {
	best, bestD := "", 1<<30
	limit := max(1, (len(word)+2)/4)
	for _, c := range candidates {
		if c == word {
			continue
		}
		if d := editDistance(word, c); d <= limit && d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and adjacent transpositions.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
