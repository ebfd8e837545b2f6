package dirstore

import (
	"slices"
	"sync"

	"github.com/aloft-run/aloft/store"
)

type subscriber struct{ fn func(store.Event) }

// Subscribe calls fn after every successful Put made through this Store
// value, on the goroutine that called Put and before Put returns, and for
// every file a Watch finds written by another process, on the watch's
// goroutine. fn must not block for long, and may run concurrently with
// itself. cancel stops the calls; it is safe to call more than once.
func (s *Store) Subscribe(fn func(store.Event)) (cancel func()) {
	sub := &subscriber{fn: fn}
	s.mu.Lock()
	s.subs = append(slices.Clip(s.subs), sub) // copy on write: publish reads a snapshot
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.subs = slices.DeleteFunc(slices.Clone(s.subs), func(x *subscriber) bool { return x == sub })
			s.mu.Unlock()
		})
	}
}

func (s *Store) publish(ev store.Event) {
	s.mu.Lock()
	subs := s.subs
	s.mu.Unlock()
	for _, sub := range subs {
		sub.fn(ev)
	}
}
