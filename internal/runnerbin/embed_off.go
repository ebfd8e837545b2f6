//go:build !aloft_embed_runners

package runnerbin

// embedded reports no runner: this build has none inside it (see doc.go).
func embedded(arch string) ([]byte, bool) { return nil, false }
