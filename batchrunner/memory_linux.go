package batchrunner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// memRoot is where the cgroup v1 memory hierarchy is mounted.
const memRoot = "/sys/fs/cgroup/memory"

// memCgroup is a task's memory cgroup (cgroup v1).
type memCgroup interface {
	leave() error // move the calling thread back where it came from
	killAll()     // SIGKILL every process still in the cgroup
	stats() cgroupStats
	remove() // delete the cgroup (best effort)
}

// cgroupV1 is a child of the calling thread's own memory cgroup.
type cgroupV1 struct {
	dir  string // the task's cgroup
	home string // the cgroup the thread came from
	tid  int
}

// enterNewCgroup makes a memory cgroup limited to limit bytes (swap
// included, where swap is accounted) as a child of the calling thread's
// own, and moves the calling thread into it, so that a child it forks is
// born inside. The caller has locked its OS thread and calls leave right
// after the fork. cgroup v2 is not used: a process may not enable
// controllers for children of its own cgroup while it has members there
// (the "no internal processes" rule), so without delegation from systemd
// there is nothing to create; Run then polls RSS instead.
func enterNewCgroup(name string, limit int64) (memCgroup, error) {
	home, err := threadMemoryCgroup()
	if err != nil {
		return nil, err
	}
	removeStaleCgroups(home)
	dir, err := os.MkdirTemp(home, "aloft-"+strconv.Itoa(os.Getpid())+"-"+name+"-")
	if err != nil {
		return nil, fmt.Errorf("make memory cgroup: %w", err)
	}
	cg := &cgroupV1{dir: dir, home: home, tid: syscall.Gettid()}
	lim := []byte(strconv.FormatInt(limit, 10))
	err = os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), lim, 0)
	if err == nil {
		// Without this a task could swap instead of failing; absent when
		// swap is not accounted.
		if werr := os.WriteFile(filepath.Join(dir, "memory.memsw.limit_in_bytes"), lim, 0); werr != nil && !errors.Is(werr, os.ErrNotExist) {
			err = werr
		}
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "tasks"), []byte(strconv.Itoa(cg.tid)), 0)
	}
	if err != nil {
		_ = os.Remove(dir)
		return nil, fmt.Errorf("set up memory cgroup %s: %w", dir, err)
	}
	return cg, nil
}

// threadMemoryCgroup is the directory of the calling thread's cgroup v1
// memory cgroup ("4:memory:/process_api/x" -> /sys/fs/cgroup/memory/process_api/x).
func threadMemoryCgroup() (string, error) {
	b, err := os.ReadFile("/proc/thread-self/cgroup")
	if err != nil {
		return "", fmt.Errorf("read own cgroup: %w", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		for c := range strings.SplitSeq(f[1], ",") {
			if c == "memory" {
				dir := filepath.Join(memRoot, f[2])
				if _, err := os.Stat(filepath.Join(dir, "memory.limit_in_bytes")); err != nil {
					return "", fmt.Errorf("memory cgroup v1 not usable: %w", err)
				}
				return dir, nil
			}
		}
	}
	return "", errors.New("no cgroup v1 memory controller for this process")
}

// removeStaleCgroups deletes empty cgroups left by runners that died
// (their pid is gone). Best effort.
func removeStaleCgroups(home string) {
	entries, err := os.ReadDir(home)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "aloft-")
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat("/proc/" + pidText); err == nil {
			continue
		}
		_ = os.Remove(filepath.Join(home, e.Name()))
	}
}

func (c *cgroupV1) leave() error {
	return os.WriteFile(filepath.Join(c.home, "tasks"), []byte(strconv.Itoa(c.tid)), 0)
}

func (c *cgroupV1) killAll() {
	deadline := time.Now().Add(time.Second)
	for {
		pids := readInts(filepath.Join(c.dir, "cgroup.procs"))
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		for _, p := range pids {
			_ = syscall.Kill(int(p), syscall.SIGKILL)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *cgroupV1) stats() cgroupStats {
	var st cgroupStats
	if b, err := os.ReadFile(filepath.Join(c.dir, "memory.oom_control")); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
				st.oomKills, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				st.counted = true
			}
		}
	}
	for _, f := range []string{"memory.failcnt", "memory.memsw.failcnt"} {
		if n := readInts(filepath.Join(c.dir, f)); len(n) == 1 {
			st.failures = max(st.failures, n[0])
		}
	}
	if n := readInts(filepath.Join(c.dir, "memory.max_usage_in_bytes")); len(n) == 1 {
		st.peak = n[0]
	}
	return st
}

func (c *cgroupV1) remove() {
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := os.Remove(c.dir)
		if err == nil || errors.Is(err, os.ErrNotExist) || time.Now().After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readInts(path string) []int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []int64
	for f := range strings.FieldsSeq(string(b)) {
		if n, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// rssPoller samples the resident memory of a process group and kills the
// group when it exceeds the limit.
type rssPoller struct {
	exceeded chan struct{}
	done     chan struct{}
	exited   chan struct{}
	max      atomic.Int64
	stopOnce sync.Once
}

func startRSSPoller(pgid int, limit int64, every time.Duration) *rssPoller {
	p := &rssPoller{exceeded: make(chan struct{}), done: make(chan struct{}), exited: make(chan struct{})}
	page := int64(os.Getpagesize())
	go func() {
		defer close(p.exited)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			rss := groupRSSPages(pgid) * page
			if rss > p.max.Load() {
				p.max.Store(rss)
			}
			if rss > limit {
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				close(p.exceeded)
				return
			}
			select {
			case <-p.done:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *rssPoller) stop() {
	p.stopOnce.Do(func() { close(p.done) })
	<-p.exited
}

func (p *rssPoller) peak() int64 { return p.max.Load() }

// groupRSSPages sums the resident pages of the processes in group pgid.
func groupRSSPages(pgid int) int64 {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var total int64
	buf := make([]byte, 1024)
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		f, err := os.Open("/proc/" + n + "/stat")
		if err != nil {
			continue
		}
		k, _ := f.Read(buf)
		f.Close()
		total += statRSS(buf[:k], pgid)
	}
	return total
}

// statRSS returns the rss field of a /proc/<pid>/stat line when its
// process group is pgid, else 0.
func statRSS(stat []byte, pgid int) int64 {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3 (state)
	if len(f) < 22 {
		return 0
	}
	if g, _ := strconv.Atoi(f[2]); g != pgid { // field 5: pgrp
		return 0
	}
	rss, _ := strconv.ParseInt(f[21], 10, 64) // field 24: rss
	return rss
}
