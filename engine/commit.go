package engine

import (
	"context"
	"sync"
	"time"

	"github.com/aloft-run/aloft/store"
)

// commitWindow is how long the group committer gathers saved states (and
// the task results written meanwhile) before one fsync makes them all
// durable. A kill -9 loses nothing acknowledged whatever the window (writes
// are visible once renamed); power loss may lose the last window
// (Decision 5).
const commitWindow = 20 * time.Millisecond

// committer fsyncs a store's writes in groups, off the engine's path.
type committer struct {
	st     store.Syncer
	mu     sync.Mutex
	dirty  bool
	kick   chan struct{}
	done   chan struct{}
	err    error
	cancel context.CancelFunc
}

// newCommitter starts a group committer, or returns nil for stores whose
// writes are durable when acknowledged (no Syncer).
func newCommitter(ctx context.Context, st store.Store) *committer {
	s, ok := st.(store.Syncer)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &committer{st: s, kick: make(chan struct{}, 1), done: make(chan struct{}), cancel: cancel}
	go c.loop(ctx)
	return c
}

// mark records that something was written and will need a sync.
func (c *committer) mark() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.dirty = true
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *committer) loop(ctx context.Context) {
	defer close(c.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(commitWindow):
		}
		c.sync(ctx)
	}
}

func (c *committer) sync(ctx context.Context) {
	c.mu.Lock()
	dirty := c.dirty
	c.dirty = false
	c.mu.Unlock()
	if !dirty {
		return
	}
	if err := c.st.Sync(context.WithoutCancel(ctx)); err != nil {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
	}
}

// close stops the committer after one last sync and reports the first
// sync error.
func (c *committer) close() error {
	if c == nil {
		return nil
	}
	c.cancel()
	<-c.done
	c.mu.Lock()
	c.dirty = true
	c.mu.Unlock()
	c.sync(context.Background())
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
