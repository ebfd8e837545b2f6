//go:build aloft_embed_runners

package runnerbin

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEmbedded runs in builds made as `make build` makes the CLI (`make
// test` runs it with the tag): Get must return the embedded copies, and
// never build from source even when allowed to.
func TestEmbedded(t *testing.T) {
	t.Setenv(FromSourceEnv, "1")
	for _, arch := range []string{"amd64", "arm64"} {
		want, ok := embedded(arch)
		require.True(t, ok, "no embedded runner for %s", arch)
		got, err := Get(context.Background(), arch, "")
		require.NoError(t, err)
		assert.Equal(t, want, got, "Get(%s) did not return the embedded runner", arch)
		assert.NoError(t, Check(got, arch))
	}
}
