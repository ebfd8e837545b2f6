package engine

import (
	"sync"
	"time"
)

// lazyWake is how long a notification that asks for nothing urgent (an
// attempt started) may wait before it wakes the loop.
const lazyWake = 10 * time.Millisecond

// queue collects notifications from other goroutines.
type queue struct {
	mu     sync.Mutex
	keys   []notice
	ticks  int
	lazy   *time.Timer // set while a lazy wake is due
	signal chan struct{}
}

// pushLazyKey queues k and wakes the loop within lazyWake, unless
// something else wakes it first.
func (q *queue) pushLazyKey(k string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.keys = append(q.keys, notice{key: k})
	if q.lazy == nil {
		q.lazy = time.AfterFunc(lazyWake, func() {
			q.mu.Lock()
			q.lazy = nil
			q.mu.Unlock()
			q.wake()
		})
	}
}

func newQueue() *queue { return &queue{signal: make(chan struct{}, 1)} }

// notice is an object a notification named, with its content when the
// notification carried it (store.Event.Body).
type notice struct {
	key  string
	body []byte
}

func (q *queue) pushKey(k string, body []byte) {
	q.mu.Lock()
	q.keys = append(q.keys, notice{k, body})
	q.mu.Unlock()
	q.wake()
}

func (q *queue) pushTick() {
	q.mu.Lock()
	q.ticks++
	q.mu.Unlock()
	q.wake()
}

func (q *queue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *queue) drain() ([]notice, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	k, t := q.keys, q.ticks
	q.keys, q.ticks = nil, 0
	return k, t
}
