package images

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Platform is an image platform written os/arch or os/arch/variant, as in
// "linux/amd64" or "linux/arm64/v8". Make one with ParsePlatform or use a
// constant.
type Platform string

// The platforms aloft's runner is built for. GPU tasks need LinuxAMD64
// (ARCHITECTURE.md, Decision 14), which is also the default.
const (
	LinuxAMD64 Platform = "linux/amd64"
	LinuxARM64 Platform = "linux/arm64"
)

// ParsePlatform checks s is os/arch or os/arch/variant.
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return "", fmt.Errorf("platform %q: want os/arch, e.g. linux/amd64", s)
	}
	for _, p := range parts {
		if p == "" || strings.TrimSpace(p) != p {
			return "", fmt.Errorf("platform %q: want os/arch, e.g. linux/amd64", s)
		}
	}
	return Platform(s), nil
}

// OS is the operating system part ("linux").
func (p Platform) OS() string { return p.part(0) }

// Arch is the architecture part ("amd64").
func (p Platform) Arch() string { return p.part(1) }

// Variant is the optional variant part ("v8"), or "".
func (p Platform) Variant() string { return p.part(2) }

func (p Platform) part(i int) string {
	parts := strings.Split(string(p), "/")
	if i < len(parts) {
		return parts[i]
	}
	return ""
}

// v1 is the platform as go-containerregistry spells it.
func (p Platform) v1() v1.Platform {
	return v1.Platform{OS: p.OS(), Architecture: p.Arch(), Variant: p.Variant()}
}

// offers reports whether an image built for have runs as p: the same os and
// architecture, and the same variant when p names one.
func (p Platform) offers(have v1.Platform) bool {
	want := p.v1()
	return have.OS == want.OS && have.Architecture == want.Architecture &&
		(want.Variant == "" || have.Variant == want.Variant)
}

// platformOf formats a go-containerregistry platform as ours.
func platformOf(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
