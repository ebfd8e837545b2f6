package images

import (
	"fmt"
	"path"
	"strings"
)

// IgnoreFile is the file in a code directory whose lines, in .gitignore
// syntax, leave paths out of the code layer.
const IgnoreFile = ".aloftignore"

// alwaysIgnored are left out of every code layer, whatever IgnoreFile says:
// version control, Python's byte-code caches, and aloft's local bucket.
const alwaysIgnored = ".git/\n__pycache__/\n*.pyc\n.aloft/"

// ignorer decides which paths of a code directory stay out of its layer,
// with the rules of gitignore(5): blank lines and #-comments are skipped;
// "!" re-includes; a trailing "/" matches directories only; a pattern with
// another "/" is anchored at the top, one without matches a name at any
// depth; "*", "?" and "[...]" do not match "/", and "**" as a whole segment
// matches any number of directories. The walk skips an ignored directory
// whole, so, as in git, nothing under it can be re-included.
//
// It is written here because the one served matcher
// (github.com/sabhiram/go-gitignore) treats "?" literally and does not
// anchor patterns such as "docs/build"; go-git's is right but brings go-git.
type ignorer struct {
	rules []ignoreRule
}

type ignoreRule struct {
	segs     []string // the pattern split at "/"; "**" is a segment of its own
	negate   bool
	dirOnly  bool
	anchored bool
}

// parseIgnore compiles the lines of an ignore file (named file, for
// messages) followed by the rules that always apply.
func parseIgnore(file, text string) (ignorer, error) {
	var ig ignorer
	for i, line := range strings.Split(text+"\n"+alwaysIgnored, "\n") {
		r, ok, err := parseRule(line)
		if err != nil {
			return ignorer{}, fmt.Errorf("%s:%d: %w", file, i+1, err)
		}
		if ok {
			ig.rules = append(ig.rules, r)
		}
	}
	return ig, nil
}

func parseRule(line string) (ignoreRule, bool, error) {
	line = strings.TrimSuffix(line, "\r")
	for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, `\ `) {
		line = line[:len(line)-1]
	}
	if line == "" || line[0] == '#' {
		return ignoreRule{}, false, nil
	}
	var r ignoreRule
	if line[0] == '!' {
		r.negate, line = true, line[1:]
	}
	if strings.HasSuffix(line, "/") {
		r.dirOnly, line = true, strings.TrimRight(line, "/")
	}
	if strings.Contains(line, "/") {
		r.anchored, line = true, strings.TrimLeft(line, "/")
	}
	if line == "" {
		return ignoreRule{}, false, nil
	}
	for _, s := range strings.Split(line, "/") {
		if s == "**" && len(r.segs) > 0 && r.segs[len(r.segs)-1] == "**" {
			continue
		}
		if _, err := path.Match(s, ""); err != nil {
			return ignoreRule{}, false, fmt.Errorf("pattern %q: %w", line, err)
		}
		r.segs = append(r.segs, s)
	}
	if len(r.segs) == 1 && r.segs[0] == "**" {
		r.anchored = true
	}
	return r, true, nil
}

// ignored reports whether rel (slash-separated, relative to the code
// directory) stays out; dir says whether it is a directory. The last rule
// that matches decides.
func (ig ignorer) ignored(rel string, dir bool) bool {
	parts := strings.Split(rel, "/")
	out := false
	for _, r := range ig.rules {
		if r.dirOnly && !dir {
			continue
		}
		if r.matches(parts) {
			out = !r.negate
		}
	}
	return out
}

func (r ignoreRule) matches(parts []string) bool {
	if !r.anchored {
		ok, _ := path.Match(r.segs[0], parts[len(parts)-1])
		return ok
	}
	return matchSegs(r.segs, parts)
}

// matchSegs matches a whole path against pattern segments, "**" standing
// for zero or more segments (one or more at the end: "abc/**" matches what
// is inside abc, not abc).
func matchSegs(pat, parts []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			if len(rest) == 0 {
				return len(parts) > 0
			}
			for i := 0; i <= len(parts); i++ {
				if matchSegs(rest, parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], parts[0]); !ok {
			return false
		}
		pat, parts = pat[1:], parts[1:]
	}
	return len(parts) == 0
}
