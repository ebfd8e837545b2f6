package testpeers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
)

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || modfile.ModulePath(b) != Module {
		t.Fatalf("RepoRoot() = %s, whose go.mod declares %q (%v)", root, modfile.ModulePath(b), err)
	}
	if wd, _ := os.Getwd(); !strings.HasPrefix(wd, root+string(filepath.Separator)) {
		t.Errorf("RepoRoot() = %s, not above the working directory %s", root, wd)
	}
}

func TestModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"module github.com/aloft-run/aloft\n\ngo 1.26\n": Module,
		"// comment\nmodule   \"example.com/x\" // c\n":  "example.com/x",
		"module\tgithub.com/aloft-run/aloft/cdk\n":       "github.com/aloft-run/aloft/cdk",
		"go 1.26\n":              "",
		"modules are not here\n": "",
	} {
		if got := modfile.ModulePath([]byte(in)); got != want {
			t.Errorf("ModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// A peer that is missing gives the message that says how to install it.
func TestMissingToolMessage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("ALOFT_TEST_UNSET_TOOL", "")
	_, err := findTool("versitygw", "ALOFT_TEST_UNSET_TOOL", ".tools/bin/no-such-tool", "versitygw", nil)
	if err == nil || err.Error() != "versitygw not installed: run scripts/install-peers.sh" {
		t.Fatalf("findTool of a missing tool: %v", err)
	}
	// An explicit path that does not exist is reported as such.
	t.Setenv("ALOFT_TEST_UNSET_TOOL", filepath.Join(t.TempDir(), "nope"))
	if _, err := findTool("versitygw", "ALOFT_TEST_UNSET_TOOL", ".tools/bin/no-such-tool", "versitygw", nil); err == nil || !strings.Contains(err.Error(), "$ALOFT_TEST_UNSET_TOOL") {
		t.Fatalf("findTool with a bad $ALOFT_TEST_UNSET_TOOL: %v", err)
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	b.Write([]byte("hello "))
	b.Write([]byte("world"))
	if got := b.String(); got != "lo world" {
		t.Errorf("tail = %q, want %q", got, "lo world")
	}
}

func TestFilterEnv(t *testing.T) {
	got := filterEnv([]string{"PATH=/bin", "VGW_PORT=1", "ROOT_ACCESS_KEY=x", "HOME=/root"}, "VGW_", "ROOT_")
	if strings.Join(got, " ") != "PATH=/bin HOME=/root" {
		t.Errorf("filterEnv = %q", got)
	}
}
