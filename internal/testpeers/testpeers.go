// Package testpeers starts the third-party servers that aloft's adapter and
// end-to-end tests run against, as real processes on 127.0.0.1: versitygw
// (an S3 gateway over a directory) and fauxqs (an SQS emulator on Node 22).
// See shared/TESTING.md for why these peers.
//
// scripts/install-peers.sh installs them under <repo>/.tools. A test that
// needs a peer that is not installed fails (it is never skipped), with a
// message saying to run that script. Each Start function stops its server
// when the test ends, and the servers die with the test process.
//
// It deliberately leaves out installing anything itself (a test does not
// download), and any peer that runs in-process (gofakes3,
// fake-gcs-server): tests start those directly.
package testpeers

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"golang.org/x/mod/modfile"
)

// Module is the module path that marks the repository root.
const Module = "github.com/aloft-run/aloft"

// RepoRoot returns the directory holding the go.mod of module
// github.com/aloft-run/aloft, found by walking up from the working directory
// (a test's working directory is its package's directory).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && modfile.ModulePath(b) == Module {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find repository root: no go.mod of module %s above the working directory", Module)
		}
		dir = parent
	}
}

// errNotInstalled is wrapped by the lookups' errors.
var errNotInstalled = errors.New("not installed: run scripts/install-peers.sh")

// findTool returns the first existing candidate: the path in the
// environment variable env, then <repo>/rel, then name on PATH (when name
// is not ""). accept, if not nil, vets a candidate found on PATH.
func findTool(what, env, rel, name string, accept func(path string) bool) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: $%s=%s: %w", what, env, p, err)
		}
		return p, nil
	}
	if root, err := RepoRoot(); err == nil {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if name != "" {
		if p, err := exec.LookPath(name); err == nil && (accept == nil || accept(p)) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s %w", what, errNotInstalled)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is a started peer: its command and the tail of its output.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// startProcess starts cmd with its output kept in a tail buffer (and teed
// to extra, if not nil), and stops it when the test ends: SIGTERM, then
// SIGKILL after 5 s. On Linux the process also gets SIGKILL if the test
// process dies first.
func startProcess(t testing.TB, name string, cmd *exec.Cmd, extra func([]byte)) (*process, error) {
	p := &process{name: name, cmd: cmd, out: &tailBuffer{max: 16 << 10, tee: extra}, done: make(chan struct{})}
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s output (last %d bytes):\n%s", name, p.out.max, p.out.String())
		}
	})
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// waitUntil polls ready every 20ms until it returns nil, the process
// exits or timeout passes; the error says which, with the process's output.
func (p *process) waitUntil(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if p.exited() {
			return errors.New(p.describe())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer after %v (%v); %s", timeout, err, p.describe())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// awsConfig is an AWS configuration for a local peer: its region, static
// credentials and its endpoint as BaseEndpoint.
func awsConfig(region, accessKey, secretKey, endpoint string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// describe says how a process that should be serving ended, with its output.
func (p *process) describe() string {
	status := "is still running"
	if p.exited() {
		status = fmt.Sprintf("exited (%v)", p.err)
	}
	return fmt.Sprintf("%s %s; its output:\n%s", p.name, status, p.out.String())
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
	tee func([]byte)
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tee != nil {
		b.tee(p)
	}
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
