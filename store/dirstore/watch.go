package dirstore

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/store"
)

// watchQuiet is how long a file must go without change events, and then
// keep its size and mtime, before Watch reports it.
const watchQuiet = 100 * time.Millisecond

// DefaultDropQuiet is how long a file in the drop folder (incoming/) must
// keep its content before Watch reports it (Decision 27): a writer pausing
// for less gets one event for the whole file.
const DefaultDropQuiet = 2 * time.Second

// WatchOption changes how Watch reports files.
type WatchOption func(*watchConfig)

type watchConfig struct {
	dropQuiet time.Duration
	catchUp   bool
}

// DropQuiet sets how long a file under the drop folder (incoming/) must
// go without change, in content and in events, before it is reported
// (default DefaultDropQuiet). Files elsewhere wait 100ms.
func DropQuiet(d time.Duration) WatchOption {
	return func(c *watchConfig) { c.dropQuiet = d }
}

// CatchUpDrops makes Watch report the files already in the drop folder
// when it starts (once stable), as if they had just been written: files
// dropped while nothing watched. Telling versions already handled apart is
// the subscriber's part (the trigger's markers, layout.TriggeredKey).
func CatchUpDrops() WatchOption {
	return func(c *watchConfig) { c.catchUp = true }
}

// watch is one Watch's view of which file versions are accounted for.
type watch struct {
	prefix string
	dir    string
	// known maps a path to the version (stable fileID) last reported, found
	// when the watch started, or written by this Store's Put: a version in
	// known is never reported. Guarded by Store.mu.
	known map[string]fileID
}

func (w *watch) coversKey(key string) bool { return strings.HasPrefix(key, w.prefix) }

// coversDir reports whether the directory with key dirKey ("" for the
// root) may hold keys with the prefix.
func (w *watch) coversDir(dirKey string) bool {
	if dirKey == "" {
		return true
	}
	d := dirKey + "/"
	return strings.HasPrefix(d, w.prefix) || strings.HasPrefix(w.prefix, d)
}

// Watch reports files that other processes write under the prefix (a user's
// `cp data.csv .aloft/bucket/incoming/diabetes/`, another aloft process's
// Put) as store.Events to this Store's subscribers, like the "object
// created" events S3 sends.
//
// It watches root/<prefix's directory> recursively with fsnotify (creating
// that directory, and the drop folder root/incoming/ when the prefix covers
// it, and following new subdirectories). A file is reported once per
// version, after its writer is done: when it has had no change events for
// its quiet period (100ms; for the drop folder DefaultDropQuiet, or as
// DropQuiet sets), its size and mtime the same as at its last change event,
// and (on Linux, where a read lease tells) no process has it open
// for writing. A writer pausing for less than the quiet period thus gives
// one event for the whole file, and one pausing longer gives one per
// stable content. A file renamed into the tree is reported the same way.
// Files present when Watch starts (but for the drop folder's with
// CatchUpDrops), files written through this Store (already announced by
// Put), the hidden directory, symbolic links and metadata-only changes
// (chmod, touch) are not reported.
//
// Watch returns once the watches are in place and reports until ctx is
// done. When the kernel's event queue overflows, it rescans the tree and
// reports the files it has not seen in their current version.
func (s *Store) Watch(ctx context.Context, prefix string, opts ...WatchOption) error {
	cfg := watchConfig{dropQuiet: DefaultDropQuiet}
	for _, o := range opts {
		o(&cfg)
	}
	dirKey, _ := splitPrefix(prefix)
	if strings.IndexByte(prefix, 0) >= 0 || (dirKey != "" && s.checkKey(dirKey) != nil) {
		return fmt.Errorf("watch %q: %w", prefix, store.ErrInvalidKey)
	}
	if cfg.dropQuiet <= 0 {
		return fmt.Errorf("watch %q: drop quiet period %s: want a positive duration", prefix, cfg.dropQuiet)
	}
	dir := filepath.Join(s.root, filepath.FromSlash(dirKey))
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("watch %q: %w", prefix, err)
	}
	w := &watch{prefix: prefix, dir: dir, known: map[string]fileID{}}
	if w.coversDir(strings.TrimSuffix(layout.IncomingRoot, "/")) {
		if err := s.MakeFolder(layout.IncomingRoot); err != nil {
			return fmt.Errorf("watch %q: %w", prefix, err)
		}
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %q: %w", prefix, err)
	}
	s.mu.Lock()
	s.watches = append(slices.Clip(s.watches), w) // from now on, Put marks its writes
	s.mu.Unlock()
	l := &watchLoop{
		s: s, w: w, fw: fw, cfg: cfg,
		hidden:  filepath.Join(s.root, HiddenDir),
		pending: map[string]*pendingFile{},
	}
	if err := l.addTree(dir, true); err != nil {
		fw.Close()
		s.unwatch(w)
		return fmt.Errorf("watch %q: %w", prefix, err)
	}
	go l.run(ctx)
	return nil
}

func (s *Store) unwatch(w *watch) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watches = slices.DeleteFunc(slices.Clone(s.watches), func(x *watch) bool { return x == w })
}

// expectOwnWrite tells the watches covering key that the file about to
// appear at path with identity id is this Store's own write. undo takes it
// back if the write fails.
func (s *Store) expectOwnWrite(key, path string, id fileID) (undo func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type before struct {
		w   *watch
		id  fileID
		had bool
	}
	var prev []before
	for _, w := range s.watches {
		if w.coversKey(key) {
			old, had := w.known[path]
			prev = append(prev, before{w, old, had})
			w.known[path] = id
		}
	}
	if len(prev) == 0 {
		return func() {}
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, b := range prev {
			if b.w.known[path] != id {
				continue // a later write owns the entry now
			}
			if b.had {
				b.w.known[path] = b.id
			} else {
				delete(b.w.known, path)
			}
		}
	}
}

func (s *Store) forgetOwnWriteLocked(path string) {
	for _, w := range s.watches {
		delete(w.known, path)
	}
}

func (s *Store) isWatchRoot(dir string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.watches {
		if w.dir == dir {
			return true
		}
	}
	return false
}

// watchLoop is the goroutine behind one Watch.
type watchLoop struct {
	s       *Store
	w       *watch
	fw      *fsnotify.Watcher
	cfg     watchConfig
	hidden  string
	pending map[string]*pendingFile // files seen changing, not yet reported
}

type pendingFile struct {
	id       fileID // stable identity at the last change event or look
	quiet    time.Duration
	deadline time.Time
}

// quietFor is how long the file with key must stay unchanged before it
// is reported.
func (l *watchLoop) quietFor(key string) time.Duration {
	if strings.HasPrefix(key, layout.IncomingRoot) {
		return l.cfg.dropQuiet
	}
	return watchQuiet
}

func (l *watchLoop) run(ctx context.Context) {
	defer l.s.unwatch(l.w)
	defer l.fw.Close()
	tick := time.NewTicker(watchQuiet / 4)
	defer tick.Stop()
	for {
		var tickC <-chan time.Time
		if len(l.pending) > 0 {
			tickC = tick.C
		}
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-l.fw.Events:
			if !ok {
				return
			}
			l.handle(ev, time.Now())
		case _, ok := <-l.fw.Errors:
			if !ok {
				return
			}
			_ = l.addTree(l.w.dir, false) // overflow: look at everything again
		case now := <-tickC:
			l.check(now)
		}
	}
}

func (l *watchLoop) handle(ev fsnotify.Event, now time.Time) {
	path := ev.Name
	if path == l.hidden || strings.HasPrefix(path, l.hidden+string(filepath.Separator)) {
		return
	}
	switch {
	case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
		l.gone(path)
	case ev.Has(fsnotify.Create):
		fi, err := os.Lstat(path)
		if err != nil {
			return
		}
		if fi.IsDir() {
			_ = l.addTree(path, false)
			return
		}
		l.touch(path, fi, now)
	case ev.Has(fsnotify.Write):
		if fi, err := os.Lstat(path); err == nil {
			l.touch(path, fi, now)
		}
	}
}

// gone handles a Remove or Rename of path. Events lag behind the directory,
// so if path exists again by now, its new version will bring its own events
// and what known says about it still holds.
func (l *watchLoop) gone(path string) {
	if _, err := os.Lstat(path); err == nil {
		return
	}
	under := path + string(filepath.Separator)
	for p := range l.pending {
		if p == path || strings.HasPrefix(p, under) {
			delete(l.pending, p)
		}
	}
	l.s.mu.Lock()
	for p := range l.w.known {
		if p == path || strings.HasPrefix(p, under) {
			delete(l.w.known, p)
		}
	}
	l.s.mu.Unlock()
	if path == l.w.dir { // our directory went away: make it again
		if err := os.MkdirAll(path, 0o777); err == nil {
			_ = l.addTree(path, false)
		}
	}
}

// touch notes that the file at path changed.
func (l *watchLoop) touch(path string, fi fs.FileInfo, now time.Time) {
	if !fi.Mode().IsRegular() {
		return
	}
	key, ok := l.s.keyOfPath(path)
	if !ok || !l.w.coversKey(key) {
		return
	}
	if p := l.pending[path]; p != nil { // the version at its last change
		p.id, p.deadline = idOf(fi).stable(), now.Add(p.quiet)
		return
	}
	q := l.quietFor(key)
	l.pending[path] = &pendingFile{id: idOf(fi).stable(), quiet: q, deadline: now.Add(q)}
}

// check reports the pending files whose writers are done.
func (l *watchLoop) check(now time.Time) {
	for path, p := range l.pending {
		if now.Before(p.deadline) {
			continue
		}
		fi, err := os.Lstat(path)
		if err != nil || !fi.Mode().IsRegular() {
			delete(l.pending, path)
			continue
		}
		id := idOf(fi).stable()
		if id != p.id { // still growing: look again later
			p.id, p.deadline = id, now.Add(p.quiet)
			continue
		}
		if l.isKnown(path, id) {
			delete(l.pending, path)
			continue
		}
		if open, _ := openForWriting(path); open { // a writer paused
			p.deadline = now.Add(p.quiet)
			continue
		}
		delete(l.pending, path)
		l.report(path, p, id, now)
	}
}

func (l *watchLoop) isKnown(path string, id fileID) bool {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	known, ok := l.w.known[path]
	return ok && known == id
}

// report publishes the Event for the file at path, unless that version was
// reported already.
func (l *watchLoop) report(path string, p *pendingFile, id fileID, now time.Time) {
	l.s.mu.Lock()
	if known, ok := l.w.known[path]; ok && known == id {
		l.s.mu.Unlock()
		return
	}
	l.w.known[path] = id
	l.s.mu.Unlock()

	key, _ := l.s.keyOfPath(path)
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	full, sum, err := l.s.digestOpen(path, f)
	if err != nil {
		return
	}
	if full.stable() != id { // rewritten meanwhile: wait for that version
		l.pending[path] = &pendingFile{id: full.stable(), quiet: p.quiet, deadline: now.Add(p.quiet)}
		return
	}
	obj := objectOf(key, full, sum)
	l.s.publish(store.Event{Key: key, Size: obj.Size, ETag: obj.ETag, Digest: obj.Digest})
}

// addTree watches top and the directories below it that can hold keys with
// the prefix. With initial set it records the files it finds as known (they
// were there before Watch); otherwise it treats every file not known in its
// current version as changed (a directory moved in, a file created before
// its directory's watch was in place, a rescan after an overflow).
func (l *watchLoop) addTree(top string, initial bool) error {
	now := time.Now()
	return filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if initial && path == top {
				return err
			}
			return nil // vanished meanwhile
		}
		if path == l.hidden {
			return filepath.SkipDir
		}
		if d.IsDir() {
			dirKey, _ := l.s.keyOfPath(path) // "" for the root
			if !l.w.coversDir(dirKey) {
				return filepath.SkipDir
			}
			if err := l.fw.Add(path); err != nil {
				if initial {
					return err
				}
				return filepath.SkipDir
			}
			return nil
		}
		key, ok := l.s.keyOfPath(path)
		if !ok || !d.Type().IsRegular() || !l.w.coversKey(key) {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		if initial && !(l.cfg.catchUp && strings.HasPrefix(key, layout.IncomingRoot)) {
			l.s.mu.Lock()
			l.w.known[path] = idOf(fi).stable()
			l.s.mu.Unlock()
			return nil
		}
		if !l.isKnown(path, idOf(fi).stable()) {
			l.touch(path, fi, now)
		}
		return nil
	})
}
