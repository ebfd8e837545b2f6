package dirstore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Creating a file (allocating its inode) is most of what a small Put costs
// on many file systems, up to a few hundred microseconds, while writing,
// linking and renaming cost a few. So Put takes its temp file from a small
// pool of unnamed files (O_TMPFILE, Linux) that a background goroutine
// refills: a burst of Puts, or a chain of them that waits on each other,
// does not wait for the allocations. Unnamed files vanish with the process
// whatever way it ends, so the pool leaves nothing behind; idle ones are
// closed after a while.
const (
	tmpPoolSize = 8
	tmpPoolIdle = 2 * time.Second
)

type tmpPool struct {
	once    sync.Once
	ok      bool // unnamed files work here (checked once)
	mu      sync.Mutex
	files   []*os.File
	filling bool
	idle    *time.Timer
}

// unnamedSupported reports whether the store's temp directory takes
// unnamed files that link(2) can name, trying it once.
func (s *Store) unnamedSupported() bool {
	p := &s.pool
	p.once.Do(func() {
		f, err := s.openUnnamedRetry()
		if err != nil {
			return
		}
		defer f.Close()
		name := filepath.Join(s.tmpDir, "probe-"+randomHex())
		if linkUnnamed(f, name) != nil {
			return
		}
		_ = os.Remove(name)
		p.ok = true
	})
	return p.ok
}

// takeUnnamed returns an unnamed file from the pool, or a new one, and
// has the pool refilled; ok is false where unnamed files are not supported.
func (s *Store) takeUnnamed() (f *os.File, ok bool, err error) {
	if !s.unnamedSupported() {
		return nil, false, nil
	}
	p := &s.pool
	p.mu.Lock()
	if n := len(p.files); n > 0 {
		f = p.files[n-1]
		p.files = p.files[:n-1]
	}
	if !p.filling && len(p.files) <= tmpPoolSize/2 {
		// Refill in batches: a goroutine per Put would cost more in
		// scheduling than the files it makes ahead.
		p.filling = true
		go s.fillPool()
	}
	if p.idle == nil {
		p.idle = time.AfterFunc(tmpPoolIdle, s.drainPool)
	} else {
		p.idle.Reset(tmpPoolIdle)
	}
	p.mu.Unlock()
	if f != nil {
		return f, true, nil
	}
	f, err = s.openUnnamedRetry()
	return f, true, err
}

// fillPool makes unnamed files until the pool is full.
func (s *Store) fillPool() {
	p := &s.pool
	for {
		p.mu.Lock()
		if len(p.files) >= tmpPoolSize {
			p.filling = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		f, err := openUnnamed(s.tmpDir) // never remakes the directory: only a Put may
		p.mu.Lock()
		if err != nil {
			p.filling = false
			p.mu.Unlock()
			return
		}
		p.files = append(p.files, f)
		p.mu.Unlock()
	}
}

// drainPool closes the idle files (which frees them).
func (s *Store) drainPool() {
	p := &s.pool
	p.mu.Lock()
	files := p.files
	p.files = nil
	p.mu.Unlock()
	for _, f := range files {
		_ = f.Close()
	}
}

// openUnnamedRetry is openUnnamed, remaking the temp directory if someone
// removed it.
func (s *Store) openUnnamedRetry() (*os.File, error) {
	f, err := openUnnamed(s.tmpDir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(s.tmpDir, 0o777); err != nil {
			return nil, err
		}
		f, err = openUnnamed(s.tmpDir)
	}
	return f, err
}
