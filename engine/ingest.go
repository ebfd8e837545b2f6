package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// ingestAll turns every external file or directory input (an https URL or a
// local path, no digest yet) into a store object with a digest (Decision 7),
// so the run depends only on the store and cache keys see content.
func (e *Engine) ingestAll(ctx context.Context, exec string, wf *orchestrator.Compiled, in map[string]orchestrator.Literal, base string) (map[string]orchestrator.Literal, error) {
	out, err := ingester{st: e.cfg.Store, get: e.httpGet, base: base}.all(ctx, exec, in)
	var de *DownloadError
	if err != nil && !errors.As(err, &de) {
		return nil, &InputError{Err: err}
	}
	return out, err
}

// DownloadError is an input URL that could not be fetched. The input was
// well formed, so unlike InputError it is a failure, not a usage error.
type DownloadError struct {
	URL string
	Err error
}

func (e *DownloadError) Error() string { return fmt.Sprintf("download %s: %v", e.URL, e.Err) }
func (e *DownloadError) Unwrap() error { return e.Err }

// UploadLocalInputs puts the local files and directories among inputs into
// st under data/<exec>/inputs/<input>/ (where a run's ingestion puts them)
// and returns the inputs with those values replaced by store objects with
// digests. URLs and store objects are kept for the run to ingest. Relative
// paths resolve against base. A path that does not exist is an error
// wrapping ErrLocalInput.
func UploadLocalInputs(ctx context.Context, st store.Store, exec string, in map[string]orchestrator.Literal, base string) (map[string]orchestrator.Literal, error) {
	return ingester{st: st, base: base}.all(ctx, exec, in)
}

// ErrLocalInput marks a local input path that cannot be read.
var ErrLocalInput = errors.New("local input")

// ingester brings external inputs into a store; without get, URLs are
// left as they are.
type ingester struct {
	st   store.Store
	get  func(ctx context.Context, url string) ([]byte, error)
	base string
}

func (g ingester) all(ctx context.Context, exec string, in map[string]orchestrator.Literal) (map[string]orchestrator.Literal, error) {
	out := make(map[string]orchestrator.Literal, len(in))
	for name, l := range in {
		v, err := g.ingest(ctx, layout.InputPrefix(exec, name), l)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

func (g ingester) ingest(ctx context.Context, prefix string, l orchestrator.Literal) (orchestrator.Literal, error) {
	switch l.Kind {
	case orchestrator.KindList:
		items := make([]orchestrator.Literal, len(l.List))
		for i, x := range l.List {
			v, err := g.ingest(ctx, fmt.Sprintf("%s/%d", prefix, i), x)
			if err != nil {
				return l, err
			}
			items[i] = v
		}
		return orchestrator.List(items...), nil
	case orchestrator.KindMap:
		m := make(map[string]orchestrator.Literal, len(l.Map))
		for k, x := range l.Map {
			v, err := g.ingest(ctx, prefix+"/"+k, x)
			if err != nil {
				return l, err
			}
			m[k] = v
		}
		return orchestrator.Map(m), nil
	case orchestrator.KindFile, orchestrator.KindDirectory:
		if l.Blob.Digest != "" {
			return l, nil
		}
	default:
		return l, nil
	}
	uri := l.Blob.URI
	if key, ok := g.st.KeyOf(uri); ok {
		if g.get == nil {
			return l, nil
		}
		return g.fromStore(ctx, l.Kind, key)
	}
	if strings.HasPrefix(uri, "https://") || strings.HasPrefix(uri, "http://") {
		if g.get == nil {
			return l, nil
		}
		if l.Kind == orchestrator.KindDirectory {
			return l, fmt.Errorf("a directory cannot come from a URL (%s)", uri)
		}
		body, err := g.get(ctx, uri)
		if err != nil {
			return l, &DownloadError{URL: uri, Err: err}
		}
		key := prefix + "/" + baseName(uri)
		obj, err := store.PutBytes(ctx, g.st, key, body, store.PutOptions{})
		if err != nil {
			return l, err
		}
		return orchestrator.File(orchestrator.Blob{URI: g.st.URI(key), Digest: obj.Digest, Size: obj.Size}), nil
	}
	p, local := strings.CutPrefix(uri, "file://")
	if !local && strings.Contains(uri, "://") {
		if g.get == nil {
			return l, nil // s3:// and the like: the run ingests them
		}
		return l, fmt.Errorf("%s is neither in the bucket nor an https:// URL nor a local path", uri)
	}
	if !filepath.IsAbs(p) && g.base != "" {
		p = filepath.Join(g.base, p)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return l, fmt.Errorf("%w: %w (give a path that exists, an https:// URL or an object in the bucket)", ErrLocalInput, err)
	}
	if l.Kind == orchestrator.KindFile {
		if fi.IsDir() {
			return l, fmt.Errorf("%w: %s is a directory; the input is a file", ErrLocalInput, p)
		}
		return g.putFile(ctx, prefix+"/"+filepath.Base(p), p)
	}
	if !fi.IsDir() {
		return l, fmt.Errorf("%w: %s is not a directory", ErrLocalInput, p)
	}
	return g.putDir(ctx, prefix+"/"+filepath.Base(p)+"/", p)
}

func (g ingester) putFile(ctx context.Context, key, p string) (orchestrator.Literal, error) {
	f, err := os.Open(p)
	if err != nil {
		return orchestrator.Literal{}, err
	}
	defer f.Close()
	obj, err := g.st.Put(ctx, key, f, store.PutOptions{})
	if err != nil {
		return orchestrator.Literal{}, err
	}
	return orchestrator.File(orchestrator.Blob{URI: g.st.URI(key), Digest: obj.Digest, Size: obj.Size}), nil
}

func (g ingester) putDir(ctx context.Context, prefix, dir string) (orchestrator.Literal, error) {
	files := map[string]string{}
	var size int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		v, err := g.putFile(ctx, prefix+rel, p)
		if err != nil {
			return err
		}
		files[rel] = v.Blob.Digest
		size += v.Blob.Size
		return nil
	})
	if err != nil {
		return orchestrator.Literal{}, err
	}
	return orchestrator.Directory(orchestrator.Blob{URI: g.st.URI(strings.TrimSuffix(prefix, "/")), Digest: batchrunner.DirectoryDigest(files), Size: size}), nil
}

// fromStore gives a store object (or prefix, for a directory) its digest.
func (g ingester) fromStore(ctx context.Context, k orchestrator.Kind, key string) (orchestrator.Literal, error) {
	if k == orchestrator.KindFile {
		obj, err := g.st.Head(ctx, key)
		if err != nil {
			return orchestrator.Literal{}, err
		}
		if obj.Digest, err = g.digestOf(ctx, obj); err != nil {
			return orchestrator.Literal{}, err
		}
		return orchestrator.File(orchestrator.Blob{URI: g.st.URI(key), Digest: obj.Digest, Size: obj.Size}), nil
	}
	objs, err := g.st.List(ctx, strings.TrimSuffix(key, "/")+"/")
	if err != nil {
		return orchestrator.Literal{}, err
	}
	files := map[string]string{}
	var size int64
	for _, o := range objs {
		if o.Digest, err = g.digestOf(ctx, o); err != nil {
			return orchestrator.Literal{}, err
		}
		files[strings.TrimPrefix(o.Key, strings.TrimSuffix(key, "/")+"/")] = o.Digest
		size += o.Size
	}
	return orchestrator.Directory(orchestrator.Blob{URI: g.st.URI(key), Digest: batchrunner.DirectoryDigest(files), Size: size}), nil
}

func (e *Engine) httpGet(ctx context.Context, url string) ([]byte, error) {
	if e.cfg.HTTPGet != nil {
		return e.cfg.HTTPGet(ctx, url)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func baseName(uri string) string {
	u := uri
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	b := path.Base(u)
	if b == "" || b == "." || b == "/" {
		return "download"
	}
	return b
}

// digestOf is an object's content digest: the one the store reports, or,
// for an object another tool uploaded without a SHA-256 (`aws s3 cp` sends
// CRC checksums), the SHA-256 of its bytes, so that the cache keys it by
// content (Decision 7).
func (g ingester) digestOf(ctx context.Context, o store.Object) (string, error) {
	if o.Digest != "" {
		return o.Digest, nil
	}
	rc, _, err := g.st.Get(ctx, o.Key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", fmt.Errorf("hash %s: %w", o.Key, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
