package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"time"

	"github.com/aloft-run/aloft/console"
)

const consoleAbout = `
Serves the web console on this machine: the executions (newest first, with
filters), an execution's nodes, inputs and outputs, logs, graph and
timeline, launch plans and workflows. It reads the bucket (--store: a
directory, s3:// or gs://) with your own credentials; nothing is deployed.
Its buttons write the same requests the CLI writes (terminate, relaunch,
recover, activate or deactivate a launch plan).

It listens on 127.0.0.1 by default. Any other address needs --token T, and
every request must then carry the token (open the console once with
?token=T, which sets a cookie, or send Authorization: Bearer T).`

func consoleCmd(ctx context.Context, args []string, io Stdio) int {
	var f storeFlags
	fs := newFlagSet("console", "aloft console [--store DIR|s3://…] [--addr 127.0.0.1:8080] [--open] [--token T]", consoleAbout, io)
	f.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `host:port`")
	open := fs.Bool("open", false, "open the console in the default browser")
	token := fs.String("token", "", "require this `token` with every request (needed for a non-local --addr)")
	rest, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(rest) > 0 {
		return usageErr(io, "console", "unexpected argument %q (aloft console takes only flags)", rest[0])
	}
	if err := console.CheckAddr(*addr, *token); err != nil {
		return usageErr(io, "console", "%v", err)
	}
	st, err := f.openExisting(io.Env)
	if err != nil {
		return storeErr(io, "console", err)
	}
	srv, err := console.New(st, console.Options{Token: *token, Now: io.Env.now})
	if err != nil {
		return failErr(io, "console", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return failErr(io, "console", fmt.Errorf("listen on %s: %w (another console running? pick another port with --addr)", *addr, err))
	}
	url := "http://" + ln.Addr().String() + "/"
	if *token != "" {
		url += "?token=" + *token
	}
	fmt.Fprintf(io.Out, "console for %s at %s (Ctrl-C stops it)\n", st.URI(""), url)
	if *open {
		openBrowser(io, url)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return failErr(io, "console", err)
	}
	return exitOK
}

// openBrowser starts the platform's URL opener; failing is only a note.
func openBrowser(io Stdio, url string) {
	name := "xdg-open"
	switch runtime.GOOS {
	case "darwin":
		name = "open"
	case "windows":
		name = "explorer"
	}
	if err := exec.Command(name, url).Start(); err != nil {
		fmt.Fprintf(io.Err, "aloft console: could not open a browser (%v); open %s yourself\n", err, url)
	}
}
