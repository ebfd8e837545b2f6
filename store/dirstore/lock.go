package dirstore

import (
	"fmt"
	"hash/fnv"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// lockStripes is how many lock files the hidden directory holds. Keys hash
// onto them, so the number of lock files stays fixed however many keys the
// store holds; two keys on one stripe merely wait for each other briefly.
const lockStripes = 256

// withLock runs fn holding the key's lock: an in-process mutex (so
// goroutines queue without a syscall each) and then an exclusive flock(2) on
// the stripe's lock file, which excludes every other process using the same
// root. The lock is released when fn returns, and by the kernel if the
// process dies.
func (s *Store) withLock(key string, fn func() error) error {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	stripe := h.Sum32() % lockStripes
	mu := &s.stripes[stripe]
	mu.Lock()
	defer mu.Unlock()

	name := filepath.Join(s.lockDir, fmt.Sprintf("%02x", stripe))
	fd, err := unix.Open(name, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o666)
	if err != nil {
		return fmt.Errorf("open lock %s: %w", name, err)
	}
	defer unix.Close(fd) // closing the only descriptor releases the flock
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", name, err)
	}
	return fn()
}
