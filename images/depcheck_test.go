package images

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoCloudSDK keeps images free of cloud SDKs: ECR credentials live in
// images/ecrauth, which a caller plugs in with WithKeychain.
func TestNoCloudSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/aws/") || strings.HasPrefix(dep, "cloud.google.com/") {
			t.Errorf("images depends on %s", dep)
		}
	}
}
