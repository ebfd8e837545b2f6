package runnerbin

import (
	"bytes"
	"debug/elf"
	"fmt"
)

// machine maps a Go architecture aloft-runner is built for to its ELF
// machine.
func machine(arch string) (elf.Machine, bool) {
	switch arch {
	case "amd64":
		return elf.EM_X86_64, true
	case "arm64":
		return elf.EM_AARCH64, true
	}
	return 0, false
}

// Check returns an error unless b is a 64-bit little-endian ELF executable
// for arch that is statically linked: it has no PT_INTERP program header, so
// it runs in any image, with or without a C library.
func Check(b []byte, arch string) error {
	want, ok := machine(arch)
	if !ok {
		return fmt.Errorf("no ELF machine known for architecture %q", arch)
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB {
		return fmt.Errorf("ELF %v %v, want 64-bit little-endian", f.Class, f.Data)
	}
	if f.Machine != want {
		return fmt.Errorf("ELF machine %v, want %v (linux/%s)", f.Machine, want, arch)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("ELF type %v, want an executable", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("dynamically linked (it asks for an interpreter); build it with CGO_ENABLED=0")
		}
	}
	return nil
}
