package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/store"
)

// List returns the entries of task in project/domain, or of every task there
// when task is "", sorted by task, cache version and key (for `aloft cache
// list`). It reads every entry, one object at a time. An entry evicted while
// List runs is left out, and so is one that cannot be read or decoded.
func (c *Catalog) List(ctx context.Context, project, domain, task string) ([]Entry, error) {
	return c.ListSkipping(ctx, project, domain, task, nil)
}

// ListSkipping is List that reports each entry it leaves out because it
// cannot be read or decoded to skip (when not nil) with the entry's key.
// Such an entry is a miss for Lookup, which removes it so the next run
// writes it again; Evict removes it too.
func (c *Catalog) ListSkipping(ctx context.Context, project, domain, task string, skip func(key string, err error)) ([]Entry, error) {
	segs := []string{project, domain}
	if task != "" {
		segs = append(segs, task)
	}
	prefix, err := layout.CatalogDir(segs...)
	if err != nil {
		return nil, err
	}
	objs, err := c.entries(ctx, prefix, "")
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, o := range objs {
		e, err := c.read(ctx, o.Key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			if skip != nil {
				skip(o.Key, err)
			}
			continue
		}
		out = append(out, *e)
	}
	return out, nil
}

// Evict deletes entries of task in project/domain (for `aloft cache evict`):
// the one for key under version, or when key is "" every entry of version,
// or when version is "" that key (or every entry) under any version. It
// returns how many entries it deleted. Evicting what is not there is not an
// error. On an error some entries may already be gone.
func (c *Catalog) Evict(ctx context.Context, project, domain, task, version, key string) (int, error) {
	segs := []string{project, domain, task}
	if version != "" {
		segs = append(segs, version)
	}
	prefix, err := layout.CatalogDir(segs...)
	if err != nil {
		return 0, err
	}
	name := ""
	if key != "" {
		h, err := keyHex(key)
		if err != nil {
			return 0, err
		}
		name = h
	}
	objs, err := c.entries(ctx, prefix, name)
	if err != nil {
		return 0, err
	}
	for i, o := range objs {
		if err := c.st.Delete(ctx, o.Key); err != nil {
			return i, fmt.Errorf("evict catalog entry %s: %w", o.Key, err)
		}
	}
	return len(objs), nil
}

// entries lists the entry objects under prefix, those named name if it is
// not "" (a key's hex digest). Objects that do not fit the catalog layout
// (catalog/<project>/<domain>/<task>/<version>/<hex>.json) are skipped.
func (c *Catalog) entries(ctx context.Context, prefix, name string) ([]store.Object, error) {
	objs, err := c.st.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	var out []store.Object
	for _, o := range objs {
		_, _, _, _, h, ok := layout.ParseCatalogEntryKey(o.Key)
		if !ok {
			continue
		}
		if _, err := keyHex("sha256:" + h); err != nil {
			continue
		}
		if name != "" && h != name {
			continue
		}
		out = append(out, o)
	}
	return out, nil
}
