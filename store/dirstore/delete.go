package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Delete removes the object's file (deleting a missing key is not an error)
// and then, best effort, the directories it leaves empty, up to the root
// and never a directory that a Watch is rooted at.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := s.checkKey(key); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	path := s.path(key)
	removed := false
	err := s.withLock(key, func() error {
		fi, err := os.Lstat(path)
		if err != nil || fi.IsDir() { // a directory is not an object
			return nil
		}
		err = os.Remove(path)
		removed = err == nil
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if !removed {
		return nil
	}
	s.mu.Lock()
	delete(s.digests, path)
	s.forgetOwnWriteLocked(path)
	s.mu.Unlock()
	s.unindex(path)
	s.prune(filepath.Dir(path))
	return nil
}

// prune removes dir and its ancestors while they are empty.
func (s *Store) prune(dir string) {
	changed := []string{dir}
	for dir != s.root && len(dir) > len(s.root) && !s.isWatchRoot(dir) {
		if err := syscall.Rmdir(dir); err != nil {
			break // not empty, or gone already
		}
		dir = filepath.Dir(dir)
		changed = append(changed, dir)
	}
	s.mu.Lock()
	if !s.opts.SyncEveryPut {
		s.dirty.add("", changed)
	}
	s.mu.Unlock()
	if s.opts.SyncEveryPut {
		for _, d := range changed {
			_ = fsyncPath(d)
		}
	}
}
