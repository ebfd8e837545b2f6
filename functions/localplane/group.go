package localplane

import (
	"sync"
	"time"
)

// group runs goroutines until it is stopped, and stop joins them: nothing
// it started outlives stop, and nothing starts after it.
type group struct {
	mu      sync.Mutex
	stopped bool
	done    chan struct{} // closed by stop
	wg      sync.WaitGroup
}

// doneChan is closed once stop begins.
func (g *group) doneChan() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.doneLocked()
}

func (g *group) doneLocked() chan struct{} {
	if g.done == nil {
		g.done = make(chan struct{})
	}
	return g.done
}

// goFunc runs f in a goroutine; false (f not run) once stop has begun.
func (g *group) goFunc(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return false
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f()
	}()
	return true
}

// after runs f after delay unless stop comes first.
func (g *group) after(delay time.Duration, f func()) bool {
	done := g.doneChan()
	return g.goFunc(func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			f()
		}
	})
}

// stop ends the timers, refuses new goroutines and waits for those running.
func (g *group) stop() {
	g.mu.Lock()
	if !g.stopped {
		g.stopped = true
		close(g.doneLocked())
	}
	g.mu.Unlock()
	g.wg.Wait()
}
