package localstack

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// mainTB is the testing.TB that TestMain hands the peer starters
// (internal/testpeers), so that the peers start once for the whole package
// and live until every test has run. It implements what those starters
// call: Helper, Fatal(f), Log(f), TempDir, Cleanup, Failed. Any other
// method panics (the embedded interface is nil).
type mainTB struct {
	testing.TB

	mu       sync.Mutex
	cleanups []func()
	dirs     []string
	failed   bool
}

func (m *mainTB) Helper() {}

func (m *mainTB) Name() string { return "TestMain" }

func (m *mainTB) Log(args ...any) { fmt.Fprintln(os.Stderr, args...) }

func (m *mainTB) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// Fatal reports the failure, stops what was started and exits: nothing has
// run yet that a later step could still rescue.
func (m *mainTB) Fatal(args ...any) {
	m.fail(fmt.Sprint(args...))
}

func (m *mainTB) Fatalf(format string, args ...any) {
	m.fail(fmt.Sprintf(format, args...))
}

func (m *mainTB) fail(msg string) {
	fmt.Fprintln(os.Stderr, "localstack e2e setup:", msg)
	if strings.Contains(msg, "not installed") {
		fmt.Fprintln(os.Stderr, "the suite's peers: run scripts/install-peers.sh and scripts/install-lambda-rie.sh")
	}
	m.setFailed()
	m.close()
	fmt.Println("FAIL")
	os.Exit(1)
}

func (m *mainTB) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	m.setFailed()
}

func (m *mainTB) setFailed() {
	m.mu.Lock()
	m.failed = true
	m.mu.Unlock()
}

func (m *mainTB) Failed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.failed
}

func (m *mainTB) TempDir() string {
	dir, err := os.MkdirTemp("", "aloft-e2e-")
	if err != nil {
		m.Fatalf("make a temporary directory: %v", err)
	}
	m.mu.Lock()
	m.dirs = append(m.dirs, dir)
	m.mu.Unlock()
	return dir
}

func (m *mainTB) Cleanup(f func()) {
	m.mu.Lock()
	m.cleanups = append(m.cleanups, f)
	m.mu.Unlock()
}

// close runs the cleanups, last registered first, then removes the
// temporary directories.
func (m *mainTB) close() {
	m.mu.Lock()
	fs, dirs := m.cleanups, m.dirs
	m.cleanups, m.dirs = nil, nil
	m.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
}
