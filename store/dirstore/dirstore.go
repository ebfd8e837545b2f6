package dirstore

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aloft-run/aloft/store"
)

var (
	_ store.Store    = (*Store)(nil)
	_ store.Syncer   = (*Store)(nil)
	_ store.Notifier = (*Store)(nil)
)

// HiddenDir is the directory under the root that holds the store's own
// bookkeeping (temp files, lock files). List never returns it, Watch never
// looks into it, and no key may start with it.
const HiddenDir = ".aloft-tmp"

// staleTemp is how old an untouched temp file must be before Open removes it
// as the leftover of a killed writer. A live writer touches its temp file on
// every write, so it never looks this old.
const staleTemp = time.Hour

// Options tunes a Store.
type Options struct {
	// SyncEveryPut makes every Put durable before it returns (fsync of the
	// file before it is renamed into place, then of its directory). Without
	// it, Put survives a kill of the process at any instant but a power loss
	// only after the next Sync.
	SyncEveryPut bool
}

// Store is a blob store in a local directory: the object with key k is the
// plain file root/k. It is safe for concurrent use by many goroutines and
// by many processes that open the same root.
type Store struct {
	root    string // absolute, cleaned
	altRoot string // root with symlinks resolved, for KeyOf; may equal root
	tmpDir  string
	lockDir string
	opts    Options

	stripes [lockStripes]sync.Mutex // see withLock
	pool    tmpPool                 // unnamed temp files made ahead (tmppool.go)
	dirs    dirPool                 // directories made ahead (dirpool.go)

	mu      sync.Mutex              // guards the fields below
	digests map[string]cachedDigest // by absolute path
	dirty   dirtySet
	subs    []*subscriber
	watches []*watch
}

// Open opens (creating it if needed) the store rooted at the directory root.
func Open(root string) (*Store, error) {
	return OpenWith(root, Options{})
}

// OpenWith is Open with options.
func OpenWith(root string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", root, err)
	}
	s := &Store{
		root:    abs,
		altRoot: abs,
		tmpDir:  filepath.Join(abs, HiddenDir, "tmp"),
		lockDir: filepath.Join(abs, HiddenDir, "locks"),
		opts:    opts,
		digests: make(map[string]cachedDigest),
		dirty:   newDirtySet(),
	}
	for _, d := range []string{s.tmpDir, s.lockDir} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			return nil, fmt.Errorf("open store %s: %w", root, err)
		}
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		s.altRoot = real
	}
	s.removeStaleTemps(time.Now().Add(-staleTemp))
	return s, nil
}

// Root returns the absolute directory the store lives in.
func (s *Store) Root() string { return s.root }

// URI returns "file://" followed by the absolute path of the key's file
// (percent-encoded where a URI needs it).
func (s *Store) URI(key string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(s.root, key))}
	return u.String()
}

// KeyOf returns the key of a "file://" URI naming a file under the root.
func (s *Store) KeyOf(uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") {
		return "", false
	}
	p := filepath.Clean(filepath.FromSlash(u.Path))
	for _, root := range []string{s.root, s.altRoot} {
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			continue
		}
		key := filepath.ToSlash(rel)
		if s.checkKey(key) == nil {
			return key, true
		}
	}
	return "", false
}

// checkKey validates a key for this store: store.ValidKey, and not inside
// the hidden directory.
func (s *Store) checkKey(key string) error {
	if err := store.ValidKey(key); err != nil {
		return err
	}
	if key == HiddenDir || strings.HasPrefix(key, HiddenDir+"/") {
		return fmt.Errorf("%w %q: %s/ is reserved", store.ErrInvalidKey, key, HiddenDir)
	}
	return nil
}

// path returns the file that holds key; key must have passed checkKey.
func (s *Store) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

// keyOfPath is the inverse of path for paths under the root.
func (s *Store) keyOfPath(p string) (string, bool) {
	rel, err := filepath.Rel(s.root, p)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// removeStaleTemps deletes temp files left by writers that were killed
// before they could clean up, and pre-made directories of processes that
// are gone. Best effort.
func (s *Store) removeStaleTemps(before time.Time) {
	entries, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && (info.ModTime().Before(before) || e.IsDir() && isDeadProcessDir(e.Name())) {
			_ = os.Remove(filepath.Join(s.tmpDir, e.Name()))
		}
	}
}

// notFound turns a missing-file error into store.ErrNotFound.
func notFound(op, key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, errNotRegular) {
		return fmt.Errorf("%s %s: %w", op, key, store.ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}

var errNotRegular = errors.New("not a regular file")
