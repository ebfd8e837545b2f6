package dirstore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

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

// waitFor polls until every key has at least one event, or 5s pass.
func (l *eventLog) waitFor(t *testing.T, keys ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		m := l.byKey()
		missing := keys[:0:0]
		for _, k := range keys {
			if len(m[k]) == 0 {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no events for some of %q after 5s; got %v", keys, l.byKey())
}

func watchT(t *testing.T, prefix string) (root string, s *Store, log *eventLog) {
	t.Helper()
	root = t.TempDir()
	s = openT(t, root, Options{})
	log = &eventLog{}
	t.Cleanup(s.Subscribe(log.add))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// A file there before the watch starts is not news.
	old := filepath.Join(root, "incoming", "old.csv")
	if err := os.MkdirAll(filepath.Dir(old), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, []byte("old"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := s.Watch(ctx, prefix); err != nil {
		t.Fatal(err)
	}
	return root, s, log
}

func TestWatchReportsOtherWritersOnce(t *testing.T) {
	ctx := context.Background()
	root, s, log := watchT(t, "incoming/")

	// Another process copies a file into a new subdirectory, in three
	// chunks 50ms apart.
	copied := filepath.Join(root, "incoming", "diabetes", "data.csv")
	c := startChild(t, "chunks", root, copied, "50ms")
	if err := c.cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	// A file written elsewhere and renamed in (mv, or a store in another
	// process) is reported too.
	outside := filepath.Join(t.TempDir(), "moved.csv")
	if err := os.WriteFile(outside, []byte("moved in"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(outside, filepath.Join(root, "incoming", "moved.csv")); err != nil {
		t.Skipf("rename across temp dirs: %v", err)
	}
	// Writes through this Store are announced by Put, once.
	own := putT(t, s, "incoming/diabetes/own.csv", "own", store.PutOptions{})
	putT(t, s, "incoming/diabetes/own2.csv", "own", store.PutOptions{IfAbsent: true})
	// Outside the prefix: not watched.
	if err := os.MkdirAll(filepath.Join(root, "other"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "other", "x.csv"), []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}

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
		if len(got[k]) != 1 || !sameEvent(got[k][0], w) {
			t.Errorf("events for %s = %+v, want exactly [%+v]", k, got[k], w)
		}
	}
	for k, evs := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected events for %s: %+v", k, evs)
		}
	}

	// Deleting the last object does not prune the watched directory, and
	// the watch goes on: an overwrite by another program is news again.
	for _, k := range []string{"incoming/old.csv", "incoming/moved.csv"} {
		if err := s.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(copied, []byte("second copy"), 0o666); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(log.byKey()["incoming/diabetes/data.csv"]) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if evs := log.byKey()["incoming/diabetes/data.csv"]; len(evs) != 2 || evs[1].Digest != store.Digest([]byte("second copy")) {
		t.Errorf("events for a rewritten file = %+v, want a second one for the new content", evs)
	}
}

// TestWatchWaitsForPausedWriter has a writer pause longer than the quiet
// period: on Linux the read-lease check sees the file still open for
// writing and holds the event back until the writer is done.
func TestWatchWaitsForPausedWriter(t *testing.T) {
	probe := filepath.Join(t.TempDir(), "probe")
	f, err := os.Create(probe)
	if err != nil {
		t.Fatal(err)
	}
	open, known := openForWriting(probe)
	f.Close()
	if !open || !known {
		t.Skip("this platform cannot tell whether a file is open for writing")
	}
	root, _, log := watchT(t, "incoming/")
	path := filepath.Join(root, "incoming", "slow.csv")
	c := startChild(t, "chunks", root, path, (3 * watchQuiet).String())
	if err := c.cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, "incoming/slow.csv")
	time.Sleep(3 * watchQuiet)
	full := bytes.Join([][]byte{chunk(0), chunk(1), chunk(2)}, nil)
	evs := log.byKey()["incoming/slow.csv"]
	if len(evs) != 1 || evs[0].Size != int64(len(full)) || evs[0].Digest != store.Digest(full) {
		t.Errorf("events = %+v, want one for the whole file (%d bytes)", evs, len(full))
	}
}

func TestWatchPrefixNotAtDirectoryBoundary(t *testing.T) {
	root, _, log := watchT(t, "incoming/dia")
	for _, p := range []string{"incoming/diabetes/a.csv", "incoming/dial.csv", "incoming/other/b.csv", "incoming/x.csv"} {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(p), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	log.waitFor(t, "incoming/diabetes/a.csv", "incoming/dial.csv")
	time.Sleep(3 * watchQuiet)
	got := log.byKey()
	if len(got) != 2 || len(got["incoming/diabetes/a.csv"]) != 1 || len(got["incoming/dial.csv"]) != 1 {
		t.Errorf("events = %v, want one each for incoming/diabetes/a.csv and incoming/dial.csv", got)
	}
}

func TestWatchStopsWithContext(t *testing.T) {
	root := t.TempDir()
	s := openT(t, root, Options{})
	log := &eventLog{}
	defer s.Subscribe(log.add)()
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Watch(ctx, ""); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		n := len(s.watches)
		s.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("watch still registered 5s after its context ended")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(root, "late.csv"), []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * watchQuiet)
	if evs := log.byKey(); len(evs) != 0 {
		t.Errorf("events after the watch ended: %v", evs)
	}
}

func TestWatchSurvivesRemovalOfItsDirectory(t *testing.T) {
	root, _, log := watchT(t, "incoming/")
	dir := filepath.Join(root, "incoming")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for { // the watch makes the directory again
		if _, err := os.Stat(dir); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("watched directory not re-created")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(dir, "after.csv"), []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	log.waitFor(t, "incoming/after.csv")
}

// sameEvent compares events but for Body, which only this process's own
// Puts carry (and then hold the object's content).
func sameEvent(a, b store.Event) bool {
	return a.Key == b.Key && a.Size == b.Size && a.ETag == b.ETag && a.Digest == b.Digest &&
		(a.Body == nil || int64(len(a.Body)) == a.Size)
}
