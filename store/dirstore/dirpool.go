package dirstore

import (
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

// Directories cost what files cost to make, and an attempt's objects need
// two new ones (data/<exec>/<node>/<attempt>/). So, while a store is busy
// (it makes directories in quick succession and is being group-committed:
// Sync was called within the last second, as a shell driving a run does),
// and where rename(2) can refuse to replace (renameat2 RENAME_NOREPLACE,
// Linux), Put moves directories that a background goroutine made ahead of
// time, empty, in the temp directory, into place instead of making them on
// its path. They are named dir-<pid>-<random>: idle ones are removed after
// a while, and those of a process that died are removed by the next Open of
// the store. Sync waits for the goroutine, so nothing is being made in the
// tree once a shell's last commit is done (a test may then remove it).
const (
	dirPoolSize  = 4
	dirPoolIdle  = 2 * time.Second
	dirPoolBurst = 50 * time.Millisecond // a second directory within this starts the pool
	dirPrefix    = "dir-"
)

type dirPool struct {
	mu       sync.Mutex
	dirs     []string      // oldest first
	filling  chan struct{} // closed when the filling goroutine is done; nil: none
	off      bool          // renameNoReplace is not available
	probed   bool          // off was decided
	idle     *time.Timer
	lastTake time.Time
	lastSync time.Time // end of the last Sync
}

// mkdirAll makes dir and its missing ancestors below the root, with the
// permissions os.MkdirAll gives, using pre-made directories where it can.
func (s *Store) mkdirAll(dir string) error {
	var missing []string
	for d := dir; len(d) > len(s.root); d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := s.placeDir(missing[i]); err != nil {
			return os.MkdirAll(dir, 0o777)
		}
	}
	return nil
}

// placeDir makes the directory d (its parent exists), or finds it made.
func (s *Store) placeDir(d string) error {
	if pre := s.takeDir(); pre != "" {
		err := renameNoReplace(pre, d)
		if err == nil {
			return nil
		}
		_ = os.Remove(pre)
		if errors.Is(err, fs.ErrExist) {
			return nil // made meanwhile by someone else
		}
	}
	err := os.Mkdir(d, 0o777)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	return err
}

// takeDir returns a pre-made empty directory, or "", and has the pool
// refilled.
func (s *Store) takeDir() string {
	p := &s.dirs
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.off {
		return ""
	}
	var d string
	if len(p.dirs) > 0 {
		d = p.dirs[0]
		p.dirs = p.dirs[1:]
	}
	now := time.Now()
	if p.filling == nil && now.Sub(p.lastTake) < dirPoolBurst && now.Sub(p.lastSync) < time.Second {
		p.filling = make(chan struct{})
		go s.fillDirs(p.filling)
	}
	p.lastTake = now
	if p.idle == nil {
		p.idle = time.AfterFunc(dirPoolIdle, s.drainDirs)
	} else {
		p.idle.Reset(dirPoolIdle)
	}
	return d
}

// fillDirs makes directories until the pool is full, then closes done.
func (s *Store) fillDirs(done chan struct{}) {
	p := &s.dirs
	defer func() {
		p.mu.Lock()
		p.filling = nil
		p.mu.Unlock()
		close(done)
	}()
	prefix := filepath.Join(s.tmpDir, dirPrefix+strconv.Itoa(os.Getpid())+"-")
	for {
		p.mu.Lock()
		full := len(p.dirs) >= dirPoolSize || p.off
		p.mu.Unlock()
		if full {
			return
		}
		d := prefix + randomHex()
		if err := os.Mkdir(d, 0o777); err != nil { // never remakes the temp directory: only a Put may
			return
		}
		p.mu.Lock()
		probe := !p.probed
		p.mu.Unlock()
		if probe {
			ok := renameNoReplaceWorks(d)
			p.mu.Lock()
			p.probed, p.off = true, !ok
			p.mu.Unlock()
			if !ok {
				_ = os.Remove(d)
				return
			}
		}
		p.mu.Lock()
		p.dirs = append(p.dirs, d)
		p.mu.Unlock()
	}
}

// waitDirs waits for the goroutine filling the pool, if one runs.
func (s *Store) waitDirs() {
	s.dirs.mu.Lock()
	done := s.dirs.filling
	s.dirs.mu.Unlock()
	if done != nil {
		<-done
	}
}

// synced records the end of a Sync: the store is being group-committed.
func (s *Store) synced() {
	s.dirs.mu.Lock()
	s.dirs.lastSync = time.Now()
	s.dirs.mu.Unlock()
}

// drainDirs removes the idle pre-made directories.
func (s *Store) drainDirs() {
	p := &s.dirs
	p.mu.Lock()
	dirs := p.dirs
	p.dirs = nil
	p.mu.Unlock()
	for _, d := range dirs {
		_ = os.Remove(d)
	}
}

// isDeadProcessDir reports whether name is a pre-made directory of a
// process that is gone.
func isDeadProcessDir(name string) bool {
	rest, ok := strings.CutPrefix(name, dirPrefix)
	if !ok {
		return false
	}
	pidText, _, _ := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
