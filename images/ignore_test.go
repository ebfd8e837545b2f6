package images

import (
	"strings"
	"testing"
)

func TestIgnore(t *testing.T) {
	tests := []struct {
		rules string
		path  string
		dir   bool
		want  bool
	}{
		// Always left out.
		{"", ".git", true, true},
		{"", "a/.git", true, true},
		{"", "tasks/__pycache__", true, true},
		{"", "tasks/x.pyc", false, true},
		{"", ".aloft", true, true},
		{"", ".git", false, false}, // a file named .git (a worktree link) is not the directory rule
		{"", "tasks/fit.py", false, false},
		{"!*.pyc", "x.pyc", false, true}, // the always-rules win
		// Names at any depth; globs stay within a segment.
		{"*.csv", "data/train.csv", false, true},
		{"*.csv", "data", true, false},
		{"data?.txt", "data1.txt", false, true},
		{"data?.txt", "data12.txt", false, false},
		{"[ab].txt", "b.txt", false, true},
		{"[ab].txt", "c.txt", false, false},
		// Directory-only.
		{"build/", "build", true, true},
		{"build/", "build", false, false},
		{"build/", "src/build", true, true},
		// Anchored patterns.
		{"/model.bin", "model.bin", false, true},
		{"/model.bin", "sub/model.bin", false, false},
		{"docs/build", "docs/build", true, true},
		{"docs/build", "x/docs/build", true, false},
		{"docs/*.md", "docs/a.md", false, true},
		{"docs/*.md", "docs/sub/a.md", false, false},
		// **.
		{"**/cache", "a/b/cache", true, true},
		{"**/cache", "cache", true, true},
		{"a/**/b", "a/b", false, true},
		{"a/**/b", "a/x/y/b", false, true},
		{"a/**/b", "c/a/x/b", false, false},
		{"out/**", "out/x", false, true},
		{"out/**", "out", true, false},
		// Negation: the last match decides.
		{"*.log\n!keep.log", "keep.log", false, false},
		{"*.log\n!keep.log", "drop.log", false, true},
		{"!keep.log\n*.log", "keep.log", false, true},
		// Comments, blanks, escapes, trailing spaces.
		{"# comment\n\n", "# comment", false, false},
		{`\#notes`, "#notes", false, true},
		{`\!bang`, "!bang", false, true},
		{"trail.txt   ", "trail.txt", false, true},
		{"crlf.txt\r", "crlf.txt", false, true},
	}
	for _, tt := range tests {
		ig, err := parseIgnore(".aloftignore", tt.rules)
		if err != nil {
			t.Fatalf("parseIgnore(%q): %v", tt.rules, err)
		}
		if got := ig.ignored(tt.path, tt.dir); got != tt.want {
			t.Errorf("rules %q: ignored(%q, dir=%v) = %v, want %v", tt.rules, tt.path, tt.dir, got, tt.want)
		}
	}
}

func TestIgnoreBadPattern(t *testing.T) {
	_, err := parseIgnore("code/.aloftignore", "ok\n[unclosed\n")
	if err == nil || !strings.HasPrefix(err.Error(), "code/.aloftignore:2: ") {
		t.Errorf("parseIgnore(bad) = %v, want the file and line", err)
	}
}
