package batchrunner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// maxValueBytes bounds the file a primitive, json, list or map output is
// read from.
const maxValueBytes = 16 << 20

// collect validates the declared outputs the task wrote under outDir and
// uploads files and directories to <prefix>outputs/.
func (r *runner) collect(ctx context.Context, task *orchestrator.TaskTemplate, outDir string) (map[string]orchestrator.Literal, *taskError, error) {
	out := make(map[string]orchestrator.Literal, len(task.Outputs))
	for _, p := range task.Outputs {
		path := filepath.Join(outDir, p.Name)
		if terr := r.checkLink(p.Name, path); terr != nil {
			return nil, terr, nil
		}
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			if p.Type.Optional {
				out[p.Name] = orchestrator.Literal{}
				continue
			}
			return nil, failf(orchestrator.ErrUser, "output %s (%s) was not written: the task must write it to %s", p.Name, p.Type, path), nil
		}
		if err != nil {
			return nil, failf(orchestrator.ErrUser, "output %s (%s): %v", p.Name, p.Type, err), nil
		}
		var lit orchestrator.Literal
		var terr *taskError
		switch p.Type.Kind {
		case orchestrator.KindFile:
			if !fi.Mode().IsRegular() {
				return nil, failf(orchestrator.ErrUser, "output %s (file): %s is not a regular file", p.Name, path), nil
			}
			var b orchestrator.Blob
			b, err = r.upload(ctx, path, r.prefix+OutputsDir+p.Name)
			lit = orchestrator.File(b)
		case orchestrator.KindDirectory:
			if !fi.IsDir() {
				return nil, failf(orchestrator.ErrUser, "output %s (directory): %s is not a directory", p.Name, path), nil
			}
			var b orchestrator.Blob
			b, terr, err = r.uploadDir(ctx, p.Name, path, r.prefix+OutputsDir+p.Name)
			lit = orchestrator.Directory(b)
		default:
			if fi.IsDir() {
				return nil, failf(orchestrator.ErrUser, "output %s (%s): %s is a directory; write the value as text to a file there", p.Name, p.Type, path), nil
			}
			lit, terr = readValue(p, path, fi.Size())
		}
		if err != nil {
			return nil, nil, fmt.Errorf("output %s: %w", p.Name, err)
		}
		if terr != nil {
			return nil, terr, nil
		}
		out[p.Name] = lit
	}
	return out, nil, nil
}

// upload stores one file at key with its SHA-256 digest.
func (r *runner) upload(ctx context.Context, path, key string) (orchestrator.Blob, error) {
	f, err := os.Open(path)
	if err != nil {
		return orchestrator.Blob{}, err
	}
	defer f.Close()
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(f, h)}
	if _, err := r.st.Put(ctx, key, cr, store.PutOptions{}); err != nil {
		return orchestrator.Blob{}, fmt.Errorf("upload %s: %w", key, err)
	}
	return orchestrator.Blob{URI: r.st.URI(key), Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: cr.n}, nil
}

// uploadDir stores every file under dir, the output name, at key/<relative
// path> and returns the directory's blob: its URI names key, its digest is
// DirectoryDigest.
func (r *runner) uploadDir(ctx context.Context, name, dir, key string) (orchestrator.Blob, *taskError, error) {
	files := map[string]string{}
	var total int64
	var terr *taskError
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.Type()&fs.ModeSymlink != 0 {
			if terr = r.checkLink(name+"/"+rel, p); terr != nil {
				return filepath.SkipAll
			}
		}
		fi, err := os.Stat(p) // follows a symbolic link
		if err != nil || !fi.Mode().IsRegular() {
			terr = failf(orchestrator.ErrUser, "output directory %s: %s is not a regular file (symbolic links to directories are not followed)", dir, rel)
			return filepath.SkipAll
		}
		if err := store.ValidKey(key + "/" + rel); err != nil {
			terr = failf(orchestrator.ErrUser, "output directory %s: file name %q cannot be stored: %v", dir, rel, err)
			return filepath.SkipAll
		}
		b, err := r.upload(ctx, p, key+"/"+rel)
		if err != nil {
			return err
		}
		files[rel] = b.Digest
		total += b.Size
		return nil
	})
	if terr != nil || err != nil {
		return orchestrator.Blob{}, terr, err
	}
	return orchestrator.Blob{URI: r.st.URI(key), Digest: DirectoryDigest(files), Size: total}, nil, nil
}

// checkLink fails the output named name when path is a symbolic link that
// resolves outside the attempt's work directory (Decision 23): a task's
// outputs must not carry other files of the machine (/etc/passwd, a
// user's keys) into the store. A link inside the work directory is
// followed.
func (r *runner) checkLink(name, path string) *taskError {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return nil
	}
	target, _ := os.Readlink(path)
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil // a dangling link: reading it fails as a missing file does
	}
	root, err := filepath.EvalSymlinks(r.work)
	if err != nil {
		root = r.work
	}
	if rel, err := filepath.Rel(root, resolved); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return failf(orchestrator.ErrUser, "output %s: %s is a symbolic link to %s, outside the attempt's work directory %s; write or copy the file there instead of linking to it", name, path, target, r.work)
	}
	return nil
}

// DirectoryDigest is the digest of a directory given the digest of each of
// its files by slash-separated relative path: "sha256:" and the hex SHA-256
// of the canonical JSON list of [path, digest] pairs sorted by path
// (Decision 6), e.g. of [["a.txt","sha256:…"],["sub/b.bin","sha256:…"]].
func DirectoryDigest(files map[string]string) string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	pairs := make([][2]string, len(paths))
	for i, p := range paths {
		pairs[i] = [2]string{p, files[p]}
	}
	b, _ := marshalJSON(pairs)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readValue parses a primitive, json, list or map output from the text the
// task wrote.
func readValue(p orchestrator.Param, path string, size int64) (orchestrator.Literal, *taskError) {
	if size > maxValueBytes {
		return orchestrator.Literal{}, failf(orchestrator.ErrUser, "output %s (%s): %s holds %d bytes, more than the %d a value may have", p.Name, p.Type, path, size, maxValueBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return orchestrator.Literal{}, failf(orchestrator.ErrUser, "output %s (%s): %v", p.Name, p.Type, err)
	}
	text := string(b)
	lit, err := parseValue(p.Type, text)
	if err != nil {
		return orchestrator.Literal{}, failf(orchestrator.ErrUser, "output %s (%s): cannot parse %s: %v", p.Name, p.Type, quoteShort(text), err)
	}
	return lit, nil
}

// parseValue reads a value of type t from a task's text: a primitive as
// text (surrounding space ignored; a string loses one final newline), json
// as JSON, a list or map as a JSON array or object of such values.
func parseValue(t orchestrator.Type, text string) (orchestrator.Literal, error) {
	switch t.Kind {
	case orchestrator.KindString:
		text = strings.TrimSuffix(text, "\n")
		text = strings.TrimSuffix(text, "\r")
		return orchestrator.String(text), nil
	case orchestrator.KindJSON:
		return orchestrator.JSONValue([]byte(text))
	case orchestrator.KindList, orchestrator.KindMap:
		return parseJSONValue(t, json.RawMessage(strings.TrimSpace(text)))
	}
	return parsePrimitive(t, strings.TrimSpace(text))
}

func parsePrimitive(t orchestrator.Type, s string) (orchestrator.Literal, error) {
	switch t.Kind {
	case orchestrator.KindInt:
		v, err := strconv.ParseInt(s, 10, 64)
		return orchestrator.Int(v), numErr(err)
	case orchestrator.KindFloat:
		v, err := strconv.ParseFloat(s, 64)
		return orchestrator.Float(v), numErr(err)
	case orchestrator.KindBool:
		v, err := strconv.ParseBool(s)
		return orchestrator.Bool(v), numErr(err)
	case orchestrator.KindString:
		return orchestrator.String(s), nil
	case orchestrator.KindDatetime:
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return orchestrator.Literal{}, fmt.Errorf("want an RFC 3339 time like 2024-05-01T03:00:00Z")
		}
		return orchestrator.Datetime(v), nil
	case orchestrator.KindDuration:
		if v, err := time.ParseDuration(s); err == nil {
			return orchestrator.Duration(v), nil
		}
		if secs, err := strconv.ParseFloat(s, 64); err == nil {
			return orchestrator.Duration(time.Duration(secs * float64(time.Second))), nil
		}
		return orchestrator.Literal{}, fmt.Errorf("want a duration like 90s or 1h30m, or seconds")
	}
	return orchestrator.Literal{}, fmt.Errorf("%s values cannot be read from text", t)
}

func numErr(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}

// parseJSONValue reads a list or map element from JSON.
func parseJSONValue(t orchestrator.Type, raw json.RawMessage) (orchestrator.Literal, error) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) && t.Optional {
		return orchestrator.Literal{}, nil
	}
	switch t.Kind {
	case orchestrator.KindJSON:
		return orchestrator.JSONValue(raw)
	case orchestrator.KindList:
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return orchestrator.Literal{}, fmt.Errorf("want a JSON array: %v", err)
		}
		out := make([]orchestrator.Literal, len(elems))
		for i, e := range elems {
			v, err := parseJSONValue(*t.Elem, e)
			if err != nil {
				return orchestrator.Literal{}, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = v
		}
		return orchestrator.List(out...), nil
	case orchestrator.KindMap:
		var elems map[string]json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return orchestrator.Literal{}, fmt.Errorf("want a JSON object: %v", err)
		}
		out := make(map[string]orchestrator.Literal, len(elems))
		for k, e := range elems {
			v, err := parseJSONValue(*t.Elem, e)
			if err != nil {
				return orchestrator.Literal{}, fmt.Errorf("key %q: %w", k, err)
			}
			out[k] = v
		}
		return orchestrator.Map(out), nil
	case orchestrator.KindFile, orchestrator.KindDirectory:
		return orchestrator.Literal{}, fmt.Errorf("%s elements of list and map outputs are not supported; use a directory output", t)
	case orchestrator.KindString, orchestrator.KindDatetime, orchestrator.KindDuration:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return orchestrator.Literal{}, fmt.Errorf("want a JSON string for %s", t)
		}
		return parsePrimitive(t, s)
	}
	return parsePrimitive(t, string(bytes.TrimSpace(raw)))
}

// quoteShort quotes text for a message, cut to a readable length.
func quoteShort(s string) string {
	const max = 200
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
