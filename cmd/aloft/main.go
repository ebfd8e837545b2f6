// Command aloft runs ML and data workflows: typed tasks in containers,
// DAG workflows, memoized outputs. This is its command line:
//
//	aloft run wf.yaml --input seed=7      run a workflow locally (cached, resumable)
//	aloft validate wf.yaml                check spec files
//	aloft executions list|get|terminate   look at runs, or stop one
//	aloft cache list|evict                look at or drop memoized outputs
//	aloft register wf.yaml --version v1   register specs in the bucket (AWS or local)
//	aloft launchplans activate|deactivate|list
//	aloft launch PLAN --input k=v         start a run through the control plane
//	aloft logs EXEC NODE                  a node's log (CloudWatch for Batch jobs)
//	aloft config from-stack|show          the CLI's config file
//	aloft version
//
// main only reads the environment and hands over to run; every command is a
// function of (ctx, args, Stdio) returning the exit code, so tests call the
// commands in-process.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aloft-run/aloft/images"
	"github.com/aloft-run/aloft/internal/cliconfig"
	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/term"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1   // a run failed, or aloft's own machinery did
	exitUsage   = 2   // bad flags, arguments, inputs or spec
	exitAborted = 130 // a run aborted by SIGINT or SIGTERM
)

// version is set at link time: -ldflags "-X main.version=v0.3.0".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the run winds down (tasks are cancelled);
		// a second one gets the default behaviour and ends aloft at once.
		<-ctx.Done()
		stop()
	}()
	// Stdout carries only final reports (tables, JSON): buffer it so a
	// 1,000-row table is a few writes, not a thousand. Stderr (progress,
	// task output) stays unbuffered.
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	stopProfile := startProfile(os.Getenv("ALOFT_CPUPROFILE"))
	code := run(ctx, os.Args[1:], Stdio{Out: out, Err: os.Stderr, Env: readEnv()})
	stopProfile()
	out.Flush()
	stop()
	os.Exit(code)
}

// startProfile writes a CPU profile of the whole command to path when it
// is set ($ALOFT_CPUPROFILE, for scripts/bench-vs-make.sh and go tool pprof).
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "aloft: ALOFT_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// Stdio is what a command talks to: its output streams and the environment
// main read once.
type Stdio struct {
	Out, Err io.Writer
	Env      Env
}

// Env is the invocation's environment, read once in main (tests fill it in).
type Env struct {
	Store string // $ALOFT_STORE: the bucket directory when --store is not given
	Dir   string // the working directory: relative input paths and the default store resolve against it
	TTY   bool   // Err is a terminal: draw the live progress view
	// Size reports the terminal's width and height; nil or zeros mean unknown.
	Size func() (width, height int)
	// Now and NewID are the engine's clock and execution-id generator;
	// nil means the real clock and engine.NewExecID.
	Now   func() time.Time
	NewID func() string
	// Config is the CLI's configuration file (cliconfig.Path); "" means none.
	Config string
	// AWS loads the AWS configuration; nil means the standard credential
	// chain and environment (AWS_REGION, AWS_ENDPOINT_URL, …).
	AWS func(ctx context.Context) (aws.Config, error)
	// Images are extra options for image registries (tests: a transport
	// to an in-memory registry).
	Images []images.Option
	// Sleep waits between polls; nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Heartbeat is how often aloft run renews its executions' owner
	// marker; 0 means engine.OwnerHeartbeat.
	Heartbeat time.Duration
}

// now is the clock commands use: Env.Now or the real one.
func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func readEnv() Env {
	dir, _ := os.Getwd()
	fd := int(os.Stderr.Fd())
	config, _ := cliconfig.Path() // no home directory: no config file
	return Env{
		Store:  os.Getenv("ALOFT_STORE"),
		Dir:    dir,
		Config: config,
		TTY:    term.IsTerminal(fd) && os.Getenv("TERM") != "dumb",
		Size: func() (int, int) {
			w, h, err := term.GetSize(fd)
			if err != nil {
				return 0, 0
			}
			return w, h
		},
	}
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io Stdio) int
}

func commands() []command {
	return []command{
		{"run", "run a workflow locally (cached, resumable)", runCmd},
		{"validate", "check spec files and report every error", validateCmd},
		{"register", "register spec files in the bucket under a version", registerCmd},
		{"launchplans", "activate, deactivate or list launch plans", launchPlansCmd},
		{"launch", "start a run of a registered launch plan or workflow", launchCmd},
		{"dev", "serve the control plane locally: triggers, schedules, launches", devCmd},
		{"executions", "list, show or terminate executions (list, get, terminate)", executionsCmd},
		{"logs", "print the log of a node's attempt", logsCmd},
		{"cache", "list or evict memoized task outputs (list, evict)", cacheCmd},
		{"console", "serve the web console for the bucket on this machine", consoleCmd},
		{"workflows", "list registered workflows or show one (list, get)", workflowsCmd},
		{"config", "write the config file from a deployed stack, or show it", configCmd},
		{"version", "print aloft's version", versionCmd},
		{"help", "show this help, or a command's flags (aloft help run)", nil},
	}
}

// run dispatches to the command named by args[0] and returns the exit code.
func run(ctx context.Context, args []string, io Stdio) int {
	if len(args) == 0 {
		usage(io.Err)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && rest[0] != "help" {
			if c, ok := lookup(rest[0]); ok {
				c.run(ctx, []string{"-h"}, Stdio{Out: io.Out, Err: io.Out, Env: io.Env})
				return exitOK
			}
			fmt.Fprintf(io.Err, "aloft: unknown command %q\n\n", rest[0])
			usage(io.Err)
			return exitUsage
		}
		usage(io.Out)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(io.Err, "aloft: unknown command %q\n\n", name)
		usage(io.Err)
		return exitUsage
	}
	return c.run(ctx, rest, io)
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprint(w, `aloft runs ML and data workflows: typed tasks, DAGs, memoized outputs.

Usage:
  aloft <command> [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  aloft run wf.yaml --input seed=7
  aloft run --resume r1abc2
  aloft executions get r1abc2

On AWS (after aloft config from-stack STACK, or with --store s3://bucket):
  aloft register wf.yaml --version v1 --activate
  aloft launch diabetes_nightly --input test_split_ratio=0.25 --wait
  aloft logs r1abc2 fit

The bucket is --store DIR|file:///DIR|s3://BUCKET[/PREFIX], else
$ALOFT_STORE, else the config file's store, else .aloft/bucket (aloft run
always uses a directory). AWS access uses the standard credential chain
and honours AWS_ENDPOINT_URL.

Exit codes: 0 ok, 1 run failed, 2 usage or spec error, 130 interrupted.
`)
}

// newFlagSet makes a flag set for a command whose usage prints synopsis,
// about and the flags.
func newFlagSet(name, synopsis, about string, io Stdio) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Err)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s\n\n%s\n", synopsis, strings.TrimSpace(about))
		printFlags(w, fs)
	}
	return fs
}

// printFlags is flag.PrintDefaults with the --name spelling users type.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintln(w, "\nFlags:")
			first = false
		}
		name, help := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		switch _, err := strconv.ParseFloat(f.DefValue, 64); {
		case f.DefValue == "" || f.DefValue == "false" || f.DefValue == "0":
		case err == nil:
			help += " (default " + f.DefValue + ")"
		default:
			help += fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, help)
	})
}

// parseFlags parses args with fs, allowing flags after positional arguments
// (aloft run wf.yaml --input seed=7): flag.Parse stops at the first
// non-flag argument, so it is called again on what follows each one.
// Everything after "--" is positional. It returns the positional arguments,
// and the exit code to return at once (-1 to go on): 0 after -h, 2 after a
// bad flag (the flag package has printed why).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK
			}
			return nil, exitUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, -1
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), -1
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageErr prints "aloft CMD: message" and returns the usage exit code.
func usageErr(io Stdio, cmd, format string, args ...any) int {
	fmt.Fprintf(io.Err, "aloft %s: %s\n", cmd, fmt.Sprintf(format, args...))
	return exitUsage
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// failErr prints "aloft CMD: message" and returns the failure exit code.
func failErr(io Stdio, cmd string, err error) int {
	fmt.Fprintf(io.Err, "aloft %s: %v\n", cmd, err)
	return exitFailed
}

// listFlag collects a repeated string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// engineGC makes the garbage collector run less often in the commands that
// drive executions (run, dev), unless GOGC says otherwise: their heap is
// small and mostly short-lived state encodings, and with the default a
// fan-out of short tasks spends a tenth of aloft's CPU collecting.
func engineGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
