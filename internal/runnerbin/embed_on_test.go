//go:build aloft_embed_runners

package runnerbin

import (
	"bytes"
	"context"
	"testing"
)

// TestEmbedded runs in builds made as `make build` makes the CLI: Get must
// return the embedded copies.
func TestEmbedded(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		want, ok := embedded(arch)
		if !ok {
			t.Fatalf("no embedded runner for %s", arch)
		}
		got, err := Get(context.Background(), arch, "")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Get(%s) did not return the embedded runner", arch)
		}
	}
}
