// Package store is the blob-store port of aloft: the one small interface the
// engine, the runner and the catalog use to read and write the bucket.
//
// Every control-plane fact lives in one bucket (see the bucket layout in
// ARCHITECTURE.md); correctness rests on conditional writes: put-if-absent
// (claims, immutable registry objects, catalog entries) and put-if-match
// (execution state). Implementations: store/dirstore (a local directory, the
// embedded default) and store/s3store; store/gcsstore is planned. Every
// implementation must pass the conformance suite in store/storetest.
//
// The package deliberately leaves out caching, retries and credentials: those
// belong to the adapters.
package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned when a key does not exist (Get, Head, Delete with
// IfMatch, Put with IfMatch on a missing key may return ErrConflict instead).
var ErrNotFound = errors.New("store: object not found")

// ErrConflict is returned when a conditional write lost: Put with IfAbsent
// found the key present, or Put with IfMatch found a different ETag (or no
// object). The write has not taken effect; the caller re-reads and decides.
var ErrConflict = errors.New("store: conditional write conflict")

// Object describes one stored object.
type Object struct {
	Key      string    `json:"key"`
	Size     int64     `json:"size"`
	ETag     string    `json:"etag"`   // opaque; changes whenever the content is replaced
	Digest   string    `json:"digest"` // "sha256:<hex>" of the content
	Modified time.Time `json:"modified"`
}

// PutOptions makes a Put conditional. At most one of IfAbsent and IfMatch is set.
type PutOptions struct {
	IfAbsent bool   // fail with ErrConflict if the key exists
	IfMatch  string // fail with ErrConflict unless the current ETag equals this
}

// Store is the blob-store port. Keys are slash-separated relative paths
// ("executions/default/development/x/state.json"), never starting with "/".
type Store interface {
	// Get opens an object for reading. The caller closes the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, Object, error)
	// Head describes an object without reading it.
	Head(ctx context.Context, key string) (Object, error)
	// Put writes an object whole; readers never see a partial object.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error)
	// List returns the objects whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Delete removes an object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// URI names a key as a URI users and other processes can resolve
	// ("file:///abs/dir/key", "s3://bucket/prefix/key").
	URI(key string) string
	// KeyOf is the inverse of URI; ok is false for URIs outside this store.
	KeyOf(uri string) (key string, ok bool)
}

// Syncer is implemented by stores whose writes become durable only on Sync
// (the directory store groups fsyncs: one per commit, not one per object).
type Syncer interface {
	Sync(ctx context.Context) error
}

// Event is an "object created" notification, the shape S3 sends through
// EventBridge reduced to what aloft reads.
type Event struct {
	Key    string
	Size   int64
	ETag   string
	Digest string
	// Body is the object's content when the store had it at hand and it is
	// small (the directory store: up to SmallBody bytes), so that a
	// subscriber need not read it back; nil otherwise. Subscribers must not
	// modify it.
	Body []byte
}

// SmallBody is the most content a store puts in an Event's Body.
const SmallBody = 4096

// Notifier is implemented by stores that announce object creation in-process.
// The callback runs after the write is visible; it must not block for long.
type Notifier interface {
	Subscribe(fn func(Event)) (cancel func())
}

// KeyLister is implemented by stores that can list keys more cheaply than
// List describes objects: S3 lists keys, sizes and ETags in pages, but a
// content digest needs a HEAD per object.
type KeyLister interface {
	// ListKeys is List without digests (Object.Digest is empty).
	ListKeys(ctx context.Context, prefix string) ([]Object, error)
}

// ListKeys lists the objects under prefix without their digests where the
// store can do that more cheaply (KeyLister), else with List. Use it when
// only keys, sizes or ETags matter.
func ListKeys(ctx context.Context, s Store, prefix string) ([]Object, error) {
	if kl, ok := s.(KeyLister); ok {
		return kl.ListKeys(ctx, prefix)
	}
	return s.List(ctx, prefix)
}
