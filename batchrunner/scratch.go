package batchrunner

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The scratch directory of an attempt: the task's inputs and outputs, and
// its working directory when the task has no Dir.
const (
	scratchInputs  = "inputs"
	scratchOutputs = "outputs"
)

// ScratchPool recycles the scratch directories of the attempts that one
// process runs (the local executor passes one to every Run). When an
// attempt is over, what it left in its scratch directory is removed as
// before, but the directory itself and its inputs/ and outputs/ are handed
// on to the next attempt if they are as they were made (same modes, real
// directories): making and removing three directories costs more than a
// short task does on many file systems. The directory is renamed for each
// attempt that uses it, so its name still tells whose it is.
//
// Idle directories are removed after a few seconds, and at once by Drain.
// A nil *ScratchPool recycles nothing.
type ScratchPool struct {
	mu    sync.Mutex
	idle  []scratchDir
	timer *time.Timer
}

// scratchIdle is how long a directory waits in the pool before it is
// removed; scratchMax is how many may wait.
const (
	scratchIdle = 2 * time.Second
	scratchMax  = 64
)

// scratchDir is one scratch directory and the modes it was made with.
type scratchDir struct {
	parent, path string
	modes        [3]fs.FileMode // the directory, inputs/, outputs/
}

// NewScratchPool makes an empty pool.
func NewScratchPool() *ScratchPool { return &ScratchPool{} }

// Drain removes the idle directories. The pool stays usable.
func (p *ScratchPool) Drain() {
	if p == nil {
		return
	}
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.mu.Unlock()
	for _, d := range idle {
		_ = os.RemoveAll(d.path)
	}
}

// take returns an idle directory under parent, renamed to prefix followed
// by a random number, if the pool has one.
func (p *ScratchPool) take(parent, prefix string) (scratchDir, bool) {
	if p == nil {
		return scratchDir{}, false
	}
	for {
		p.mu.Lock()
		i := len(p.idle) - 1
		for i >= 0 && p.idle[i].parent != parent {
			i--
		}
		if i < 0 {
			p.mu.Unlock()
			return scratchDir{}, false
		}
		d := p.idle[i]
		p.idle = append(p.idle[:i], p.idle[i+1:]...)
		p.mu.Unlock()
		name := filepath.Join(parent, prefix+randomSuffix())
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) && os.Rename(d.path, name) == nil {
			d.path = name
			return d, true
		}
		_ = os.RemoveAll(d.path)
	}
}

// put empties a used directory and takes it back if it is as it was
// made, and reports whether it did; the caller removes it otherwise.
func (p *ScratchPool) put(d scratchDir) bool {
	if p == nil || !d.reset() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) >= scratchMax {
		return false
	}
	p.idle = append(p.idle, d)
	if p.timer == nil {
		p.timer = time.AfterFunc(scratchIdle, p.Drain)
	} else {
		p.timer.Reset(scratchIdle)
	}
	return true
}

// reset removes what an attempt left in the directory but inputs/ and
// outputs/ themselves, and reports whether the directory is now as it was
// made: an empty inputs/ and outputs/, all three real directories with
// the modes they were made with. It reads each directory once.
func (d scratchDir) reset() bool {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return false
	}
	kept := 0
	for _, e := range entries {
		p := filepath.Join(d.path, e.Name())
		if (e.Name() == scratchInputs || e.Name() == scratchOutputs) && e.IsDir() {
			sub, err := os.ReadDir(p)
			if err != nil {
				return false
			}
			for _, s := range sub {
				if os.RemoveAll(filepath.Join(p, s.Name())) != nil {
					return false
				}
			}
			kept++
			continue
		}
		if os.RemoveAll(p) != nil {
			return false
		}
	}
	if kept != 2 {
		return false
	}
	for i, p := range []string{d.path, filepath.Join(d.path, scratchInputs), filepath.Join(d.path, scratchOutputs)} {
		fi, err := os.Lstat(p)
		if err != nil || !fi.IsDir() || fi.Mode() != d.modes[i] {
			return false
		}
	}
	return true
}

// scratchPrefix starts the name of a scratch directory this process makes
// for the attempt label: aloft-pid<pid>-<label>-, then a random number.
// The pid tells RemoveStaleScratch whose it is.
func scratchPrefix(label string) string {
	return scratchOwnerMark + strconv.Itoa(os.Getpid()) + "-" + safeName(label) + "-"
}

const scratchOwnerMark = "aloft-pid"

// RemoveStaleScratch removes the scratch directories under dir (a
// RunOptions.WorkDir, or os.TempDir() for the default) that were made by
// runner processes that are gone: a runner killed with -9 leaves its
// scratch directory behind, with copies of the attempt's inputs. Those of
// live processes, this one included, are kept. It returns the directories
// it removed; an error is that dir could not be read, or the first
// directory that could not be removed.
func RemoveStaleScratch(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var firstErr error
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), scratchOwnerMark)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || processExists(pid) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(p); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		removed = append(removed, p)
	}
	return removed, firstErr
}

// processExists reports whether a process pid exists (one of another user
// counts).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// makeScratch makes a scratch directory under parent, named prefix
// followed by a random number, with an empty inputs/ and outputs/.
func makeScratch(parent, prefix string) (scratchDir, error) {
	dir, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return scratchDir{}, err
	}
	d := scratchDir{parent: parent, path: dir}
	for i, p := range []string{dir, filepath.Join(dir, scratchInputs), filepath.Join(dir, scratchOutputs)} {
		if i > 0 {
			err = os.Mkdir(p, 0o777)
		}
		var fi fs.FileInfo
		if err == nil {
			fi, err = os.Lstat(p)
		}
		if err != nil {
			_ = os.RemoveAll(dir)
			return scratchDir{}, err
		}
		d.modes[i] = fi.Mode()
	}
	return d, nil
}

func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatUint(binary.LittleEndian.Uint64(b[:])>>32, 10)
}
