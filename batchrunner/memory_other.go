//go:build unix && !linux

package batchrunner

import (
	"errors"
	"time"
)

// memCgroup is a task's memory cgroup; there are none outside Linux.
type memCgroup interface {
	leave() error
	killAll()
	stats() cgroupStats
	remove()
}

func enterNewCgroup(string, int64) (memCgroup, error) {
	return nil, errors.New("memory cgroups are Linux-only")
}

// rssPoller has no /proc to read outside Linux: it never fires, so memory
// limits are not enforced there.
type rssPoller struct{ exceeded chan struct{} }

func startRSSPoller(int, int64, time.Duration) *rssPoller {
	return &rssPoller{exceeded: make(chan struct{})}
}

func (p *rssPoller) stop()       {}
func (p *rssPoller) peak() int64 { return 0 }
