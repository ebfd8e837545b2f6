//go:build aloft_embed_runners

package runnerbin

import "embed"

// runners holds the binaries `make build` copied into embed/.
//
//go:embed embed/aloft-runner-linux-amd64 embed/aloft-runner-linux-arm64
var runners embed.FS

// embedded returns the runner built into this executable.
func embedded(arch string) ([]byte, bool) {
	b, err := runners.ReadFile("embed/" + FileName(arch))
	return b, err == nil
}
