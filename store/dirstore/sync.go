package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"
	"syscall"
)

// syncWorkers bounds the fsyncs Sync runs at once; file systems with a
// journal fold concurrent fsyncs into fewer commits.
const syncWorkers = 8

// syncfsFrom is how many changed paths make Sync flush whole file systems
// (syncfs(2), where there is one) instead of fsyncing path by path: one
// call then writes everything back and commits the journal once, which
// costs far less than hundreds of fsyncs, at the price of also flushing
// what other programs left dirty on the same file system.
const syncfsFrom = 32

// maxDirty is how many written files Put lets wait for a Sync before it
// runs one itself.
const maxDirty = 1 << 16

// dirtySet is what Put and Delete changed since the last Sync.
type dirtySet struct {
	files map[string]struct{}
	dirs  map[string]struct{}
}

func newDirtySet() dirtySet {
	return dirtySet{files: map[string]struct{}{}, dirs: map[string]struct{}{}}
}

func (d dirtySet) add(file string, dirs []string) {
	if file != "" {
		d.files[file] = struct{}{}
	}
	for _, dir := range dirs {
		d.dirs[dir] = struct{}{}
	}
}

// Sync makes every Put and Delete made through this Store so far durable:
// it fsyncs each written file, then each changed directory, once, however
// many times it was written. It is the group commit of Decision 5: a shell
// persists a batch of objects, calls Sync once, then acts. Files deleted or
// replaced since are skipped or synced in their new version, which is
// harmless. On error the failed paths stay dirty for the next Sync.
//
// With many changed paths (syncfsFrom) on Linux it syncs the file systems
// that hold them instead, once each: the same guarantee, in one commit.
func (s *Store) Sync(ctx context.Context) error {
	s.waitDirs()
	defer s.synced()
	s.mu.Lock()
	d := s.dirty
	s.dirty = newDirtySet()
	s.mu.Unlock()

	if len(d.files)+len(d.dirs) >= syncfsFrom {
		done, err := syncFileSystems(ctx, d.dirs)
		if done {
			if err != nil {
				s.mu.Lock()
				for f := range d.files {
					s.dirty.files[f] = struct{}{}
				}
				for dir := range d.dirs {
					s.dirty.dirs[dir] = struct{}{}
				}
				s.mu.Unlock()
				return fmt.Errorf("sync %s: %w", s.root, err)
			}
			return nil
		}
	}
	failedFiles, err1 := fsyncAll(ctx, d.files)
	// Directories after files: a name must not become durable before the
	// content it names.
	failedDirs, err2 := fsyncAll(ctx, d.dirs)
	if err := errors.Join(err1, err2); err != nil {
		s.mu.Lock()
		for _, f := range failedFiles {
			s.dirty.files[f] = struct{}{}
		}
		for _, dir := range failedDirs {
			s.dirty.dirs[dir] = struct{}{}
		}
		s.mu.Unlock()
		return fmt.Errorf("sync %s: %w", s.root, err)
	}
	return nil
}

// fsyncAll fsyncs the paths, a few at a time, and returns those that failed.
func fsyncAll(ctx context.Context, paths map[string]struct{}) ([]string, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	var (
		mu     sync.Mutex
		failed []string
		errs   []error
		wg     sync.WaitGroup
		sem    = make(chan struct{}, syncWorkers)
	)
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		if err := ctx.Err(); err != nil {
			mu.Lock()
			failed = append(failed, p)
			errs = append(errs, err)
			mu.Unlock()
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fsyncPath(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				mu.Lock()
				failed = append(failed, p)
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return failed, errors.Join(errs[0], fmt.Errorf("%d of %d paths failed", len(errs), len(paths)))
	}
	return nil, nil
}

// fsyncPath fsyncs a file or directory by name. It uses the descriptor
// alone (no *os.File, which would try to register it with the poller).
func fsyncPath(p string) error {
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: p, Err: err}
	}
	err = syscall.Fsync(fd)
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return &fs.PathError{Op: "fsync", Path: p, Err: err}
	}
	return nil
}
