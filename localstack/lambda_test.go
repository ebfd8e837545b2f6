package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// lambdaFn is one function's bootstrap binary running under aws-lambda-rie,
// the Lambda Runtime Interface Emulator: one execution environment, so one
// invocation at a time (a second concurrent one is refused by the
// emulator, as a busy Lambda instance would not take it).
type lambdaFn struct {
	name string
	url  string // the invocation endpoint
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{}

	mu     sync.Mutex // one invocation at a time
	client *http.Client
}

// funcError is a handler's error, as Lambda reports it: the emulator
// answers HTTP 200 without X-Amz-Function-Error, with the error as the body.
type funcError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *funcError) Error() string { return e.Type + ": " + e.Message }

// startLambda runs bootstrap under rie, with env added to this process's
// environment, on two free loopback ports (the emulator's invocation API
// and the runtime API), and waits until it listens.
func startLambda(rie, name, bootstrap, dir string, env []string, log *flowLog) (*lambdaFn, error) {
	var lastErr error
	for range 3 { // a port found free may be taken before rie binds it
		f, err := tryStartLambda(rie, name, bootstrap, dir, env, log)
		if err == nil {
			return f, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func tryStartLambda(rie, name, bootstrap, dir string, env []string, log *flowLog) (*lambdaFn, error) {
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	riePort, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(riePort)
	cmd := exec.Command(rie,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		"--runtime-interface-emulator-address", addr,
		"--log-level", "error",
		bootstrap)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "AWS_LAMBDA_FUNCTION_NAME="+name, "AWS_LAMBDA_FUNCTION_TIMEOUT=120")
	f := &lambdaFn{
		name: name, url: "http://" + addr + "/2015-03-31/functions/function/invocations",
		cmd: cmd, out: &tailBuffer{max: 64 << 10, tee: log.lines(name + " | ")}, done: make(chan struct{}),
		client: &http.Client{Timeout: 150 * time.Second},
	}
	cmd.Stdout, cmd.Stderr = f.out, f.out
	// Its own process group (rie starts the bootstrap as its child), killed
	// with the test process.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start aws-lambda-rie for %s: %w", name, err)
	}
	go func() { _ = cmd.Wait(); close(f.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return f, nil
		}
		select {
		case <-f.done:
			return nil, fmt.Errorf("aws-lambda-rie for %s exited: %s", name, f.out.String())
		default:
		}
		if time.Now().After(deadline) {
			f.stop()
			return nil, fmt.Errorf("aws-lambda-rie for %s does not listen on %s: %s", name, addr, f.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// invoke invokes the function synchronously (RequestResponse) and returns
// its result; a handler error comes back as *funcError.
func (f *lambdaFn) invoke(ctx context.Context, payload []byte) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: read the response: %w", f.name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("invoke %s: HTTP %d: %s", f.name, resp.StatusCode, body)
	}
	if fe := asFuncError(body); fe != nil {
		return nil, fe
	}
	if resp.Header.Get("X-Amz-Function-Error") != "" {
		return nil, &funcError{Type: resp.Header.Get("X-Amz-Function-Error"), Message: string(body)}
	}
	return body, nil
}

// asFuncError recognizes the error document a failed handler leaves as the
// response: an object with errorMessage and errorType (and maybe
// stackTrace), nothing else.
func asFuncError(body []byte) *funcError {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return nil
	}
	_, hasMsg := doc["errorMessage"]
	_, hasType := doc["errorType"]
	if !hasMsg || !hasType {
		return nil
	}
	for k := range doc {
		if k != "errorMessage" && k != "errorType" && k != "stackTrace" {
			return nil
		}
	}
	var fe funcError
	_ = json.Unmarshal(body, &fe)
	return &fe
}

func (f *lambdaFn) stop() {
	if f.cmd.Process == nil {
		return
	}
	select {
	case <-f.done:
		return
	default:
	}
	_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-f.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
		<-f.done
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written to it, and hands each
// complete line to tee.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	partial []byte
	tee     func(line string)
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	if b.tee != nil {
		b.partial = append(b.partial, p...)
		for {
			i := bytes.IndexByte(b.partial, '\n')
			if i < 0 {
				break
			}
			b.tee(string(b.partial[:i]))
			b.partial = b.partial[i+1:]
		}
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// flowLog is the suite's terse account of what flows between the pieces
// (events, invocations, function logs). It goes to stderr under -v and is
// otherwise kept (the last 256 KiB) and printed when a test fails.
type flowLog struct {
	start   time.Time
	verbose bool
	buf     *tailBuffer
}

func newFlowLog(verbose bool) *flowLog {
	return &flowLog{start: time.Now(), verbose: verbose, buf: &tailBuffer{max: 256 << 10}}
}

func (l *flowLog) printf(format string, args ...any) {
	line := fmt.Sprintf("%7.2fs %s\n", time.Since(l.start).Seconds(), fmt.Sprintf(format, args...))
	if l.verbose {
		os.Stderr.WriteString(line)
	}
	l.buf.Write([]byte(line))
}

// lines returns a tee for a process's output: each line, shortened, with
// the emulator's per-invocation chatter left out.
func (l *flowLog) lines(prefix string) func(string) {
	return func(line string) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "START RequestId") || strings.HasPrefix(line, "END RequestId") ||
			strings.HasPrefix(line, "REPORT RequestId") {
			return
		}
		if len(line) > 400 {
			line = line[:400] + "…"
		}
		l.printf("%s%s", prefix, line)
	}
}

var errNoRIE = errors.New("aws-lambda-rie not installed: run scripts/install-peers.sh and scripts/install-lambda-rie.sh")
