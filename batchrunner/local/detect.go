package local

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// detectMemory is the machine's MemTotal, or this process's cgroup memory
// limit when that is lower; 0 when neither can be read.
func detectMemory() int64 {
	var total int64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				total = kb << 10
			}
		}
		f.Close()
	}
	if lim := cgroupMemoryLimit(); lim > 0 && (total == 0 || lim < total) {
		total = lim
	}
	return total
}

// cgroupMemoryLimit is the memory limit of this process's cgroup (v1 or
// v2), or 0 when there is none.
func cgroupMemoryLimit() int64 {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		var file string
		switch {
		case f[0] == "0" && f[1] == "":
			file = filepath.Join("/sys/fs/cgroup", f[2], "memory.max")
		case strings.Contains(","+f[1]+",", ",memory,"):
			file = filepath.Join("/sys/fs/cgroup/memory", f[2], "memory.limit_in_bytes")
		default:
			continue
		}
		if b, err := os.ReadFile(file); err == nil {
			if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && n < 1<<60 {
				return n
			}
		}
	}
	return 0
}

// detectGPUs lists the NVIDIA GPU indices nvidia-smi reports; none when it
// is absent or fails.
func detectGPUs() []int {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return []int{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--query-gpu=index", "--format=csv,noheader").Output()
	if err != nil {
		return []int{}
	}
	return parseGPUList(string(out))
}

func parseGPUList(s string) []int {
	gpus := []int{}
	for f := range strings.FieldsSeq(s) {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			gpus = append(gpus, n)
		}
	}
	return gpus
}
