package awsbatch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aloft-run/aloft/orchestrator"
)

// Platforms a job definition runs on.
const (
	Fargate = "FARGATE"
	EC2     = "EC2"
)

const mib = 1 << 20

// Defaults for a task that requests no cpu or no memory.
const (
	defaultCPUMilli  = 1000
	defaultMemoryMiB = 2048
)

// Sized is what a job asks AWS Batch for: a task's requests rounded up to
// sizes the platform accepts.
type Sized struct {
	Platform  string // Fargate or EC2
	VCPUMilli int64  // 250, 500, or a multiple of 1000
	MemoryMiB int64
	GPU       int
}

// VCPU is the VCPU resource requirement's value: "0.25", "0.5", "1", "2", ...
func (s Sized) VCPU() string {
	return strconv.FormatFloat(float64(s.VCPUMilli)/1000, 'f', -1, 64)
}

func (s Sized) String() string {
	t := s.VCPU() + " vCPU, " + strconv.FormatInt(s.MemoryMiB, 10) + " MiB"
	if s.GPU > 0 {
		t += ", " + strconv.Itoa(s.GPU) + " GPU"
	}
	return t + " (" + s.Platform + ")"
}

// fargateTier is one Fargate vCPU size and the memory sizes allowed with it.
type fargateTier struct {
	milli             int64
	minMiB, maxMiB    int64
	stepMiB           int64
	explicitMemoryMiB []int64 // when the sizes are not a range
}

// fargateTiers are the valid Fargate vCPU and memory pairs, smallest first.
var fargateTiers = []fargateTier{
	{milli: 250, minMiB: 512, maxMiB: 2048, explicitMemoryMiB: []int64{512, 1024, 2048}},
	{milli: 500, minMiB: 1024, maxMiB: 4096, stepMiB: 1024},
	{milli: 1000, minMiB: 2048, maxMiB: 8192, stepMiB: 1024},
	{milli: 2000, minMiB: 4096, maxMiB: 16384, stepMiB: 1024},
	{milli: 4000, minMiB: 8192, maxMiB: 30720, stepMiB: 1024},
	{milli: 8000, minMiB: 16384, maxMiB: 61440, stepMiB: 4096},
	{milli: 16000, minMiB: 32768, maxMiB: 122880, stepMiB: 8192},
}

// memoryFor is the smallest memory size of the tier that holds want MiB.
func (t fargateTier) memoryFor(want int64) int64 {
	if t.explicitMemoryMiB != nil {
		for _, m := range t.explicitMemoryMiB {
			if m >= want {
				return m
			}
		}
		return -1
	}
	m := max(want, t.minMiB)
	if r := (m - t.minMiB) % t.stepMiB; r != 0 {
		m += t.stepMiB - r
	}
	if m > t.maxMiB {
		return -1
	}
	return m
}

// Size rounds a task's resource requests up to a size AWS Batch accepts on
// platform (Fargate or EC2; "" means Fargate): whole vCPUs and whole MiB on
// EC2, the smallest valid vCPU and memory pair on Fargate. A task that
// requests no cpu gets 1 vCPU; one that requests no memory gets 2048 MiB
// on EC2 and the smallest memory its vCPU size allows on Fargate. The note
// says, for people, what was rounded ("" when nothing was). Requests no
// size can hold are errors: GPUs on Fargate (GPU tasks run on EC2 through
// the GPU queue), more than 16 vCPU or 120 GiB on Fargate.
func Size(res orchestrator.Resources, platform string) (Sized, string, error) {
	if platform == "" {
		platform = Fargate
	}
	if res.CPUMilli < 0 || res.MemoryBytes < 0 || res.GPU < 0 {
		return Sized{}, "", fmt.Errorf("negative resource request (cpu %dm, memory %d bytes, gpu %d)", res.CPUMilli, res.MemoryBytes, res.GPU)
	}
	cpu := res.CPUMilli
	var notes []string
	if cpu == 0 {
		cpu = defaultCPUMilli
		notes = append(notes, "no cpu requested: 1 vCPU")
	}
	memMiB := (res.MemoryBytes + mib - 1) / mib
	switch platform {
	case EC2:
		return sizeEC2(res, cpu, memMiB, notes)
	case Fargate:
		return sizeFargate(res, cpu, memMiB, notes)
	}
	return Sized{}, "", fmt.Errorf("platform %q: want %s or %s", platform, Fargate, EC2)
}

func sizeEC2(res orchestrator.Resources, cpu, memMiB int64, notes []string) (Sized, string, error) {
	s := Sized{Platform: EC2, VCPUMilli: (cpu + 999) / 1000 * 1000, MemoryMiB: memMiB, GPU: res.GPU}
	if res.CPUMilli != 0 && s.VCPUMilli != res.CPUMilli {
		notes = append(notes, fmt.Sprintf("cpu %s -> %s vCPU (whole vCPUs on EC2)", milliText(res.CPUMilli), s.VCPU()))
	}
	switch {
	case res.MemoryBytes == 0:
		s.MemoryMiB = defaultMemoryMiB
		notes = append(notes, fmt.Sprintf("no memory requested: %d MiB", s.MemoryMiB))
	case res.MemoryBytes%mib != 0:
		notes = append(notes, fmt.Sprintf("memory %s -> %d MiB (whole MiB)", bytesText(res.MemoryBytes), s.MemoryMiB))
	}
	return s, strings.Join(notes, "; "), nil
}

func sizeFargate(res orchestrator.Resources, cpu, memMiB int64, notes []string) (Sized, string, error) {
	if res.GPU > 0 {
		return Sized{}, "", errors.New("no GPUs on Fargate: a GPU task runs on EC2 through the GPU queue")
	}
	for _, t := range fargateTiers {
		if t.milli < cpu {
			continue
		}
		m := t.memoryFor(memMiB)
		if m < 0 {
			continue
		}
		s := Sized{Platform: Fargate, VCPUMilli: t.milli, MemoryMiB: m}
		rounded := false
		if res.CPUMilli != 0 && s.VCPUMilli != res.CPUMilli {
			notes = append(notes, fmt.Sprintf("cpu %s -> %s vCPU", milliText(res.CPUMilli), s.VCPU()))
			rounded = true
		}
		switch {
		case res.MemoryBytes == 0:
			notes = append(notes, fmt.Sprintf("no memory requested: %d MiB", m))
		case res.MemoryBytes != m*mib:
			notes = append(notes, fmt.Sprintf("memory %s -> %d MiB", bytesText(res.MemoryBytes), m))
			rounded = true
		}
		if rounded {
			notes[len(notes)-1] += fmt.Sprintf(" (on Fargate %s vCPU takes %d to %d MiB)", s.VCPU(), t.minMiB, t.maxMiB)
		}
		return s, strings.Join(notes, "; "), nil
	}
	last := fargateTiers[len(fargateTiers)-1]
	return Sized{}, "", fmt.Errorf("no Fargate size holds cpu %s with memory %s (at most %s vCPU and %d MiB): use EC2",
		milliText(cpu), bytesText(res.MemoryBytes), strconv.FormatFloat(float64(last.milli)/1000, 'f', -1, 64), last.maxMiB)
}

// milliText writes milli-CPU the way specs do: "500m", "2".
func milliText(m int64) string {
	if m%1000 == 0 {
		return strconv.FormatInt(m/1000, 10)
	}
	return strconv.FormatInt(m, 10) + "m"
}

// bytesText writes a memory request: "200Mi", "1.5Gi" style when whole MiB, else bytes.
func bytesText(b int64) string {
	switch {
	case b == 0:
		return "0"
	case b%(1<<30) == 0:
		return strconv.FormatInt(b>>30, 10) + "Gi"
	case b%mib == 0:
		return strconv.FormatInt(b/mib, 10) + "Mi"
	}
	return strconv.FormatInt(b, 10) + " bytes"
}
