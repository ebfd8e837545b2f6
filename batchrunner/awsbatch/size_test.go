package awsbatch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aloft-run/aloft/batchrunner/awsbatch"
	"github.com/aloft-run/aloft/orchestrator"
)

const mi = 1 << 20

func TestSize(t *testing.T) {
	for _, c := range []struct {
		name     string
		res      orchestrator.Resources
		platform string
		vcpu     string
		mem      int64
		note     string // a substring of the note; "" means no note
	}{
		{"fargate exact pair", orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 2048 * mi}, "FARGATE", "1", 2048, ""},
		{"fargate default platform", orchestrator.Resources{CPUMilli: 2000, MemoryBytes: 4096 * mi}, "", "2", 4096, ""},
		{"fargate seed task", orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 200 * mi}, "FARGATE", "1", 2048, "memory 200Mi -> 2048 MiB (on Fargate 1 vCPU takes 2048 to 8192 MiB)"},
		{"fargate quarter", orchestrator.Resources{CPUMilli: 100, MemoryBytes: 300 * mi}, "FARGATE", "0.25", 512, "cpu 100m -> 0.25 vCPU"},
		{"fargate quarter has no 1536", orchestrator.Resources{CPUMilli: 250, MemoryBytes: 1536 * mi}, "FARGATE", "0.25", 2048, "memory 1536Mi -> 2048 MiB"},
		{"fargate memory pushes cpu up", orchestrator.Resources{CPUMilli: 250, MemoryBytes: 5 << 30}, "FARGATE", "1", 5120, "cpu 250m -> 1 vCPU"},
		{"fargate 1024 steps", orchestrator.Resources{CPUMilli: 2000, MemoryBytes: 4097 * mi}, "FARGATE", "2", 5120, "memory"},
		{"fargate 3 cpu", orchestrator.Resources{CPUMilli: 3000, MemoryBytes: 1 << 30}, "FARGATE", "4", 8192, "cpu 3 -> 4 vCPU"},
		{"fargate 8 steps of 4096", orchestrator.Resources{CPUMilli: 8000, MemoryBytes: 17 << 30}, "FARGATE", "8", 20480, "memory 17Gi -> 20480 MiB"},
		{"fargate 16 steps of 8192", orchestrator.Resources{CPUMilli: 16000, MemoryBytes: 33 << 30}, "FARGATE", "16", 40960, "memory 33Gi -> 40960 MiB"},
		{"fargate big memory", orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 100 << 30}, "FARGATE", "16", 106496, "cpu 1 -> 16 vCPU"},
		{"fargate nothing requested", orchestrator.Resources{}, "FARGATE", "1", 2048, "no cpu requested: 1 vCPU; no memory requested: 2048 MiB"},
		{"fargate odd bytes", orchestrator.Resources{CPUMilli: 500, MemoryBytes: 1000}, "FARGATE", "0.5", 1024, "memory 1000 bytes -> 1024 MiB"},
		{"ec2 exact", orchestrator.Resources{CPUMilli: 2000, MemoryBytes: 3000 * mi}, "EC2", "2", 3000, ""},
		{"ec2 whole vcpus", orchestrator.Resources{CPUMilli: 1500, MemoryBytes: 200 * mi}, "EC2", "2", 200, "cpu 1500m -> 2 vCPU (whole vCPUs on EC2)"},
		{"ec2 whole mib", orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 200_000_000}, "EC2", "1", 191, "memory 200000000 bytes -> 191 MiB"},
		{"ec2 nothing requested", orchestrator.Resources{}, "EC2", "1", 2048, "no memory requested: 2048 MiB"},
		{"ec2 gpu", orchestrator.Resources{CPUMilli: 4000, MemoryBytes: 16 << 30, GPU: 1}, "EC2", "4", 16384, ""},
		{"ec2 beyond fargate", orchestrator.Resources{CPUMilli: 64000, MemoryBytes: 256 << 30}, "EC2", "64", 262144, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, note, err := awsbatch.Size(c.res, c.platform)
			if err != nil {
				t.Fatal(err)
			}
			if s.VCPU() != c.vcpu || s.MemoryMiB != c.mem || s.GPU != c.res.GPU {
				t.Errorf("got %v, want %s vCPU %d MiB", s, c.vcpu, c.mem)
			}
			if c.note == "" && note != "" || !strings.Contains(note, c.note) {
				t.Errorf("note %q, want %q", note, c.note)
			}
		})
	}
}

func TestSizeImpossible(t *testing.T) {
	for _, c := range []struct {
		res      orchestrator.Resources
		platform string
		want     string
	}{
		{orchestrator.Resources{CPUMilli: 1000, GPU: 1}, "FARGATE", "no GPUs on Fargate"},
		{orchestrator.Resources{CPUMilli: 17000}, "FARGATE", "no Fargate size holds cpu 17"},
		{orchestrator.Resources{CPUMilli: 1000, MemoryBytes: 121 << 30}, "FARGATE", "no Fargate size"},
		{orchestrator.Resources{CPUMilli: -1}, "EC2", "negative"},
		{orchestrator.Resources{}, "LAMBDA", `platform "LAMBDA"`},
	} {
		if _, _, err := awsbatch.Size(c.res, c.platform); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v on %s: %v, want %q", c.res, c.platform, err, c.want)
		}
	}
}

func TestJobName(t *testing.T) {
	if got := awsbatch.JobName("r1a2b3c4d", "train", 1); got != "aloft-r1a2b3c4d-train-a1" {
		t.Errorf("plain: %q", got)
	}
	item := awsbatch.JobName("e", "fit.3", 2)
	if !strings.HasPrefix(item, "aloft-e-fit_3-a2-") || len(item) != len("aloft-e-fit_3-a2-")+8 {
		t.Errorf("map item: %q", item)
	}
	// Names that sanitize alike stay distinct.
	if a, b := awsbatch.JobName("e", "a.b", 1), awsbatch.JobName("e", "a_b", 1); a == b {
		t.Errorf("a.b and a_b collide: %q", a)
	}
	long := strings.Repeat("n", 200)
	l1, l2 := awsbatch.JobName("e", long+"1", 1), awsbatch.JobName("e", long+"2", 1)
	if len(l1) != 128 || l1 == l2 {
		t.Errorf("long names: %q, %q", l1, l2)
	}
	for _, n := range []string{item, l1} {
		for _, c := range n {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				t.Errorf("%q has %q", n, c)
			}
		}
	}
}

func TestAttemptDuration(t *testing.T) {
	for _, c := range []struct {
		timeout time.Duration
		want    int32
	}{{0, 0}, {time.Second, 61}, {1500 * time.Millisecond, 62}, {30 * time.Minute, 1860}} {
		if got := awsbatch.AttemptDuration(c.timeout); got != c.want {
			t.Errorf("%v: %d, want %d", c.timeout, got, c.want)
		}
	}
}
