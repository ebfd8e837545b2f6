package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

func versionCmd(ctx context.Context, args []string, io Stdio) int {
	fs := newFlagSet("version", "aloft version", "Prints aloft's version, the Go version it was built with, and the platform.", io)
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		return usageErr(io, "version", "unexpected argument %q", pos[0])
	}
	fmt.Fprintf(io.Out, "aloft %s%s %s %s/%s\n", version, revision(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

// revision is " (commit abc1234)" when the binary was built from a VCS
// checkout, else "".
func revision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return ""
	}
	return " (commit " + rev + dirty + ")"
}
