package dirstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aloft-run/aloft/store"
)

// maxCachedDigests bounds the digest cache; past it, entries are dropped at
// random and recomputed on their next miss.
const maxCachedDigests = 1 << 16

type cachedDigest struct {
	id  fileID
	hex string
}

// Get opens the object for reading. The reader is pinned to the version
// described by the Object: a concurrent Put replaces the file, not its
// content.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error) {
	if err := s.checkKey(key); err != nil {
		return nil, store.Object{}, fmt.Errorf("get %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, store.Object{}, fmt.Errorf("get %s: %w", key, err)
	}
	path := s.path(key)
	if err := s.checkRegular(path); err != nil {
		return nil, store.Object{}, notFound("get", key, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, store.Object{}, notFound("get", key, err)
	}
	id, sum, err := s.digestOpen(path, f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, store.Object{}, notFound("get", key, err)
	}
	return f, objectOf(key, id, sum), nil
}

// Head describes the object. It hashes the file only when its digest is not
// cached for the file's current (inode, size, mtime, ctime), e.g. for a file
// dropped into the directory by another program.
func (s *Store) Head(ctx context.Context, key string) (store.Object, error) {
	if err := s.checkKey(key); err != nil {
		return store.Object{}, fmt.Errorf("head %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return store.Object{}, fmt.Errorf("head %s: %w", key, err)
	}
	path := s.path(key)
	fi, err := os.Lstat(path)
	if err == nil && !fi.Mode().IsRegular() {
		err = errNotRegular
	}
	if err != nil {
		return store.Object{}, notFound("head", key, err)
	}
	obj, err := s.describe(key, path, fi)
	if err != nil {
		return store.Object{}, notFound("head", key, err)
	}
	return obj, nil
}

// List walks only the directories that can hold keys with the prefix, so
// "executions/a/" reads root/executions/a and nothing else. Symbolic links
// and other non-regular files are not objects and are skipped.
func (s *Store) List(ctx context.Context, prefix string) ([]store.Object, error) {
	return s.list(ctx, prefix, s.describe)
}

// ListKeys is List without digests (store.KeyLister): Digest and ETag are
// empty, so no file is read, only its directory entry and size.
func (s *Store) ListKeys(ctx context.Context, prefix string) ([]store.Object, error) {
	return s.list(ctx, prefix, func(key, _ string, fi fs.FileInfo) (store.Object, error) {
		return store.Object{Key: key, Size: fi.Size(), Modified: fi.ModTime().UTC()}, nil
	})
}

func (s *Store) list(ctx context.Context, prefix string, describe func(key, path string, fi fs.FileInfo) (store.Object, error)) ([]store.Object, error) {
	dirKey, namePrefix := splitPrefix(prefix)
	if strings.IndexByte(prefix, 0) >= 0 || (dirKey != "" && s.checkKey(dirKey) != nil) {
		return nil, nil // no valid key starts with this prefix
	}
	dir := filepath.Join(s.root, filepath.FromSlash(dirKey))
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", prefix, err)
	}
	var objs []store.Object
	visit := func(path string, d fs.DirEntry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if path == filepath.Join(s.root, HiddenDir) {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		key, _ := s.keyOfPath(path)
		fi, err := d.Info()
		if err != nil {
			return nil // removed while we walked
		}
		obj, err := describe(key, path, fi)
		if err != nil {
			return nil // removed while we hashed it
		}
		objs = append(objs, obj)
		return nil
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), namePrefix) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if !e.IsDir() {
			err = visit(p, e)
		} else {
			err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					if errors.Is(err, fs.ErrNotExist) {
						return nil
					}
					return err
				}
				return visit(path, d)
			})
		}
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", prefix, err)
		}
	}
	slices.SortFunc(objs, func(a, b store.Object) int { return strings.Compare(a.Key, b.Key) })
	return objs, nil
}

// splitPrefix cuts a list prefix into the directory that holds all its keys
// and the prefix their first name below it must have: "data/ab" gives
// ("data", "ab"), "data/" gives ("data", "").
func splitPrefix(prefix string) (dirKey, name string) {
	i := strings.LastIndexByte(prefix, '/')
	if i < 0 {
		return "", prefix
	}
	return prefix[:i], prefix[i+1:]
}

func (s *Store) checkRegular(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return errNotRegular
	}
	return nil
}

// describe returns the Object for the file at path, whose Lstat is fi.
func (s *Store) describe(key, path string, fi fs.FileInfo) (store.Object, error) {
	id := idOf(fi)
	if sum, ok := s.cachedDigest(path, id); ok {
		return objectOf(key, id, sum), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return store.Object{}, err
	}
	defer f.Close()
	id, sum, err := s.digestOpen(path, f)
	if err != nil {
		return store.Object{}, err
	}
	return objectOf(key, id, sum), nil
}

// digestOpen returns the identity and sha256 hex of the open file f, from
// the cache or by reading f (leaving its offset anywhere).
func (s *Store) digestOpen(path string, f *os.File) (fileID, string, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileID{}, "", err
	}
	if !fi.Mode().IsRegular() {
		return fileID{}, "", errNotRegular
	}
	id := idOf(fi)
	if sum, ok := s.cachedDigest(path, id); ok {
		return id, sum, nil
	}
	id, sum, err := s.hashOpen(path, f, id)
	if err == nil && s.cachedInMemory(path, id) {
		s.indexDigest(path, id, sum) // hashed a stable file: keep its digest for later processes
	}
	return id, sum, err
}

// hashOpen reads f from the start and caches its digest unless the file
// changed while it was read (someone writing it in place).
func (s *Store) hashOpen(path string, f *os.File, id fileID) (fileID, string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fileID{}, "", err
	}
	h := sha256.New()
	if _, err := copyBuffered(h, struct{ io.Reader }{f}); err != nil { // hide File.WriteTo, which brings its own buffer
		return fileID{}, "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if fi, err := f.Stat(); err == nil && idOf(fi) == id {
		s.rememberDigest(path, id, sum)
	}
	return id, sum, nil
}

// cachedInMemory reports whether path's digest at id is in memory.
func (s *Store) cachedInMemory(path string, id fileID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.digests[path]
	return ok && c.id == id
}

// cachedDigest returns path's digest at id from memory or the digest index.
func (s *Store) cachedDigest(path string, id fileID) (string, bool) {
	s.mu.Lock()
	c, ok := s.digests[path]
	s.mu.Unlock()
	if ok && c.id == id {
		return c.hex, true
	}
	return s.indexedDigest(path, id)
}

func (s *Store) rememberDigest(path string, id fileID, sum string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rememberDigestLocked(path, id, sum)
}

func (s *Store) rememberDigestLocked(path string, id fileID, sum string) {
	if _, ok := s.digests[path]; !ok && len(s.digests) >= maxCachedDigests {
		for p := range s.digests { // random victims
			delete(s.digests, p)
			if len(s.digests) < maxCachedDigests*7/8 {
				break
			}
		}
	}
	s.digests[path] = cachedDigest{id: id, hex: sum}
}

func objectOf(key string, id fileID, sum string) store.Object {
	return store.Object{
		Key:      key,
		Size:     id.size,
		ETag:     sum,
		Digest:   "sha256:" + sum,
		Modified: time.Unix(0, id.mtime).UTC(),
	}
}
