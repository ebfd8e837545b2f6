package orchestrator

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoCloudOrIO keeps the core pure: it must not import a cloud SDK, the
// network, or aloft's adapters.
func TestNoCloudOrIO(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	banned := []string{"github.com/aws/", "cloud.google.com/", "google.golang.org/api", "net/http",
		"github.com/aloft-run/aloft/store", "github.com/aloft-run/aloft/engine", "github.com/aloft-run/aloft/batchrunner"}
	for _, dep := range strings.Fields(string(out)) {
		for _, b := range banned {
			if strings.HasPrefix(dep, b) {
				t.Errorf("orchestrator depends on %s", dep)
			}
		}
	}
}
