// Package runnerbin finds the aloft-runner binary that aloft adds to task
// images (ARCHITECTURE.md, Decision 14): a static linux executable for
// amd64 or arm64.
//
// Where it comes from, first match wins:
//
//  1. the file given with --runner PATH (Get's override);
//  2. the copies embedded in the CLI when it was built with
//     -tags aloft_embed_runners (`make build` copies bin/aloft-runner-linux-*
//     into embed/ first; go:embed cannot reach ../bin);
//  3. aloft-runner-linux-ARCH beside the running executable (bin/aloft from
//     `make` without the tag finds bin/aloft-runner-linux-ARCH);
//  4. only when $ALOFT_RUNNER_FROM_SOURCE is 1 (tests set it; a shipped
//     CLI never builds anything on its own): a fresh `go build` of
//     ./cmd/aloft-runner in aloft's source tree, found upward from the
//     working directory, so tests never use a stale runner.
//
// Every binary, whatever its source, is checked to be a static ELF
// executable for the asked architecture before it is returned.
//
// It leaves out caching: callers ask once per architecture.
package runnerbin
