package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCodeTar(t *testing.T) {
	dir := codeDir(t, map[string]string{
		".aloftignore":           "# data stays out\ndata/\n*.tmp\n!keep.tmp\n",
		"tasks/fit.py":           "fit",
		"tasks/run.sh":           "#!/bin/sh\n",
		"tasks/__pycache__/a.py": "x",
		"tasks/b.pyc":            "x",
		"data/big.csv":           "1,2,3",
		"scratch.tmp":            "x",
		"keep.tmp":               "kept",
		".git/HEAD":              "ref: x",
		"z/deep/er.txt":          "deep",
	})
	if err := os.Chmod(filepath.Join(dir, "tasks/run.sh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("tasks/fit.py", filepath.Join(dir, "fit-link")); err != nil {
		t.Fatal(err)
	}
	b, err := codeTar(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range tarHeaders(t, b) {
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: owner %d:%d %q:%q time %v; want 0:0, no names, 1980-01-01", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
		entry := fmt.Sprintf("%c %04o %s", h.Typeflag, h.Mode, h.Name)
		if h.Linkname != "" {
			entry += " -> " + h.Linkname
		}
		got = append(got, entry)
	}
	want := []string{
		"5 0755 aloft/",
		"5 0755 aloft/code/",
		"0 0644 aloft/code/.aloftignore",
		"2 0777 aloft/code/fit-link -> tasks/fit.py",
		"0 0644 aloft/code/keep.tmp",
		"5 0755 aloft/code/tasks/",
		"0 0644 aloft/code/tasks/fit.py",
		"0 0755 aloft/code/tasks/run.sh",
		"5 0755 aloft/code/z/",
		"5 0755 aloft/code/z/deep/",
		"0 0644 aloft/code/z/deep/er.txt",
	}
	if !slices.Equal(got, want) {
		t.Errorf("code layer entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCodeTarRejectsSpecialFiles(t *testing.T) {
	dir := codeDir(t, map[string]string{"a.py": "x"})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if _, err := codeTar(dir); err == nil || !strings.Contains(err.Error(), "pipe is a") || !strings.Contains(err.Error(), ".aloftignore") {
		t.Errorf("codeTar(with a fifo) = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".aloftignore"), []byte("pipe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := codeTar(dir); err != nil {
		t.Errorf("codeTar(fifo ignored) = %v", err)
	}
}

func TestRunnerTar(t *testing.T) {
	b, err := runnerTar([]byte("binary"))
	if err != nil {
		t.Fatal(err)
	}
	h, data := findInTar(t, bytes.NewReader(b), "aloft/bin/aloft-runner")
	if h == nil || h.Mode != 0o755 || string(data) != "binary" {
		t.Errorf("runner entry %+v %q", h, data)
	}
}

func TestMergeEnv(t *testing.T) {
	got := mergeEnv([]string{"PATH=/bin", "LANG=C", "EMPTY"}, map[string]string{"LANG": "C.UTF-8", "B": "2", "A": "1"})
	want := []string{"PATH=/bin", "LANG=C.UTF-8", "EMPTY", "A=1", "B=2"}
	if !slices.Equal(got, want) {
		t.Errorf("mergeEnv = %q, want %q", got, want)
	}
}

// TestCodeTarDiabetesExample packages the diabetes example's directory as
// a build: with code: . would, and finds its tasks where the workflow's
// commands (python3 tasks/split.py ...) look for them under /aloft/code.
func TestCodeTarDiabetesExample(t *testing.T) {
	dir := filepath.Join("..", "examples", "diabetes")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no diabetes example")
	}
	b, err := codeTar(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, h := range tarHeaders(t, b) {
		if strings.Contains(h.Name, "__pycache__") || strings.HasSuffix(h.Name, ".pyc") {
			t.Errorf("%s is in the layer", h.Name)
		}
		names[h.Name] = true
	}
	for _, task := range []string{"split", "fit", "predict", "score"} {
		if !names["aloft/code/tasks/"+task+".py"] {
			t.Errorf("no aloft/code/tasks/%s.py in the layer", task)
		}
	}
}

// tarHeaders reads the headers of a tar archive, in order.
func tarHeaders(t *testing.T, b []byte) []*tar.Header {
	t.Helper()
	var hs []*tar.Header
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hs
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
}
