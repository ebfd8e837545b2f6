package images

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where aloft puts things in the images it builds (Decision 9).
const (
	RunnerPath = "/aloft/bin/aloft-runner"
	CodeDir    = "/aloft/code"
)

// fixedTime is every entry's modification time in aloft's layers
// (1980-01-01, the earliest time zip and Python's byte-code accept), so
// unchanged content gives unchanged bytes.
func fixedTime() time.Time { return time.Unix(315532800, 0).UTC() }

// tarWriter writes entries with normalized metadata: owner 0:0 with no
// names, the fixed time, and only the modes given.
type tarWriter struct {
	tw *tar.Writer
}

func (w tarWriter) dir(name string) error {
	return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: fixedTime()})
}

func (w tarWriter) file(name string, mode int64, data []byte) error {
	if err := w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: fixedTime()}); err != nil {
		return err
	}
	_, err := w.tw.Write(data)
	return err
}

func (w tarWriter) symlink(name, target string) error {
	return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: fixedTime()})
}

// runnerTar is the runner layer's tar: the binary at RunnerPath, mode 0755.
func runnerTar(runner []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := tarWriter{tar.NewWriter(&buf)}
	err := errors.Join(w.dir("aloft"), w.dir("aloft/bin"), w.file(RunnerPath[1:], 0o755, runner), w.tw.Close())
	if err != nil {
		return nil, fmt.Errorf("writing the runner layer: %w", err)
	}
	return buf.Bytes(), nil
}

// codeTar is the code layer's tar: the directory dir under CodeDir,
// reproducibly (entries in name order, normalized metadata, files 0644 or,
// when any execute bit is set, 0755), less what IgnoreFile and
// alwaysIgnored leave out.
func codeTar(dir string) ([]byte, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("code directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("code directory %s is not a directory", dir)
	}
	text, err := os.ReadFile(filepath.Join(dir, IgnoreFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("code directory: %w", err)
	}
	ig, err := parseIgnore(filepath.Join(dir, IgnoreFile), string(text))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := tarWriter{tar.NewWriter(&buf)}
	root := CodeDir[1:]
	if err := errors.Join(w.dir("aloft"), w.dir(root)); err != nil {
		return nil, err
	}
	if err := addTree(w, ig, dir, "", root); err != nil {
		return nil, fmt.Errorf("code directory %s: %w", dir, err)
	}
	if err := w.tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// addTree writes the entries of dir/rel (rel slash-separated, "" for the
// top) under root, skipping what ig ignores.
func addTree(w tarWriter, ig ignorer, dir, rel, root string) error {
	entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	for _, e := range entries { // os.ReadDir sorts by name
		r := path.Join(rel, e.Name())
		name := root + "/" + r
		switch t := e.Type(); {
		case t.IsDir():
			if ig.ignored(r, true) {
				continue
			}
			if err := w.dir(name); err != nil {
				return err
			}
			if err := addTree(w, ig, dir, r, root); err != nil {
				return err
			}
		case t.IsRegular():
			if ig.ignored(r, false) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r)))
			if err != nil {
				return err
			}
			mode := int64(0o644)
			if info.Mode()&0o111 != 0 {
				mode = 0o755
			}
			if err := w.file(name, mode, data); err != nil {
				return err
			}
		case t&fs.ModeSymlink != 0:
			if ig.ignored(r, false) {
				continue
			}
			target, err := os.Readlink(filepath.Join(dir, filepath.FromSlash(r)))
			if err != nil {
				return err
			}
			if err := w.symlink(name, target); err != nil {
				return err
			}
		default:
			if ig.ignored(r, false) {
				continue
			}
			return fmt.Errorf("%s is a %v, which a layer cannot hold; remove it or list it in %s", r, t.Type(), IgnoreFile)
		}
	}
	return nil
}

// layer gzips a tar (deterministically: no name or time in the gzip
// header) into a layer of media type mt.
func layer(tarBytes []byte, mt types.MediaType) (v1.Layer, error) {
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(tarBytes); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	b := gz.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(mt))
}
