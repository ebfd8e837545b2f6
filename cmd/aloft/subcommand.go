package main

import (
	"context"
	"fmt"
	"strings"
)

// sub is one subcommand of a command group (aloft cache list, …): its
// names (the first is the one usage shows) and what runs it.
type sub struct {
	names []string
	run   func(ctx context.Context, args []string, io Stdio) int
}

// subcommand dispatches "aloft GROUP SUB args…", printing the group's usage
// for no subcommand (exit 2) or help (exit 0).
func subcommand(ctx context.Context, args []string, io Stdio, group, about string, subs []sub) int {
	var first []string
	for _, s := range subs {
		first = append(first, s.names[0])
	}
	usage := func() { fmt.Fprintf(io.Err, "usage: aloft %s %s\n%s\n", group, strings.Join(first, "|"), about) }
	if len(args) == 0 {
		usage()
		return exitUsage
	}
	for _, s := range subs {
		for _, n := range s.names {
			if args[0] == n {
				return s.run(ctx, args[1:], io)
			}
		}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage()
		return exitOK
	}
	return usageErr(io, group, "unknown subcommand %q (want %s)", args[0], strings.Join(first, " or "))
}
