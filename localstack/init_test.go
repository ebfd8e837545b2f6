package localstack

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/aloft-run/aloft/functions"
)

var update = flag.Bool("update", false, "rewrite localstack/init/patterns from functions.RulePatterns")

// initPatterns are the rules localstack/init/ready.d/aloft.sh installs in
// LocalStack, by file name: the stack's S3 rules (functions.RulePatterns,
// for the suite's bucket) and the suite's own uploads rule. The Batch rule
// is left out: the Batch double's events never pass through LocalStack.
func initPatterns() map[string]map[string]any {
	p := functions.RulePatterns("aloft-e2e", jobQueueList())
	return map[string]map[string]any{
		"trigger.json":   p.Trigger,
		"queue.json":     p.Queue,
		"registrar.json": p.Registrar,
		"uploads.json":   uploadsPattern("aloft-e2e"),
	}
}

// The patterns LocalStack gets are the stack's (go test -run
// TestInitPatterns -update rewrites them).
func TestInitPatterns(t *testing.T) {
	dir := filepath.Join("init", "patterns")
	for name, pattern := range initPatterns() {
		want, err := json.MarshalIndent(pattern, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		p := filepath.Join(dir, name)
		if *update {
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (go test ./localstack -run TestInitPatterns -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from functions.RulePatterns; go test ./localstack -run TestInitPatterns -update rewrites it\nhave:\n%s\nwant:\n%s", p, got, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(initPatterns()) {
		t.Errorf("%s has %d files, want %d", dir, len(entries), len(initPatterns()))
	}
}

// A missing emulator gives the message that says how to install it.
func TestMissingRIEMessage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("ALOFT_LAMBDA_RIE", "")
	if _, err := riePath(t.TempDir()); err == nil || err.Error() != "aws-lambda-rie not installed: run scripts/install-peers.sh and scripts/install-lambda-rie.sh" {
		t.Fatalf("riePath without aws-lambda-rie: %v", err)
	}
}
