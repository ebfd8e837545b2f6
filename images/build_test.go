package images

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var taskCode = map[string]string{
	"tasks/split.py":        "print('split')\n",
	"tasks/fit.py":          "print('fit')\n",
	"tasks/__pycache__/x":   "cache",
	"tasks/fit.cpython.pyc": "bytecode",
	"README.md":             "# code\n",
}

func TestBuildSameCodeSameDigestNoUpload(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	reg.pushBase(t, "base:1", LinuxAMD64)
	spec := BuildSpec{
		Base: reg.host + "/base:1", CodeDir: codeDir(t, taskCode), Runner: fakeRunner("amd64"),
		Platform: LinuxAMD64, Env: map[string]string{"MODE": "train"}, Repo: reg.host + "/tasks",
	}
	first, err := Build(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Pushed || first.Uploaded == 0 {
		t.Errorf("first build: Pushed %v, Uploaded %d; want a push", first.Pushed, first.Uploaded)
	}
	if want := reg.host + "/tasks@" + first.Digest; first.Ref != want {
		t.Errorf("Ref = %s, want %s", first.Ref, want)
	}
	if want := reg.host + "/tasks:aloft-" + strings.TrimPrefix(first.Digest, "sha256:")[:12]; first.Tag != want {
		t.Errorf("Tag = %s, want %s", first.Tag, want)
	}

	// Same code in a new directory, with other times and permission bits:
	// the same image.
	spec.CodeDir = codeDir(t, taskCode)
	restamp(t, spec.CodeDir)
	before := reg.blobUploads.Load()
	second, err := Build(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if second.Digest != first.Digest {
		t.Errorf("second build of the same code: digest %s, first %s", second.Digest, first.Digest)
	}
	if got := reg.blobUploads.Load() - before; got != 0 || second.Uploaded != 0 || second.Pushed {
		t.Errorf("second build: %d blob upload requests at the registry, Uploaded %d, Pushed %v; want none",
			got, second.Uploaded, second.Pushed)
	}
}

func TestBuildOneByteChange(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	reg.pushBase(t, "base:1", LinuxAMD64)
	spec := BuildSpec{Base: reg.host + "/base:1", CodeDir: codeDir(t, taskCode), Runner: fakeRunner("amd64"),
		Platform: LinuxAMD64, Repo: reg.host + "/tasks"}
	first, err := Build(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]string{}
	for k, v := range taskCode {
		changed[k] = v
	}
	changed["tasks/fit.py"] = "print('fiT')\n"
	spec.CodeDir = codeDir(t, changed)
	second, err := Build(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if second.Digest == first.Digest {
		t.Fatalf("a one-byte change kept the digest %s", first.Digest)
	}
	// Only the code layer and the config are new; the runner layer and the
	// base are there already.
	if second.Uploaded != 2 || !second.Pushed {
		t.Errorf("after a one-byte change: Uploaded %d, Pushed %v; want 2 blobs (code layer, config) and a manifest", second.Uploaded, second.Pushed)
	}
}

func TestBuildConfig(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	reg.pushBase(t, "base:1", LinuxAMD64)
	res, err := Build(ctx, BuildSpec{Base: reg.host + "/base:1", CodeDir: codeDir(t, taskCode), Runner: fakeRunner("amd64"),
		Platform: LinuxAMD64, Env: map[string]string{"LANG": "C", "MODEL_DIR": "/tmp/m"}, Repo: reg.host + "/tasks"})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := pulled(t, res.Ref).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/aloft/bin/aloft-runner"}) || len(c.Cmd) != 0 || c.WorkingDir != "/aloft/code" {
		t.Errorf("config: Entrypoint %q Cmd %q WorkingDir %q; want the runner, no Cmd, /aloft/code", c.Entrypoint, c.Cmd, c.WorkingDir)
	}
	if want := []string{"PATH=/usr/bin:/bin", "LANG=C", "MODEL_DIR=/tmp/m"}; !slices.Equal(c.Env, want) {
		t.Errorf("Env = %q, want %q (the base's, with the task's over it)", c.Env, want)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	if n := len(cf.History); n < 2 || cf.History[n-1].CreatedBy != "aloft: code /aloft/code" {
		t.Errorf("history %+v", cf.History)
	}
}

func TestBuildMultiPlatformBase(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	digests := reg.pushBase(t, "py:3", LinuxAMD64, LinuxARM64)
	for _, p := range []Platform{LinuxAMD64, LinuxARM64} {
		pinned, err := Pin(ctx, reg.host+"/py:3", p)
		if err != nil {
			t.Fatal(err)
		}
		if want := reg.host + "/py@" + digests[p].String(); pinned != want {
			t.Errorf("Pin(%s) = %s, want the platform's manifest %s", p, pinned, want)
		}
		res, err := Build(ctx, BuildSpec{Base: reg.host + "/py:3", CodeDir: codeDir(t, taskCode), Runner: fakeRunner(p.Arch()),
			Platform: p, Repo: reg.host + "/tasks"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Base != pinned {
			t.Errorf("Build(%s) base %s, want %s", p, res.Base, pinned)
		}
		cf, err := pulled(t, res.Ref).ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Architecture != p.Arch() {
			t.Errorf("Build(%s) made a %s image", p, cf.Architecture)
		}
	}
	// Pinning by digest works the same and checks the platform.
	if _, err := Pin(ctx, reg.host+"/py@"+digests[LinuxARM64].String(), LinuxAMD64); !errors.Is(err, ErrPlatform) {
		t.Errorf("Pin(arm64 digest, amd64) = %v, want ErrPlatform", err)
	}
}

func TestPinErrors(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	reg.pushBase(t, "arm:1", LinuxARM64)
	reg.pushBase(t, "multi:1", LinuxARM64, Platform("linux/arm/v7"))
	tests := []struct {
		image string
		p     Platform
		is    error
		msg   string
	}{
		{"arm:2", LinuxAMD64, ErrNotFound, `image HOST/arm:2: tag "2" not found in registry HOST`},
		{"nothing:1", LinuxAMD64, ErrNotFound, `image HOST/nothing:1: repository nothing not found in registry HOST`},
		{"arm:1", LinuxAMD64, ErrPlatform, `image HOST/arm:1 offers linux/arm64, not linux/amd64`},
		{"multi:1", LinuxAMD64, ErrPlatform, `image HOST/multi:1 offers linux/arm/v7, linux/arm64, not linux/amd64`},
		{"arm@sha256:" + strings.Repeat("0", 64), LinuxARM64, ErrNotFound, `image HOST/arm@sha256:000`},
	}
	for _, tt := range tests {
		_, err := Pin(ctx, reg.host+"/"+tt.image, tt.p)
		msg := strings.ReplaceAll(tt.msg, "HOST", reg.host)
		if !errors.Is(err, tt.is) || err == nil || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("Pin(%s, %s) = %v\nwant %v starting %q", tt.image, tt.p, err, tt.is, msg)
		}
	}
	if _, err := Pin(ctx, "Not A Ref", LinuxAMD64); err == nil || !strings.Contains(err.Error(), `image "Not A Ref"`) {
		t.Errorf("Pin(bad ref) = %v", err)
	}
}

func TestBuildErrors(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	reg.pushBase(t, "base:1", LinuxAMD64)
	ok := BuildSpec{Base: reg.host + "/base:1", CodeDir: codeDir(t, taskCode), Runner: fakeRunner("amd64"),
		Platform: LinuxAMD64, Repo: reg.host + "/tasks"}
	tests := []struct {
		name string
		edit func(*BuildSpec)
		msg  string
		is   error
	}{
		{"runner for another arch", func(s *BuildSpec) { s.Runner = fakeRunner("arm64") }, "runner for linux/amd64: ELF machine EM_AARCH64", nil},
		{"missing base", func(s *BuildSpec) { s.Base = reg.host + "/base:2" }, `tag "2" not found`, ErrNotFound},
		{"base for another platform", func(s *BuildSpec) { s.Platform, s.Runner = LinuxARM64, fakeRunner("arm64") }, "offers linux/amd64, not linux/arm64", ErrPlatform},
		{"no code directory", func(s *BuildSpec) { s.CodeDir = filepath.Join(s.CodeDir, "nope") }, "code directory", nil},
		{"windows", func(s *BuildSpec) { s.Platform = "windows/amd64" }, "aloft builds linux images", nil},
	}
	for _, tt := range tests {
		s := ok
		tt.edit(&s)
		_, err := Build(ctx, s)
		if err == nil || !strings.Contains(err.Error(), tt.msg) || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("%s: Build = %v, want %q", tt.name, err, tt.msg)
		}
	}
}

func TestBuildWithoutRepoPushesNothing(t *testing.T) {
	reg := newRegistry(t)
	reg.pushBase(t, "base:1", LinuxAMD64)
	before := reg.blobUploads.Load()
	res, err := Build(context.Background(), BuildSpec{Base: reg.host + "/base:1", CodeDir: codeDir(t, taskCode),
		Runner: fakeRunner("amd64"), Platform: LinuxAMD64})
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest == "" || res.Ref != "" || res.Pushed || reg.blobUploads.Load() != before {
		t.Errorf("Build without Repo = %+v, %d uploads", res, reg.blobUploads.Load()-before)
	}
}

// TestRunnerLayerIsStaticELF builds the real runner for both architectures
// and checks the pushed image's runner layer holds it: a static ELF for the
// image's machine, mode 0755, at /aloft/bin/aloft-runner.
func TestRunnerLayerIsStaticELF(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runner for two architectures")
	}
	ctx := context.Background()
	reg := newRegistry(t)
	reg.pushBase(t, "base:1", LinuxAMD64, LinuxARM64)
	want := map[Platform]elf.Machine{LinuxAMD64: elf.EM_X86_64, LinuxARM64: elf.EM_AARCH64}
	for p, machine := range want {
		res, err := Build(ctx, BuildSpec{Base: reg.host + "/base:1", CodeDir: codeDir(t, taskCode),
			Runner: realRunner(t, p.Arch()), Platform: p, Repo: reg.host + "/tasks"})
		if err != nil {
			t.Fatal(err)
		}
		layers, err := pulled(t, res.Ref).Layers()
		if err != nil {
			t.Fatal(err)
		}
		rc, err := layers[len(layers)-2].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		hdr, bin := findInTar(t, rc, "aloft/bin/aloft-runner")
		rc.Close()
		if hdr == nil {
			t.Fatalf("%s: no aloft/bin/aloft-runner in the runner layer", p)
		}
		if hdr.Mode != 0o755 || hdr.Uid != 0 || hdr.Gid != 0 {
			t.Errorf("%s: runner mode %o owner %d:%d, want 0755 0:0", p, hdr.Mode, hdr.Uid, hdr.Gid)
		}
		f, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Fatalf("%s: runner is not ELF: %v", p, err)
		}
		if f.Machine != machine || f.Class != elf.ELFCLASS64 {
			t.Errorf("%s: runner is %v %v, want %v", p, f.Class, f.Machine, machine)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Errorf("%s: runner has PT_INTERP: dynamically linked", p)
			}
		}
	}
}

// restamp gives every entry under dir another modification time and drops
// the group and other permission bits, none of which may reach a layer.
func restamp(t *testing.T, dir string) {
	t.Helper()
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			if err := os.Chmod(p, 0o600); err != nil {
				return err
			}
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func findInTar(t *testing.T, r io.Reader, name string) (*tar.Header, []byte) {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return h, b
		}
	}
}
