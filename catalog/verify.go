package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// ErrUnusable is wrapped (together with ErrNotFound) by Lookup's error when
// an entry exists but cannot be used: it does not decode, or an output it
// points at is gone or failed its recorded size or digest. The entry has
// been removed then, so the run that misses writes a fresh one.
var ErrUnusable = errors.New("catalog: entry unusable")

// errCorrupt marks content that is not what it should be: a record that
// does not decode, a blob that failed its digest.
var errCorrupt = errors.New("corrupt")

// Reason is the record kept beside a quarantined blob
// (layout.QuarantineReasonKey): what its bytes were expected to be and
// what the store reported instead.
type Reason struct {
	Key     string    `json:"key"`   // the blob's original key
	Entry   string    `json:"entry"` // the catalog entry that pointed at it
	Output  string    `json:"output"`
	Want    string    `json:"want"` // "sha256:<hex>, N bytes"
	Got     string    `json:"got"`
	Moved   time.Time `json:"moved"`
	Problem string    `json:"problem"` // one line for humans
}

// Quarantined is one blob under quarantine/ with its reason (zero when the
// record is missing or unreadable).
type Quarantined struct {
	Key    string       // the quarantined object (quarantine/<orig>)
	Orig   string       // where it was
	Size   int64        // its size
	Reason Reason       // why it was moved
	Object store.Object // as listed
}

// Lookup is Get followed by a check of the outputs the entry points at
// (Decision 23): each file output in the store must exist with its recorded
// size and, where the store reports one, its recorded SHA-256 (the store's
// checksum, never the bytes: nothing is downloaded). A blob that fails is
// moved to quarantine/ with a Reason record; an entry that does not decode
// or points at a missing or failed blob is deleted and Lookup returns an
// error wrapping ErrNotFound and ErrUnusable (a miss; the caller runs the
// task and writes a new entry). now stamps the Reason.
func (c *Catalog) Lookup(ctx context.Context, project, domain string, task *orchestrator.TaskTemplate, key string, now time.Time) (*Entry, error) {
	blobs, ok := c.st.(store.Store)
	if !ok {
		return nil, fmt.Errorf("catalog lookup: %T is not a full store (it needs Head and KeyOf)", c.st)
	}
	path, err := entryPath(project, domain, task, key)
	if err != nil {
		return nil, err
	}
	e, err := c.Get(ctx, project, domain, task, key)
	if errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if errors.Is(err, errCorrupt) {
		return nil, c.unusable(ctx, path, err)
	}
	if err != nil {
		return nil, err
	}
	for _, name := range sortedNames(e.Outputs) {
		err := c.checkOutput(ctx, blobs, path, name, e.Outputs[name], now)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, errCorrupt) {
			return nil, c.unusable(ctx, path, err)
		}
		if err != nil {
			return nil, err
		}
	}
	return e, nil
}

// unusable deletes the entry at path and returns why it is a miss.
func (c *Catalog) unusable(ctx context.Context, path string, why error) error {
	if err := c.st.Delete(ctx, path); err != nil {
		return fmt.Errorf("%w (and removing it failed: %v): %w: %w", why, err, ErrNotFound, ErrUnusable)
	}
	return fmt.Errorf("%w; entry removed: %w: %w", why, ErrNotFound, ErrUnusable)
}

// checkOutput checks the files of one output literal (lists and maps of
// files too).
func (c *Catalog) checkOutput(ctx context.Context, blobs store.Store, entry, name string, l orchestrator.Literal, now time.Time) error {
	switch l.Kind {
	case orchestrator.KindList:
		for _, x := range l.List {
			if err := c.checkOutput(ctx, blobs, entry, name, x, now); err != nil {
				return err
			}
		}
	case orchestrator.KindMap:
		for _, k := range sortedNames(l.Map) {
			if err := c.checkOutput(ctx, blobs, entry, name, l.Map[k], now); err != nil {
				return err
			}
		}
	case orchestrator.KindFile:
		if l.Blob != nil {
			return c.checkBlob(ctx, blobs, entry, name, *l.Blob, now)
		}
	}
	return nil
}

func (c *Catalog) checkBlob(ctx context.Context, blobs store.Store, entry, name string, b orchestrator.Blob, now time.Time) error {
	key, ok := blobs.KeyOf(b.URI)
	if !ok {
		return nil // outside this store: an external object, read (and checked) by the runner
	}
	obj, err := blobs.Head(ctx, key)
	if err != nil {
		return fmt.Errorf("output %s: %s: %w", name, b.URI, err)
	}
	sizeBad := b.Size > 0 && obj.Size != b.Size
	digestBad := b.Digest != "" && obj.Digest != "" && obj.Digest != b.Digest
	if !sizeBad && !digestBad {
		return nil
	}
	r := Reason{Key: key, Entry: entry, Output: name, Moved: now.UTC(),
		Want: describe(b.Digest, b.Size), Got: describe(obj.Digest, obj.Size)}
	r.Problem = fmt.Sprintf("output %s of %s: the store holds %s, the entry recorded %s", name, entry, r.Got, r.Want)
	if err := quarantine(ctx, blobs, r); err != nil {
		return fmt.Errorf("%s; quarantine failed: %w", r.Problem, err)
	}
	return fmt.Errorf("%s; moved to %s: %w", r.Problem, layout.QuarantineKey(key), errCorrupt)
}

func describe(digest string, size int64) string {
	if digest == "" {
		digest = "no digest"
	}
	return fmt.Sprintf("%s, %d bytes", digest, size)
}

// quarantine moves the blob r.Key to quarantine/ and writes r beside it.
// The reason is written first, so a blob under quarantine/ always has one
// unless the move was interrupted between its copy and the reason.
func quarantine(ctx context.Context, st store.Store, r Reason) error {
	if _, err := store.PutJSON(ctx, st, layout.QuarantineReasonKey(r.Key), r, store.PutOptions{}); err != nil {
		return err
	}
	return store.Move(ctx, st, r.Key, layout.QuarantineKey(r.Key))
}

// ListQuarantined returns the blobs under quarantine/, sorted by key, each
// with its reason record (for `aloft cache list`). A reason that cannot be
// read is reported through warn and left zero.
func (c *Catalog) ListQuarantined(ctx context.Context, warn func(key string, err error)) ([]Quarantined, error) {
	objs, err := c.st.List(ctx, layout.QuarantineRoot)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", layout.QuarantineRoot, err)
	}
	var out []Quarantined
	for _, o := range objs {
		orig, ok := layout.ParseQuarantineKey(o.Key)
		if !ok {
			continue
		}
		q := Quarantined{Key: o.Key, Orig: orig, Size: o.Size, Object: o}
		rk := layout.QuarantineReasonKey(orig)
		if err := c.readJSON(ctx, rk, &q.Reason); err != nil && warn != nil {
			warn(rk, err)
		}
		out = append(out, q)
	}
	return out, nil
}

// EvictQuarantined deletes every quarantined blob and reason record and
// returns how many blobs it deleted.
func (c *Catalog) EvictQuarantined(ctx context.Context) (int, error) {
	objs, err := c.st.List(ctx, layout.QuarantineRoot)
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", layout.QuarantineRoot, err)
	}
	n := 0
	for _, o := range objs {
		if err := c.st.Delete(ctx, o.Key); err != nil {
			return n, fmt.Errorf("evict %s: %w", o.Key, err)
		}
		if _, ok := layout.ParseQuarantineKey(o.Key); ok {
			n++
		}
	}
	return n, nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readJSON decodes the object at key into v.
func (c *Catalog) readJSON(ctx context.Context, key string, v any) error {
	rc, _, err := c.st.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w: %w", key, errCorrupt, err)
	}
	return nil
}
