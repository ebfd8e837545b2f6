// Command spawnfloor runs the processes of scripts/bench-vs-make.sh's
// shapes and nothing else: the floor a Go program pays for process
// start-up, next to which aloft's own work per task can be judged.
//
//	spawnfloor [-records DIR] fan N     true 0; then true 1..N, two at a time; then true -1
//	spawnfloor [-records DIR] chain N   true 1, true 2, ... true N, one after another
//
// Each worker forks and reaps its own processes (syscall.ForkExec, wait4)
// on a locked thread, with no hand-offs between goroutines.
//
// With -records it also writes, for each task, the least that the bucket
// layout asks of one attempt, in DIR: the directories data/<exec>/<node>/
// and data/<exec>/<node>/<attempt>/, then inputs.json and claim.json before
// the process starts and outputs.json and a catalog entry after it ends.
// Each file is created in place and written once (no temporary file, no
// hashing), and one syncfs(2) at the end makes them all durable, as a run
// must be before it reports success (Decision 5 allows no less), so this is
// a lower bound for any shell that keeps those records: what the file
// system charges for them on this machine.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/aloft-run/aloft/layout"
)

func main() {
	records := flag.String("records", "", "also write each attempt's records under this directory")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, "usage: spawnfloor [-records DIR] fan|chain N") }
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	shape := flag.Arg(0)
	n, err := strconv.Atoi(flag.Arg(1))
	if err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "spawnfloor: N must be a positive integer")
		os.Exit(2)
	}
	path, err := exec.LookPath("true")
	must(err)
	devNull, err := os.Open(os.DevNull)
	must(err)
	attr := &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{devNull.Fd(), devNull.Fd(), devNull.Fd()},
		Sys: &syscall.SysProcAttr{Setpgid: true}}
	rec := recorder{root: *records}
	rec.init()
	run := func(i int64) {
		rec.before(i)
		defer rec.after(i)
		pid, err := syscall.ForkExec(path, []string{"true", strconv.FormatInt(i, 10)}, attr)
		must(err)
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
	}
	runtime.LockOSThread()
	switch shape {
	case "chain":
		for i := int64(1); i <= int64(n); i++ {
			run(i)
		}
	case "fan":
		run(0)
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				runtime.LockOSThread()
				for i := next.Add(1); i <= int64(n); i = next.Add(1) {
					run(i)
				}
			})
		}
		wg.Wait()
		run(-1)
	default:
		fmt.Fprintln(os.Stderr, "spawnfloor: shape must be fan or chain")
		os.Exit(2)
	}
	rec.sync()
}

// recorder writes the records of -records; with no root it does nothing.
type recorder struct{ root string }

// record is the content of each record: about the size of a small
// attempt's inputs.json.
var record = []byte(`{"project":"default","domain":"development","exec":"spawnfloor","node":"t","attempt":1,` +
	`"task":{"name":"noop","inputs":[{"name":"i","type":"int"}],"command":["true","{{inputs.i}}"]},` +
	`"inputs":{"i":{"int":1}},"outputs":{},"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}`)

// init makes the directories that all attempts share.
func (r recorder) init() {
	if r.root == "" {
		return
	}
	must(os.MkdirAll(r.path(layout.ExecDataPrefix(recordsExec)), 0o777))
	must(os.MkdirAll(r.path(layout.CatalogRoot), 0o777))
}

// sync makes the records durable: one syncfs of their file system.
func (r recorder) sync() {
	if r.root == "" {
		return
	}
	fd, err := syscall.Open(r.root, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	must(err)
	must(syncFS(fd))
	must(syscall.Close(fd))
}

// recordsExec is the execution the records belong to.
const recordsExec = "spawnfloor"

// path is the file of a bucket key (or a folder, for a prefix) under root.
func (r recorder) path(key string) string {
	return filepath.Join(r.root, filepath.FromSlash(key))
}

func (r recorder) attempt(i int64) string {
	return r.path(layout.AttemptPrefix(recordsExec, "t"+strconv.FormatInt(i, 10), -1, 1))
}

func (r recorder) before(i int64) {
	if r.root == "" {
		return
	}
	dir := r.attempt(i)
	must(os.Mkdir(filepath.Dir(dir), 0o777))
	must(os.Mkdir(dir, 0o777))
	write(filepath.Join(dir, layout.InputsFile))
	write(filepath.Join(dir, layout.ClaimFile))
}

func (r recorder) after(i int64) {
	if r.root == "" {
		return
	}
	write(filepath.Join(r.attempt(i), layout.OutputsFile))
	write(filepath.Join(r.path(layout.CatalogRoot), "k"+strconv.FormatInt(i, 10)+".json"))
}

// write creates name, which must not exist, and writes the record to it.
func write(name string) {
	fd, err := syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o666)
	must(err)
	_, err = syscall.Write(fd, record)
	must(err)
	must(syscall.Close(fd))
}

// must ends the program with status 1 on an error.
func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "spawnfloor:", err)
		os.Exit(1)
	}
}
