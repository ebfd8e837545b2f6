package stack

import (
	"slices"
	"strings"
)

// acceleratorOf maps EC2 instance families to aloft's accelerator names
// (Decision 32's vocabulary; GCP's side lives with the GCP target).
var acceleratorOf = map[string]string{
	"g4dn": "nvidia-t4",
	"g5":   "nvidia-a10g",
	"g6":   "nvidia-l4",
	"g6e":  "nvidia-l40s",
	"p3":   "nvidia-v100",
	"p4d":  "nvidia-a100",
	"p4de": "nvidia-a100",
	"p5":   "nvidia-h100",
}

// accelerators are the aloft names of the GPUs of instance types, sorted,
// without duplicates; families not in the table are left out.
func accelerators(types []string) []string {
	var out []string
	for _, t := range types {
		family, _, _ := strings.Cut(t, ".")
		if a, ok := acceleratorOf[family]; ok && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}
