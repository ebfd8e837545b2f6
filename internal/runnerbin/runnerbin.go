package runnerbin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/mod/modfile"
)

// Module is the module path that marks aloft's source tree.
const Module = "github.com/aloft-run/aloft"

// FileName is the runner's file name for linux/arch, as `make runners`
// writes it under bin/.
func FileName(arch string) string { return "aloft-runner-linux-" + arch }

// Get returns the aloft-runner binary for linux/arch: the file at override
// when it is not empty, else the first found as doc.go lists. It checks the
// binary with Check, so a runner for the wrong architecture or a dynamically
// linked one is an error here rather than "exec format error" in a job.
func Get(ctx context.Context, arch, override string) ([]byte, error) {
	if _, ok := machine(arch); !ok {
		return nil, fmt.Errorf("aloft-runner is built for linux/amd64 and linux/arm64, not linux/%s", arch)
	}
	b, from, err := find(ctx, arch, override)
	if err != nil {
		return nil, err
	}
	if err := Check(b, arch); err != nil {
		return nil, fmt.Errorf("runner from %s: %w", from, err)
	}
	return b, nil
}

// find returns the binary and where it came from, for messages.
func find(ctx context.Context, arch, override string) ([]byte, string, error) {
	if override != "" {
		b, err := os.ReadFile(override)
		if err != nil {
			return nil, "", fmt.Errorf("reading the runner given with --runner: %w", err)
		}
		return b, override, nil
	}
	if b, ok := embedded(arch); ok {
		return b, "the copy embedded in this executable", nil
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err := filepath.EvalSymlinks(exe); err == nil {
			p := filepath.Join(filepath.Dir(exe), FileName(arch))
			if b, err := os.ReadFile(p); err == nil {
				return b, p, nil
			}
		}
	}
	if os.Getenv(FromSourceEnv) == "1" {
		root, err := sourceRoot()
		if err != nil {
			return nil, "", err
		}
		if root == "" {
			return nil, "", fmt.Errorf("$%s=1 but the working directory is not inside aloft's source tree", FromSourceEnv)
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			return nil, "", fmt.Errorf("$%s=1 needs the go command on PATH: %w", FromSourceEnv, err)
		}
		b, err := build(ctx, goTool, root, arch)
		return b, "go build in " + root, err
	}
	return nil, "", fmt.Errorf("no aloft-runner for linux/%s: build aloft with `make build` (it embeds the runners), "+
		"put %s beside the aloft executable, or pass --runner PATH", arch, FileName(arch))
}

// FromSourceEnv names the variable that lets Get build the runner from
// aloft's source tree (tests and `go run` set it to 1). A shipped CLI never
// runs the go command unless asked to.
const FromSourceEnv = "ALOFT_RUNNER_FROM_SOURCE"

// build compiles ./cmd/aloft-runner in the source tree at root, static and
// with paths trimmed, so the same source gives the same bytes.
func build(ctx context.Context, goTool, root, arch string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "aloft-runner-")
	if err != nil {
		return nil, fmt.Errorf("building the runner: %w", err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, FileName(arch))
	cmd := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, "./cmd/aloft-runner")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the runner for linux/%s in %s: %w\n%s", arch, root, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("building the runner: %w", err)
	}
	return b, nil
}

// sourceRoot returns the directory of aloft's go.mod at or above the working
// directory, or "" when the working directory is not inside aloft's source.
func sourceRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding aloft's source tree: %w", err)
	}
	for {
		mod, err := modulePath(filepath.Join(dir, "go.mod"))
		if err == nil && mod == Module {
			return dir, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("finding aloft's source tree: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// modulePath reads the module path a go.mod file declares.
func modulePath(gomod string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	return modfile.ModulePath(b), nil
}

// Path returns a file holding the runner for linux/arch, for callers that
// mount it rather than add it to an image (`aloft run --executor docker`):
// override when it is not empty, else the binary Get finds, written once
// under cacheDir (the user's cache directory when empty) by its digest, so
// the copy embedded in the CLI serves too.
func Path(ctx context.Context, arch, override, cacheDir string) (string, error) {
	if override != "" {
		if _, err := os.Stat(override); err != nil {
			return "", fmt.Errorf("the runner given with --runner: %w", err)
		}
		return override, nil
	}
	b, err := Get(ctx, arch, "")
	if err != nil {
		return "", err
	}
	if cacheDir == "" {
		if cacheDir, err = os.UserCacheDir(); err != nil {
			return "", fmt.Errorf("a place for the runner binary: %w (pass --runner PATH)", err)
		}
		cacheDir = filepath.Join(cacheDir, "aloft")
	}
	sum := sha256.Sum256(b)
	p := filepath.Join(cacheDir, fmt.Sprintf("%s-%x", FileName(arch), sum[:8]))
	if have, err := os.ReadFile(p); err == nil && bytes.Equal(have, b) {
		return p, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("writing the runner binary: %w", err)
	}
	tmp, err := os.CreateTemp(cacheDir, ".runner-*")
	if err != nil {
		return "", fmt.Errorf("writing the runner binary: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o755)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		return "", fmt.Errorf("writing the runner binary: %w", err)
	}
	return p, nil
}
