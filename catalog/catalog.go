package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// ErrNotFound is returned by Get when no entry is stored under the key: a
// cache miss. Nothing has been read or written.
var ErrNotFound = errors.New("catalog: entry not found")

// Store is the part of the blob store the catalog uses. Every store.Store
// (store/dirstore, store/s3store, ...) satisfies it.
type Store interface {
	// Get opens an object; a missing key gives store.ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error)
	// Put writes an object whole; with IfAbsent it gives store.ErrConflict
	// when the key exists.
	Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error)
	// List returns the objects under prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]store.Object, error)
	// Delete removes an object; a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

var _ Store = store.Store(nil)

// Entry is one memoized task call: the outputs of the attempt that first
// completed it. Outputs point at the objects that attempt wrote; a cache hit
// copies no data.
type Entry struct {
	Key          string                          `json:"key"` // "sha256:<hex>", from Key
	Project      string                          `json:"project"`
	Domain       string                          `json:"domain"`
	Task         string                          `json:"task"`
	CacheVersion string                          `json:"cache_version"`
	Inputs       map[string]string               `json:"inputs,omitempty"` // input name -> literal hash, for humans (see InputHashes)
	Outputs      map[string]orchestrator.Literal `json:"outputs"`
	Exec         string                          `json:"exec,omitempty"` // the execution and node that produced it
	Node         string                          `json:"node,omitempty"`
	Created      time.Time                       `json:"created"` // given by the caller, never read from a clock here
}

// Catalog is the memo store of task outputs, kept in the bucket at
//
//	catalog/<project>/<domain>/<task>/<cache-version>/<key-hex>.json
//
// Entries are immutable once written, except through Overwrite. A Catalog
// holds no state of its own and is safe for concurrent use if its Store is.
type Catalog struct {
	st Store
}

// New returns a catalog kept in st.
func New(st Store) *Catalog { return &Catalog{st: st} }

// Get returns the entry stored for key, a key that Key computed for task in
// project/domain. A miss returns ErrNotFound.
func (c *Catalog) Get(ctx context.Context, project, domain string, task *orchestrator.TaskTemplate, key string) (*Entry, error) {
	path, err := entryPath(project, domain, task, key)
	if err != nil {
		return nil, err
	}
	e, err := c.read(ctx, path)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("catalog entry %s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if e.Key != key {
		return nil, fmt.Errorf("catalog entry %s holds key %q, not %q", path, e.Key, key)
	}
	return e, nil
}

// Put stores e as the entry for key if there is none yet. An existing entry
// is kept and Put returns nil: the first writer wins, and concurrent
// identical nodes all succeed. Put fills e's Key, Project, Domain, Task and
// CacheVersion from its arguments (on a copy; e is not changed) and fails if
// e already names different ones, or if e.Outputs does not match the task's
// declared outputs.
func (c *Catalog) Put(ctx context.Context, project, domain string, task *orchestrator.TaskTemplate, key string, e *Entry) error {
	return c.write(ctx, project, domain, task, key, e, store.PutOptions{IfAbsent: true})
}

// Overwrite is Put that replaces an existing entry (for --overwrite-cache).
func (c *Catalog) Overwrite(ctx context.Context, project, domain string, task *orchestrator.TaskTemplate, key string, e *Entry) error {
	return c.write(ctx, project, domain, task, key, e, store.PutOptions{})
}

func (c *Catalog) write(ctx context.Context, project, domain string, task *orchestrator.TaskTemplate, key string, e *Entry, opts store.PutOptions) error {
	path, err := entryPath(project, domain, task, key)
	if err != nil {
		return err
	}
	ent, err := stamp(e, project, domain, task, key)
	if err != nil {
		return fmt.Errorf("catalog entry %s: %w", path, err)
	}
	b, err := json.Marshal(ent)
	if err != nil {
		return fmt.Errorf("encode catalog entry %s: %w", path, err)
	}
	_, err = c.st.Put(ctx, path, bytes.NewReader(append(b, '\n')), opts)
	if opts.IfAbsent && errors.Is(err, store.ErrConflict) {
		return nil // another writer got there first; its outputs are as good
	}
	if err != nil {
		return fmt.Errorf("write catalog entry %s: %w", path, err)
	}
	return nil
}

// stamp returns a copy of e naming where it is stored, after checking that
// its outputs are the task's.
func stamp(e *Entry, project, domain string, task *orchestrator.TaskTemplate, key string) (Entry, error) {
	if e == nil {
		return Entry{}, fmt.Errorf("no entry")
	}
	ent := *e
	for _, f := range []struct {
		name string
		have *string
		want string
	}{
		{"key", &ent.Key, key},
		{"project", &ent.Project, project},
		{"domain", &ent.Domain, domain},
		{"task", &ent.Task, task.Name},
		{"cache version", &ent.CacheVersion, task.Cache.Version},
	} {
		if *f.have != "" && *f.have != f.want {
			return Entry{}, fmt.Errorf("entry names %s %q, not %q", f.name, *f.have, f.want)
		}
		*f.have = f.want
	}
	for name := range ent.Outputs {
		if !hasParam(task.Outputs, name) {
			return Entry{}, fmt.Errorf("task %s has no output %q", task.Name, name)
		}
	}
	for _, p := range task.Outputs {
		v, ok := ent.Outputs[p.Name]
		if !ok && !p.Type.Optional {
			return Entry{}, fmt.Errorf("output %s is missing", p.Name)
		}
		if ok && !v.Conforms(p.Type) {
			return Entry{}, fmt.Errorf("output %s: a %s value does not conform to %s", p.Name, v.Kind, p.Type)
		}
	}
	return ent, nil
}

func hasParam(ps []orchestrator.Param, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}

// read decodes the entry at path; a missing object gives store.ErrNotFound.
func (c *Catalog) read(ctx context.Context, path string) (*Entry, error) {
	var e Entry
	if err := c.readJSON(ctx, path, &e); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("read catalog entry: %w", err)
	}
	return &e, nil
}

// entryPath is where the entry for key of task lives.
func entryPath(project, domain string, task *orchestrator.TaskTemplate, key string) (string, error) {
	return keyPath(layout.CatalogEntryKey, project, domain, task, key)
}

// keyPath builds a catalog key (an entry's or a reservation's) for key of task.
func keyPath(build func(project, domain, task, cacheVersion, key string) (string, error), project, domain string, task *orchestrator.TaskTemplate, key string) (string, error) {
	version, err := cacheVersion(task)
	if err != nil {
		return "", err
	}
	h, err := keyHex(key)
	if err != nil {
		return "", err
	}
	return build(project, domain, task.Name, version, h)
}
