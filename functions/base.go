package functions

import (
	"log/slog"
	"strings"
	"time"

	"github.com/aloft-run/aloft/store"
)

// Base is what every handler has: the store its events name, the clock and
// the logger. Each function's handler type embeds it and adds only what
// that function uses.
type Base struct {
	Store  store.Store
	Bucket string // the bucket events name (S3), for keys relative to Store
	Now    func() time.Time
	Log    *slog.Logger
}

func (c *Base) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Base) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// keyOf maps a bucket-absolute key from an S3 event to a store key; ok is
// false for another bucket or outside the store's prefix.
func (c *Base) keyOf(bucket, key string) (string, bool) {
	if c.Bucket != "" && bucket != c.Bucket {
		return "", false
	}
	if k, ok := c.Store.KeyOf("s3://" + bucket + "/" + key); ok {
		return k, true
	}
	// A store that is not S3 (the directory store under `aloft dev`): its
	// events name the store's own keys.
	if c.Bucket != "" && !strings.HasPrefix(c.Store.URI(""), "s3://") {
		return key, store.ValidKey(key) == nil
	}
	return "", false
}
