package dirstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/store"
)

// eventLog is a goroutine-safe list of events.
type eventLog struct {
	mu     sync.Mutex
	events []store.Event
}

func (l *eventLog) add(ev store.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
}

func (l *eventLog) byKey() map[string][]store.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string][]store.Event{}
	for _, ev := range l.events {
		m[ev.Key] = append(m[ev.Key], ev)
	}
	return m
}

// waitFor polls until every key has at least one event, or 10s pass.
func (l *eventLog) waitFor(t *testing.T, keys ...string) {
	t.Helper()
	require.Eventually(t, func() bool {
		m := l.byKey()
		for _, k := range keys {
			if len(m[k]) == 0 {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond, "no events for some of %q", keys)
}

// waitUntil polls until the events of key satisfy ok, or 10s pass.
func (l *eventLog) waitUntil(t *testing.T, key string, ok func([]store.Event) bool) {
	t.Helper()
	require.Eventually(t, func() bool { return ok(l.byKey()[key]) }, 10*time.Second, 10*time.Millisecond,
		"events for %s never became as wanted", key)
}

// watchT watches prefix in a new store; files in the drop folder wait the
// short quiet period others do unless opts say otherwise.
func watchT(t *testing.T, prefix string, opts ...WatchOption) (root string, s *Store, log *eventLog) {
	t.Helper()
	root = t.TempDir()
	// A file there before the watch starts is not news.
	old := filepath.Join(root, "incoming", "old.csv")
	require.NoError(t, os.MkdirAll(filepath.Dir(old), 0o777))
	require.NoError(t, os.WriteFile(old, []byte("old"), 0o666))
	return watchIn(t, root, prefix, opts...)
}

func TestWatchReportsOtherWritersOnce(t *testing.T) {
	ctx := context.Background()
	root, s, log := watchT(t, "incoming/")

	// Another process copies a file into a new subdirectory, in three
	// chunks 50ms apart.
	copied := filepath.Join(root, "incoming", "diabetes", "data.csv")
	c := startChild(t, "chunks", root, copied, "50ms")
	require.NoError(t, c.cmd.Wait())
	// A file written elsewhere and renamed in (mv, or a store in another
	// process) is reported too.
	outside := filepath.Join(t.TempDir(), "moved.csv")
	require.NoError(t, os.WriteFile(outside, []byte("moved in"), 0o666))
	if err := os.Rename(outside, filepath.Join(root, "incoming", "moved.csv")); err != nil {
		t.Skipf("rename across temp dirs: %v", err)
	}
	// Writes through this Store are announced by Put, once.
	own := putT(t, s, "incoming/diabetes/own.csv", "own", store.PutOptions{})
	putT(t, s, "incoming/diabetes/own2.csv", "own", store.PutOptions{IfAbsent: true})
	// Outside the prefix: not watched.
	require.NoError(t, os.MkdirAll(filepath.Join(root, "other"), 0o777))
	require.NoError(t, os.WriteFile(filepath.Join(root, "other", "x.csv"), []byte("x"), 0o666))

	log.waitFor(t, "incoming/diabetes/data.csv", "incoming/moved.csv")
	time.Sleep(4 * watchQuiet) // room for duplicates to show up
	full := bytes.Join([][]byte{chunk(0), chunk(1), chunk(2)}, nil)
	want := map[string]store.Event{
		"incoming/diabetes/data.csv": {Key: "incoming/diabetes/data.csv", Size: int64(len(full)), ETag: store.Digest(full)[7:], Digest: store.Digest(full)},
		"incoming/moved.csv":         {Key: "incoming/moved.csv", Size: 8, ETag: store.Digest([]byte("moved in"))[7:], Digest: store.Digest([]byte("moved in"))},
		"incoming/diabetes/own.csv":  {Key: own.Key, Size: own.Size, ETag: own.ETag, Digest: own.Digest},
		"incoming/diabetes/own2.csv": {Key: "incoming/diabetes/own2.csv", Size: own.Size, ETag: own.ETag, Digest: own.Digest},
	}
	got := log.byKey()
	for k, w := range want {
		if assert.Len(t, got[k], 1, k) {
			assert.True(t, sameEvent(got[k][0], w), "events for %s = %+v, want exactly [%+v]", k, got[k], w)
		}
	}
	for k, evs := range got {
		assert.Contains(t, want, k, "unexpected events for %s: %+v", k, evs)
	}

	// Deleting the last object does not prune the watched directory, and
	// the watch goes on: an overwrite by another program is news again.
	for _, k := range []string{"incoming/old.csv", "incoming/moved.csv"} {
		require.NoError(t, s.Delete(ctx, k))
	}
	require.NoError(t, os.WriteFile(copied, []byte("second copy"), 0o666))
	log.waitUntil(t, "incoming/diabetes/data.csv", func(evs []store.Event) bool { return len(evs) >= 2 })
	evs := log.byKey()["incoming/diabetes/data.csv"]
	require.Len(t, evs, 2, "a rewritten file gives one more event")
	assert.Equal(t, store.Digest([]byte("second copy")), evs[1].Digest, "the second event has the new content")
}

// TestWatchWaitsForPausedWriter has a writer pause longer than the quiet
// period: on Linux the read-lease check sees the file still open for
// writing and holds the event back until the writer is done.
func TestWatchWaitsForPausedWriter(t *testing.T) {
	probe := filepath.Join(t.TempDir(), "probe")
	f, err := os.Create(probe)
	require.NoError(t, err)
	open, known := openForWriting(probe)
	f.Close()
	if !open || !known {
		t.Skip("this platform cannot tell whether a file is open for writing")
	}
	root, _, log := watchT(t, "incoming/")
	path := filepath.Join(root, "incoming", "slow.csv")
	c := startChild(t, "chunks", root, path, (3 * watchQuiet).String())
	require.NoError(t, c.cmd.Wait())
	log.waitFor(t, "incoming/slow.csv")
	time.Sleep(3 * watchQuiet)
	full := bytes.Join([][]byte{chunk(0), chunk(1), chunk(2)}, nil)
	evs := log.byKey()["incoming/slow.csv"]
	require.Len(t, evs, 1, "one event for the whole file")
	assert.Equal(t, int64(len(full)), evs[0].Size)
	assert.Equal(t, store.Digest(full), evs[0].Digest)
}

func TestWatchPrefixNotAtDirectoryBoundary(t *testing.T) {
	root, _, log := watchT(t, "incoming/dia")
	for _, p := range []string{"incoming/diabetes/a.csv", "incoming/dial.csv", "incoming/other/b.csv", "incoming/x.csv"} {
		full := filepath.Join(root, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o777))
		require.NoError(t, os.WriteFile(full, []byte(p), 0o666))
	}
	log.waitFor(t, "incoming/diabetes/a.csv", "incoming/dial.csv")
	time.Sleep(3 * watchQuiet)
	got := log.byKey()
	assert.Len(t, got, 2, "events = %v", got)
	assert.Len(t, got["incoming/diabetes/a.csv"], 1)
	assert.Len(t, got["incoming/dial.csv"], 1)
}

func TestWatchStopsWithContext(t *testing.T) {
	root := t.TempDir()
	s := openT(t, root, Options{})
	log := &eventLog{}
	defer s.Subscribe(log.add)()
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.Watch(ctx, ""))
	cancel()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.watches) == 0
	}, 5*time.Second, 5*time.Millisecond, "watch still registered after its context ended")
	require.NoError(t, os.WriteFile(filepath.Join(root, "late.csv"), []byte("x"), 0o666))
	time.Sleep(3 * watchQuiet)
	assert.Empty(t, log.byKey(), "events after the watch ended")
}

func TestWatchSurvivesRemovalOfItsDirectory(t *testing.T) {
	root, _, log := watchT(t, "incoming/")
	dir := filepath.Join(root, "incoming")
	require.NoError(t, os.RemoveAll(dir))
	require.Eventually(t, func() bool { // the watch makes the directory again
		_, err := os.Stat(dir)
		return err == nil
	}, 5*time.Second, 5*time.Millisecond, "watched directory not re-created")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "after.csv"), []byte("x"), 0o666))
	log.waitFor(t, "incoming/after.csv")
}

// sameEvent compares events but for Body, which only this process's own
// Puts carry (and then hold the object's content).
func sameEvent(a, b store.Event) bool {
	return a.Key == b.Key && a.Size == b.Size && a.ETag == b.ETag && a.Digest == b.Digest &&
		(a.Body == nil || int64(len(a.Body)) == a.Size)
}

// appendFile appends b to the file at path, as a second write of a copy.
func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// TestWatchDropWaitsForQuietPeriod is issue 14's half-written drop: half a
// CSV written and closed, a pause longer than the old ~200ms quiet but
// shorter than the drop folder's (DefaultDropQuiet), then the rest: one
// event, for the whole file (before, one for each half).
func TestWatchDropWaitsForQuietPeriod(t *testing.T) {
	root, _, log := watchT(t, "incoming/", DropQuiet(DefaultDropQuiet))
	path := filepath.Join(root, "incoming", "pima.csv")
	full := bytes.Repeat([]byte("6,148,72,35,0,33.6,0.627,50,1\n"), 100)
	require.NoError(t, os.WriteFile(path, full[:len(full)/2], 0o666))
	time.Sleep(DefaultDropQuiet / 3)
	appendFile(t, path, full[len(full)/2:])

	log.waitUntil(t, "incoming/pima.csv", func(evs []store.Event) bool {
		return len(evs) > 0 && evs[len(evs)-1].Digest == store.Digest(full)
	})
	evs := log.byKey()["incoming/pima.csv"]
	require.Len(t, evs, 1, "one event for the whole file, none for its first half")
	assert.Equal(t, int64(len(full)), evs[0].Size)
}

// TestWatchDropEachStableContentOnce: a writer pausing for longer than the
// quiet period gives one event per content it left stable, each once.
func TestWatchDropEachStableContentOnce(t *testing.T) {
	root, _, log := watchT(t, "incoming/", DropQuiet(300*time.Millisecond))
	path := filepath.Join(root, "incoming", "d", "rows.csv")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o777))
	require.NoError(t, os.WriteFile(path, []byte("a\n"), 0o666))
	log.waitFor(t, "incoming/d/rows.csv")
	appendFile(t, path, []byte("b\n"))
	log.waitUntil(t, "incoming/d/rows.csv", func(evs []store.Event) bool { return len(evs) >= 2 })
	time.Sleep(600 * time.Millisecond) // room for duplicates to show up
	evs := log.byKey()["incoming/d/rows.csv"]
	require.Len(t, evs, 2)
	assert.Equal(t, store.Digest([]byte("a\n")), evs[0].Digest)
	assert.Equal(t, store.Digest([]byte("a\nb\n")), evs[1].Digest)
}

// TestWatchCatchUpDrops: with CatchUpDrops, files already in the drop
// folder when Watch starts (dropped while nothing watched) are reported
// once, and files elsewhere are not.
func TestWatchCatchUpDrops(t *testing.T) {
	root := t.TempDir()
	for _, k := range []string{"incoming/d/early.csv", "data/r1/x.json"} {
		p := filepath.Join(root, filepath.FromSlash(k))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o777))
		require.NoError(t, os.WriteFile(p, []byte(k), 0o666))
	}
	_, _, log := watchIn(t, root, "", CatchUpDrops())
	log.waitFor(t, "incoming/d/early.csv")
	time.Sleep(4 * watchQuiet) // room for duplicates to show up
	got := log.byKey()
	assert.Len(t, got, 1, "events = %v", got)
	if assert.Len(t, got["incoming/d/early.csv"], 1) {
		assert.Equal(t, store.Digest([]byte("incoming/d/early.csv")), got["incoming/d/early.csv"][0].Digest)
	}
}

// TestWatchMakesDropFolder: a watch that covers the drop folder makes it,
// so `cp x .aloft/bucket/incoming/d/`'s parent exists; others do not.
func TestWatchMakesDropFolder(t *testing.T) {
	root, _, _ := watchIn(t, t.TempDir(), "")
	assert.DirExists(t, filepath.Join(root, "incoming"))
	root, _, _ = watchIn(t, t.TempDir(), "data/")
	assert.NoDirExists(t, filepath.Join(root, "incoming"))
}

// watchIn watches prefix in a store at root, as it is.
func watchIn(t *testing.T, root, prefix string, opts ...WatchOption) (string, *Store, *eventLog) {
	t.Helper()
	s := openT(t, root, Options{})
	log := &eventLog{}
	t.Cleanup(s.Subscribe(log.add))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	require.NoError(t, s.Watch(ctx, prefix, append([]WatchOption{DropQuiet(watchQuiet)}, opts...)...))
	return root, s, log
}

func TestWatchRejectsBadQuiet(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	assert.ErrorContains(t, s.Watch(context.Background(), "", DropQuiet(0)), "want a positive duration")
}

func TestMakeFolder(t *testing.T) {
	root := t.TempDir()
	s := openT(t, root, Options{})
	require.NoError(t, s.MakeFolder("incoming/diabetes/"))
	assert.DirExists(t, filepath.Join(root, "incoming", "diabetes"))
	require.NoError(t, s.MakeFolder("incoming/diabetes/"), "an existing folder is fine")
	require.NoError(t, s.MakeFolder("incoming/other/dia"))
	assert.DirExists(t, filepath.Join(root, "incoming", "other"))
	require.NoError(t, s.MakeFolder("x.csv"), "the root exists")
	assert.ErrorIs(t, s.MakeFolder(HiddenDir+"/x/"), store.ErrInvalidKey)
	require.NoError(t, os.WriteFile(filepath.Join(root, "incoming", "file"), nil, 0o666))
	assert.Error(t, s.MakeFolder("incoming/file/x/"), "a file in the way")
}

// quietLoop is a watch loop without fsnotify, driven by hand with
// synthetic events and times: the quiet-period rules, deterministic.
func quietLoop(t *testing.T, quiet time.Duration) (root string, l *watchLoop, log *eventLog) {
	t.Helper()
	root = t.TempDir()
	s := openT(t, root, Options{})
	log = &eventLog{}
	t.Cleanup(s.Subscribe(log.add))
	w := &watch{prefix: "", dir: root, known: map[string]fileID{}}
	s.mu.Lock()
	s.watches = append(s.watches, w)
	s.mu.Unlock()
	l = &watchLoop{s: s, w: w, cfg: watchConfig{dropQuiet: quiet}, hidden: filepath.Join(root, HiddenDir),
		pending: map[string]*pendingFile{}}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "incoming"), 0o777))
	return root, l, log
}

// TestQuietPeriodRules: pieces of a file with pauses shorter than the quiet
// period are one event for the whole file; a pause longer than it gives
// one event per stable content; a file outside the drop folder waits only
// the short quiet.
func TestQuietPeriodRules(t *testing.T) {
	const q = 2 * time.Second
	root, l, log := quietLoop(t, q)
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	path := filepath.Join(root, "incoming", "pima.csv")
	events := func() []store.Event { return log.byKey()["incoming/pima.csv"] }

	require.NoError(t, os.WriteFile(path, []byte("half,"), 0o666))
	l.handle(fsnotify.Event{Name: path, Op: fsnotify.Create}, at(0))
	l.check(at(q - time.Millisecond))
	require.Empty(t, events(), "reported before the quiet period passed")
	appendFile(t, path, []byte("rest\n"))
	l.handle(fsnotify.Event{Name: path, Op: fsnotify.Write}, at(q-time.Millisecond))
	l.check(at(q + time.Second))
	require.Empty(t, events(), "a write restarts the quiet period")
	l.check(at(2*q + time.Second))
	require.Len(t, events(), 1)
	assert.Equal(t, store.Digest([]byte("half,rest\n")), events()[0].Digest, "one event, for the whole file")

	// A pause longer than the quiet period: the content before it was
	// stable, so it is a version of its own, and so is what follows.
	appendFile(t, path, []byte("more\n"))
	l.handle(fsnotify.Event{Name: path, Op: fsnotify.Write}, at(10*q))
	l.check(at(11*q + time.Millisecond))
	require.Len(t, events(), 2)
	assert.Equal(t, store.Digest([]byte("half,rest\nmore\n")), events()[1].Digest)
	l.check(at(20 * q))
	assert.Len(t, events(), 2, "each content once")

	// Outside the drop folder the short quiet applies.
	other := filepath.Join(root, "other.json")
	require.NoError(t, os.WriteFile(other, []byte("{}"), 0o666))
	l.handle(fsnotify.Event{Name: other, Op: fsnotify.Create}, at(30*q))
	l.check(at(30*q + watchQuiet))
	assert.Len(t, log.byKey()["other.json"], 1)
}
