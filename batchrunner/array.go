package batchrunner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/store"
)

// ArrayManifest is the object an array job reads: the attempt prefix of
// each array index, so that one job submission runs many map items. Its key
// is what the array job's runners get with --array.
type ArrayManifest struct {
	Exec     string   `json:"exec"`
	Node     string   `json:"node"`
	Prefixes []string `json:"prefixes"` // index i runs the attempt at Prefixes[i]
}

// ArrayManifestKey is where WriteArrayManifest puts the manifest of
// prefixes: data/<exec>/<node>/array-<12 hex digits of the SHA-256 of the
// prefix list>.json. The same list always gets the same key.
func ArrayManifestKey(exec, node string, prefixes []string) string {
	return layout.ArrayManifestKey(exec, node, prefixes)
}

// WriteArrayManifest writes the manifest listing prefixes (one attempt
// prefix per array index, each under data/<exec>/) if it is absent, and
// returns its key. Writing the same list again is harmless; a different
// manifest already at the key (a hash collision) is an error wrapping
// store.ErrConflict.
func WriteArrayManifest(ctx context.Context, st store.Store, exec, node string, prefixes []string) (string, error) {
	if len(prefixes) == 0 {
		return "", errors.New("write array manifest: no prefixes")
	}
	for _, p := range prefixes {
		if err := validPrefix(p); err != nil {
			return "", fmt.Errorf("write array manifest: %w", err)
		}
		if !strings.HasPrefix(p, layout.ExecDataPrefix(exec)) {
			return "", fmt.Errorf("write array manifest: prefix %q is not in execution %s", p, exec)
		}
	}
	m := ArrayManifest{Exec: exec, Node: node, Prefixes: prefixes}
	key := ArrayManifestKey(exec, node, prefixes)
	_, err := store.PutJSON(ctx, st, key, &m, store.PutOptions{IfAbsent: true})
	if errors.Is(err, store.ErrConflict) {
		old, rerr := readManifest(ctx, st, key)
		if rerr != nil {
			return "", fmt.Errorf("write array manifest %s: read existing: %w", key, rerr)
		}
		if old.Exec != exec || old.Node != node || !slices.Equal(old.Prefixes, prefixes) {
			return "", fmt.Errorf("write array manifest %s: a different manifest is already there: %w", key, store.ErrConflict)
		}
		return key, nil
	}
	if err != nil {
		return "", fmt.Errorf("write array manifest %s: %w", key, err)
	}
	if err := syncStore(ctx, st); err != nil {
		return "", err
	}
	return key, nil
}

// ReadArrayManifest reads the manifest at key and returns its attempt
// prefixes, one per array index.
func ReadArrayManifest(ctx context.Context, st store.Store, key string) ([]string, error) {
	m, err := readManifest(ctx, st, key)
	if err != nil {
		return nil, fmt.Errorf("read array manifest: %w", err)
	}
	return m.Prefixes, nil
}

// ArrayPrefix reads the manifest at key and returns the attempt prefix of
// array index i, with a clear error when i is out of range.
func ArrayPrefix(ctx context.Context, st store.Store, key string, i int) (string, error) {
	prefixes, err := ReadArrayManifest(ctx, st, key)
	if err != nil {
		return "", err
	}
	if i < 0 || i >= len(prefixes) {
		return "", fmt.Errorf("array index %d is out of range: manifest %s lists %d attempts (0 to %d)", i, key, len(prefixes), len(prefixes)-1)
	}
	return prefixes[i], nil
}

func readManifest(ctx context.Context, st store.Store, key string) (*ArrayManifest, error) {
	var m ArrayManifest
	if _, err := store.GetJSON(ctx, st, key, &m); err != nil {
		return nil, err
	}
	if len(m.Prefixes) == 0 {
		return nil, fmt.Errorf("%s lists no attempts", key)
	}
	for _, p := range m.Prefixes {
		if err := validPrefix(p); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	return &m, nil
}
