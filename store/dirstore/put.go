package dirstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/aloft-run/aloft/store"
)

// Put writes the object to a temp file under the hidden directory, then
// moves it into place, so readers see the old object or the new one, never
// a mix:
//
//   - IfAbsent: link(2) of the temp file onto the key's path, which fails
//     if the path exists — atomic across processes without a lock;
//   - IfMatch: under the key's lock (flock, shared by all processes), re-hash
//     the current file, compare with opts.IfMatch, rename;
//   - otherwise: rename under the key's lock, so an unconditional Put never
//     slips between another writer's IfMatch check and its rename.
//
// IfMatch on a missing key returns ErrConflict. Put does not fsync (see
// Sync) unless the store was opened with SyncEveryPut; then a failed fsync
// of the directory is reported although the object is in place.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error) {
	obj, err := s.put(ctx, key, r, opts)
	if err != nil {
		return store.Object{}, fmt.Errorf("put %s: %w", key, err)
	}
	return obj, nil
}

func (s *Store) put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error) {
	if err := s.checkKey(key); err != nil {
		return store.Object{}, err
	}
	if opts.IfAbsent && opts.IfMatch != "" {
		return store.Object{}, errors.New("both IfAbsent and IfMatch set")
	}
	t, err := s.writeTemp(ctx, r)
	if err != nil {
		return store.Object{}, err
	}
	defer t.discard()
	path := s.path(key)
	var dirs []string
	switch {
	case opts.IfAbsent:
		dirs, err = s.installNew(t, key, path)
	case opts.IfMatch != "":
		err = s.withLock(key, func() error {
			cur, old, err := s.currentETag(path)
			if err != nil {
				return err
			}
			defer closeLater(old)
			if cur != opts.IfMatch {
				return store.ErrConflict
			}
			dirs, err = s.installReplace(t, key, path)
			return err
		})
	default:
		err = s.withLock(key, func() (err error) {
			old, _ := openNoBlock(path) // nil if absent
			defer closeLater(old)
			dirs, err = s.installReplace(t, key, path)
			return err
		})
	}
	if err != nil {
		return store.Object{}, err
	}
	return s.afterInstall(ctx, t, key, path, dirs)
}

// afterInstall records the new file (digest cache, dirty set or fsync of its
// directories) and tells subscribers.
func (s *Store) afterInstall(ctx context.Context, t *tempFile, key, path string, dirs []string) (store.Object, error) {
	id := t.id // the object is in place: no error from here on but a failed fsync
	if fi, err := t.f.Stat(); err == nil {
		id = idOf(fi) // after the link or rename, which change the ctime
	}
	s.mu.Lock()
	s.rememberDigestLocked(path, id, t.sum)
	flush := false
	if !s.opts.SyncEveryPut {
		s.dirty.add(path, dirs)
		flush = len(s.dirty.files) >= maxDirty
	}
	s.mu.Unlock()
	if flush {
		// A caller that never calls Sync must not grow the set forever.
		// A failure leaves the paths dirty for the next Sync.
		_ = s.Sync(ctx)
	}
	if s.opts.SyncEveryPut {
		for _, d := range dirs {
			if err := fsyncPath(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return store.Object{}, err
			}
		}
	}
	obj := objectOf(key, id, t.sum)
	s.publish(store.Event{Key: key, Size: obj.Size, ETag: obj.ETag, Digest: obj.Digest, Body: t.small})
	return obj, nil
}

// currentETag hashes the file at path afresh: a conditional write never
// trusts the digest cache, whose (inode, size, mtime, ctime) key another
// process's quick rewrites could in principle reproduce. It returns the
// file still open, for closeLater (nil with an error).
func (s *Store) currentETag(path string) (string, *os.File, error) {
	f, err := openNoBlock(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return "", nil, store.ErrConflict
	}
	if err != nil {
		return "", nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = store.ErrConflict
	}
	var sum string
	if err == nil {
		_, sum, err = s.hashOpen(path, f, idOf(fi))
	}
	if err != nil {
		f.Close()
		return "", nil, err
	}
	return sum, f, nil
}

// openNoBlock opens path for reading without waiting for a writer, should
// it be a FIFO someone put in the store's tree.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// closeLater closes f on another goroutine. A Put that replaces a file
// holds the old version open across the rename, so that the rename does
// not free the old inode and its blocks (costly on some file systems) on
// the writer's path: the last close does, off it.
func closeLater(f *os.File) {
	if f != nil {
		go f.Close()
	}
}

// installNew links the temp file to path; ErrConflict if path exists.
func (s *Store) installNew(t *tempFile, key, path string) ([]string, error) {
	undo := s.expectOwnWrite(key, path, t.id)
	if t.name == "" { // unnamed: linkat gives it the name, if absent
		dirs, err := s.withParent(path, func() error { return linkUnnamed(t.f, path) })
		switch {
		case err == nil:
			return dirs, nil
		case errors.Is(err, fs.ErrExist):
			undo()
			return nil, store.ErrConflict
		case !noHardLinks(err):
			undo()
			return nil, err
		}
		// No hard links here: name it, and check and rename as below.
		undo()
		if err := s.nameTemp(t); err != nil {
			return nil, err
		}
		undo = s.expectOwnWrite(key, path, t.id) // a copy has another identity
	}
	dirs, err := s.withParent(path, func() error { return os.Link(t.name, path) })
	switch {
	case err == nil:
		_ = os.Remove(t.name) // before afterInstall's fstat: unlinking changes the ctime
		t.removed = true
		return dirs, nil
	case errors.Is(err, fs.ErrExist):
		err = store.ErrConflict
	case noHardLinks(err):
		// No hard links here (some FUSE and FAT file systems): check and
		// rename under the key's lock, which every dirstore writer takes.
		err = s.withLock(key, func() error {
			if _, err := os.Lstat(path); err == nil {
				return store.ErrConflict
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			dirs, err = s.withParent(path, func() error { return os.Rename(t.name, path) })
			return err
		})
		if err == nil {
			t.removed = true
			return dirs, nil
		}
	}
	undo()
	return nil, err
}

// noHardLinks reports whether a link failed because the file system has no
// hard links.
func noHardLinks(err error) bool {
	return errors.Is(err, errors.ErrUnsupported) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EMLINK)
}

// installReplace renames the temp file onto path. The caller holds the
// key's lock.
func (s *Store) installReplace(t *tempFile, key, path string) ([]string, error) {
	if t.name == "" {
		if err := s.nameTemp(t); err != nil {
			return nil, err
		}
	}
	undo := s.expectOwnWrite(key, path, t.id)
	dirs, err := s.withParent(path, func() error { return os.Rename(t.name, path) })
	if err != nil {
		undo()
		return nil, err
	}
	t.removed = true
	return dirs, nil
}

// withParent runs place, creating path's parent directories and trying
// again when it fails for want of them (a concurrent Delete may prune an
// empty directory between our mkdir and our rename). It returns the
// directories whose entries changed: the parent, and the parents of any
// directory it created.
func (s *Store) withParent(path string, place func() error) ([]string, error) {
	parent := filepath.Dir(path)
	dirs := []string{parent}
	for attempt := 0; ; attempt++ {
		err := place()
		if err == nil || !errors.Is(err, fs.ErrNotExist) || attempt == 8 {
			return dirs, err
		}
		if err := s.mkdirAll(parent); err != nil {
			return dirs, err
		}
		for d := filepath.Dir(parent); len(d) >= len(s.root); d = filepath.Dir(d) {
			dirs = append(dirs, d)
			if d == s.root {
				break
			}
		}
	}
}

// tempFile is an object's content, written and hashed, waiting to be moved
// into place.
type tempFile struct {
	f       *os.File
	name    string // in the temp directory; "" while the file is unnamed
	sum     string // sha256 hex
	id      fileID // stable identity (no ctime), as the watcher will see it
	removed bool   // name is gone (installed or removed)
	small   []byte // the content, if it is at most store.SmallBody bytes
}

// smallCopy keeps a copy of what is written through it while that is at
// most store.SmallBody bytes.
type smallCopy struct {
	b    []byte
	over bool
}

func (c *smallCopy) Write(p []byte) (int, error) {
	if !c.over {
		if len(c.b)+len(p) > store.SmallBody {
			c.b, c.over = nil, true
		} else {
			c.b = append(c.b, p...)
		}
	}
	return len(p), nil
}

func (s *Store) writeTemp(ctx context.Context, r io.Reader) (*tempFile, error) {
	t := &tempFile{}
	f, unnamed, err := s.takeUnnamed()
	if err == nil && !unnamed {
		f, err = s.createTemp()
		if err == nil {
			t.name = f.Name()
		}
	}
	if err != nil {
		return nil, err
	}
	t.f = f
	h := sha256.New()
	small := &smallCopy{}
	_, err = copyBuffered(io.MultiWriter(f, h, small), ctxReader{ctx, r})
	var fi fs.FileInfo
	if err == nil {
		fi, err = s.settleTemp(f)
	}
	if err != nil {
		t.discard()
		return nil, err
	}
	t.sum = hex.EncodeToString(h.Sum(nil))
	t.id = idOf(fi).stable()
	if !small.over {
		t.small = small.b
		if t.small == nil {
			t.small = []byte{}
		}
	}
	return t, nil
}

// settleTemp makes a written temp file durable when the store syncs every
// Put, and returns what it now is.
func (s *Store) settleTemp(f *os.File) (fs.FileInfo, error) {
	if s.opts.SyncEveryPut {
		if err := f.Sync(); err != nil {
			return nil, err
		}
	}
	return f.Stat()
}

// nameTemp gives an unnamed temp file a name in the temp directory, for a
// rename; where that fails, it copies the content to a named temp file.
func (s *Store) nameTemp(t *tempFile) error {
	for range 8 {
		name := filepath.Join(s.tmpDir, "put-"+randomHex())
		err := linkUnnamed(t.f, name)
		if err == nil {
			t.name = name
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	f, err := s.createTemp()
	if err != nil {
		return err
	}
	_, err = t.f.Seek(0, io.SeekStart)
	if err == nil {
		_, err = copyBuffered(f, struct{ io.Reader }{t.f})
	}
	var fi fs.FileInfo
	if err == nil {
		fi, err = s.settleTemp(f)
	}
	if err != nil {
		f.Close()
		_ = os.Remove(f.Name())
		return err
	}
	t.f.Close()
	t.f, t.name, t.id = f, f.Name(), idOf(fi).stable()
	return nil
}

// createTemp makes a new file in the temp directory with the permissions an
// ordinary file gets (0666 less the umask), unlike os.CreateTemp's 0600:
// objects are meant to be read by other programs.
func (s *Store) createTemp() (*os.File, error) {
	for {
		name := filepath.Join(s.tmpDir, "put-"+randomHex())
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if errors.Is(err, fs.ErrNotExist) { // someone removed the hidden dir
			if err := os.MkdirAll(s.tmpDir, 0o777); err != nil {
				return nil, err
			}
			continue
		}
		return f, err
	}
}

func randomHex() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// discard closes the temp file and removes its name unless it was
// installed (an unnamed file goes with its descriptor).
func (t *tempFile) discard() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
	if !t.removed && t.name != "" {
		_ = os.Remove(t.name)
	}
	t.removed = true
}

// ctxReader stops a long copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

func copyBuffered(w io.Writer, r io.Reader) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	return io.CopyBuffer(w, r, *bp)
}
