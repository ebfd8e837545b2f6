package batchrunner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// fetcher brings an attempt's inputs into the scratch directory and renders
// them for the command line.
type fetcher struct {
	st      store.Store
	client  *http.Client
	taskDir string // relative local paths are relative to it
}

// fetchAll fetches every input under dir (a file input x lands at dir/x,
// keeping the extension of its source, a directory at dir/x/, the files of
// a list at dir/x/0, dir/x/1, ...) and returns each input's text for the
// command line.
func (f *fetcher) fetchAll(ctx context.Context, inputs map[string]orchestrator.Literal, dir string) (map[string]string, *taskError, error) {
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	values := make(map[string]string, len(inputs))
	for _, n := range names {
		v, terr, err := f.render(ctx, inputs[n], filepath.Join(dir, safeName(n)))
		if err != nil {
			return nil, nil, fmt.Errorf("input %s: %w", n, err)
		}
		if terr != nil {
			terr.msg = "input " + n + ": " + terr.msg
			return nil, terr, nil
		}
		values[n] = v
	}
	return values, nil, nil
}

// render gives l's command-line text: a local path for a file or directory
// (fetched to dst), the text of a primitive, JSON text for json, list and map.
func (f *fetcher) render(ctx context.Context, l orchestrator.Literal, dst string) (string, *taskError, error) {
	switch l.Kind {
	case orchestrator.KindFile:
		return f.fetchFile(ctx, *l.Blob, dst+extOf(l.Blob.URI))
	case orchestrator.KindDirectory:
		return f.fetchDir(ctx, *l.Blob, dst)
	case orchestrator.KindList, orchestrator.KindMap:
		v, terr, err := f.jsonValue(ctx, l, dst)
		if terr != nil || err != nil {
			return "", terr, err
		}
		b, err := marshalJSON(v)
		return string(b), nil, err
	}
	return l.Text(), nil, nil
}

// jsonValue is l as a JSON value, files fetched and named by local path.
func (f *fetcher) jsonValue(ctx context.Context, l orchestrator.Literal, dst string) (any, *taskError, error) {
	switch l.Kind {
	case orchestrator.KindNone:
		return nil, nil, nil
	case orchestrator.KindInt:
		return l.Int, nil, nil
	case orchestrator.KindFloat:
		if math.IsInf(l.Flt, 0) || math.IsNaN(l.Flt) {
			return l.Text(), nil, nil
		}
		return l.Flt, nil, nil
	case orchestrator.KindBool:
		return l.Bool, nil, nil
	case orchestrator.KindJSON:
		return json.RawMessage(l.Str), nil, nil
	case orchestrator.KindFile, orchestrator.KindDirectory:
		p, terr, err := f.render(ctx, l, dst)
		return p, terr, err
	case orchestrator.KindList:
		out := make([]any, len(l.List))
		for i, e := range l.List {
			v, terr, err := f.jsonValue(ctx, e, filepath.Join(dst, strconv.Itoa(i)))
			if terr != nil || err != nil {
				return nil, terr, err
			}
			out[i] = v
		}
		return out, nil, nil
	case orchestrator.KindMap:
		keys := make([]string, 0, len(l.Map))
		for k := range l.Map {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(map[string]any, len(keys))
		for i, k := range keys {
			v, terr, err := f.jsonValue(ctx, l.Map[k], filepath.Join(dst, strconv.Itoa(i)))
			if terr != nil || err != nil {
				return nil, terr, err
			}
			out[k] = v
		}
		return out, nil, nil
	}
	return l.Text(), nil, nil // string, datetime, duration
}

// fetchFile copies one file to dst and returns dst.
func (f *fetcher) fetchFile(ctx context.Context, b orchestrator.Blob, dst string) (string, *taskError, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o777); err != nil {
		return "", nil, err
	}
	if key, ok := f.st.KeyOf(b.URI); ok {
		_, terr, err := f.fetchObject(ctx, key, b.Digest, dst)
		if terr != nil || err != nil {
			return "", terr, err
		}
		return dst, nil, nil
	}
	u, err := url.Parse(b.URI)
	if err != nil {
		return "", failf(orchestrator.ErrNoRetry, "bad URI %q: %v", b.URI, err), nil
	}
	switch u.Scheme {
	case "https", "http":
		return f.download(ctx, b, dst)
	case "file", "":
		src := localPath(u, b.URI, f.taskDir)
		in, err := os.Open(src)
		if err != nil {
			return "", failf(orchestrator.ErrNoRetry, "open %s: %v", src, err), nil
		}
		defer in.Close()
		if fi, err := in.Stat(); err == nil && fi.IsDir() {
			return "", failf(orchestrator.ErrNoRetry, "%s is a directory, not a file", src), nil
		}
		if err := copyToFile(dst, in, b.Digest, nil); err != nil {
			var de *digestError
			if errors.As(err, &de) {
				return "", failf(orchestrator.ErrNoRetry, "%s: %v", src, err), nil
			}
			return "", nil, err
		}
		return dst, nil, nil
	}
	return "", failf(orchestrator.ErrNoRetry, "cannot fetch %s: not in this store and not an https URL or a local path", b.URI), nil
}

// fetchObject copies the store object key to dst, hashing it on the way
// (one pass), and returns its digest. Bytes that differ from want (when set)
// fail the attempt with a system error, so it is retried: the object may be
// replaced by then, and a cache lookup quarantines it (Decision 23). The
// task gets a copy, never the store's own file.
func (f *fetcher) fetchObject(ctx context.Context, key, want, dst string) (string, *taskError, error) {
	rc, obj, err := f.st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", failf(orchestrator.ErrNoRetry, "%s is not in the store", f.st.URI(key)), nil
	}
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	if !strings.HasPrefix(want, "sha256:") {
		want = "" // only SHA-256 is checked; others come from outside the store
	}
	if want != "" && obj.Digest != "" && obj.Digest != want {
		return "", failf(orchestrator.ErrSystem, "%s: the store holds %s, not the recorded %s", f.st.URI(key), obj.Digest, want), nil
	}
	sum := sha256.New()
	err = copyToFile(dst, rc, want, sum)
	var de *digestError
	if errors.As(err, &de) {
		return "", failf(orchestrator.ErrSystem, "%s: %v", f.st.URI(key), err), nil
	}
	if err != nil {
		return "", nil, err
	}
	return "sha256:" + hex.EncodeToString(sum.Sum(nil)), nil, nil
}

// download fetches an http(s) URL, checking its digest when the literal has one.
func (f *fetcher) download(ctx context.Context, b orchestrator.Blob, dst string) (string, *taskError, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.URI, nil)
	if err != nil {
		return "", failf(orchestrator.ErrNoRetry, "fetch %s: %v", b.URI, err), nil
	}
	resp, err := f.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", nil, ctx.Err()
		}
		return "", failf(orchestrator.ErrSystem, "fetch %s: %v", b.URI, err), nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		kind := orchestrator.ErrSystem
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			kind = orchestrator.ErrNoRetry
		}
		return "", failf(kind, "fetch %s: %s", b.URI, resp.Status), nil
	}
	if err := copyToFile(dst, resp.Body, b.Digest, nil); err != nil {
		if ctx.Err() != nil {
			return "", nil, ctx.Err()
		}
		var de *digestError
		if errors.As(err, &de) {
			return "", failf(orchestrator.ErrNoRetry, "fetch %s: %v", b.URI, err), nil
		}
		return "", failf(orchestrator.ErrSystem, "fetch %s: %v", b.URI, err), nil
	}
	return dst, nil, nil
}

// fetchDir copies a directory: a prefix of this store, or a local directory.
func (f *fetcher) fetchDir(ctx context.Context, b orchestrator.Blob, dst string) (string, *taskError, error) {
	if err := os.MkdirAll(dst, 0o777); err != nil {
		return "", nil, err
	}
	if key, ok := f.st.KeyOf(strings.TrimSuffix(b.URI, "/")); ok {
		objs, err := f.st.List(ctx, key+"/")
		if err != nil {
			return "", nil, err
		}
		files := make(map[string]string, len(objs))
		for _, o := range objs {
			rel := strings.TrimPrefix(o.Key, key+"/")
			p := filepath.Join(dst, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
				return "", nil, err
			}
			got, terr, err := f.fetchObject(ctx, o.Key, "", p)
			if terr != nil || err != nil {
				return "", terr, err
			}
			files[rel] = got
		}
		if got := DirectoryDigest(files); b.Digest != "" && got != b.Digest {
			return "", failf(orchestrator.ErrSystem, "%s: the store's files hash to %s, not the recorded %s", b.URI, got, b.Digest), nil
		}
		return dst, nil, nil
	}
	u, err := url.Parse(b.URI)
	if err != nil || (u.Scheme != "file" && u.Scheme != "") {
		return "", failf(orchestrator.ErrNoRetry, "cannot fetch directory %s: not in this store and not a local path", b.URI), nil
	}
	src := localPath(u, b.URI, f.taskDir)
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o777)
		}
		in, err := os.Open(p) // follows a symbolic link to a file
		if err != nil {
			return err
		}
		defer in.Close()
		return copyToFile(filepath.Join(dst, rel), in, "", nil)
	})
	if err != nil {
		return "", failf(orchestrator.ErrNoRetry, "copy directory %s: %v", src, err), nil
	}
	return dst, nil, nil
}

// localPath is the file a file:// URI or a plain path names.
func localPath(u *url.URL, raw, base string) string {
	p := raw
	if u.Scheme == "file" {
		p = u.Path
	}
	if !filepath.IsAbs(p) && base != "" {
		p = filepath.Join(base, p)
	}
	return p
}

// digestError says fetched bytes did not match the digest they were promised.
type digestError struct{ want, got string }

func (e *digestError) Error() string {
	return fmt.Sprintf("digest mismatch: want %s, got %s", e.want, e.got)
}

// copyToFile writes r to a new file dst. With want set ("sha256:<hex>"),
// it checks the content against it. With sum set, it hashes into it.
func copyToFile(dst string, r io.Reader, want string, sum hash.Hash) error {
	if want != "" && sum == nil {
		if !strings.HasPrefix(want, "sha256:") {
			return &digestError{want: want, got: "(only sha256 digests can be checked)"}
		}
		sum = sha256.New()
	}
	if sum != nil {
		r = io.TeeReader(r, sum)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if want != "" {
		if got := "sha256:" + hex.EncodeToString(sum.Sum(nil)); got != want {
			return &digestError{want: want, got: got}
		}
	}
	return nil
}

// extOf is the extension of the URI's last path element ("" when it has
// none or an odd one), kept so tools that look at file names still work.
func extOf(uri string) string {
	p := uri
	if u, err := url.Parse(uri); err == nil && u.Path != "" {
		p = u.Path
	}
	ext := path.Ext(path.Base(p))
	if len(ext) < 2 || len(ext) > 16 {
		return ""
	}
	for _, c := range ext[1:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return ext
}

// marshalJSON encodes v compactly without HTML escaping.
func marshalJSON(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}
