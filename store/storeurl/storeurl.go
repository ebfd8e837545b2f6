// Package storeurl opens the blob store a URI names, so that commands and
// functions take one setting ("--store s3://my-bucket/aloft",
// ALOFT_STORE=.aloft/bucket) for any backend:
//
//	s3://bucket[/prefix]   store/s3store, with the standard AWS configuration
//	                       (credential chain, AWS_REGION, AWS_ENDPOINT_URL)
//	file:///abs/dir        store/dirstore rooted at /abs/dir
//	dir/or/abs/dir         store/dirstore too (a plain path, no scheme)
//
// It leaves out options for the backends (callers needing a custom S3
// client or dirstore options open the package directly) and gs://, which
// waits for store/gcsstore.
package storeurl

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
	"github.com/aloft-run/aloft/store/s3store"
)

// Open opens the store uri names (see the package documentation). A
// directory store's root is created if missing; an S3 store sends no
// request until it is used.
func Open(ctx context.Context, uri string) (store.Store, error) {
	scheme, rest, ok := splitScheme(uri)
	if !ok {
		if uri == "" {
			return nil, &LocationError{Why: "empty location: want s3://bucket[/prefix], file:///dir or a directory path"}
		}
		return openDir(uri, uri)
	}
	switch scheme {
	case "s3":
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, &LocationError{URI: uri, Why: "no bucket: want s3://bucket[/prefix]"}
		}
		s, err := s3store.Open(ctx, bucket, prefix)
		if err != nil {
			return nil, err
		}
		return s, nil
	case "file":
		u, err := url.Parse(uri)
		if err != nil {
			return nil, &LocationError{URI: uri, Why: err.Error()}
		}
		if u.Host != "" && u.Host != "localhost" {
			return nil, &LocationError{URI: uri, Why: fmt.Sprintf("file URIs name a local directory (file:///abs/dir), not one on host %q", u.Host)}
		}
		if !filepath.IsAbs(filepath.FromSlash(u.Path)) {
			return nil, &LocationError{URI: uri, Why: "want an absolute path (file:///abs/dir), or a plain directory path"}
		}
		return openDir(uri, filepath.FromSlash(u.Path))
	case "gs":
		return nil, &LocationError{URI: uri, Why: "gs:// is not supported yet: use s3://bucket[/prefix] or a directory"}
	}
	return nil, &LocationError{URI: uri, Why: fmt.Sprintf("unsupported scheme %s://: want s3://bucket[/prefix], file:///dir or a directory path", scheme)}
}

// LocationError is a store location that names no store aloft can open (a
// usage error, as opposed to a store that cannot be reached).
type LocationError struct {
	URI string // as given; "" when it was empty
	Why string
}

func (e *LocationError) Error() string {
	if e.URI == "" {
		return "open store: " + e.Why
	}
	return "open store " + e.URI + ": " + e.Why
}

// S3 splits "s3://bucket[/prefix]" into its bucket and key prefix; ok is
// false for other locations and for an empty bucket.
func S3(uri string) (bucket, prefix string, ok bool) {
	scheme, rest, ok := splitScheme(uri)
	if !ok || scheme != "s3" {
		return "", "", false
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	return bucket, prefix, bucket != ""
}

func openDir(uri, dir string) (store.Store, error) {
	s, err := dirstore.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", uri, err)
	}
	return s, nil
}

// splitScheme splits "scheme://rest"; ok is false for a plain path.
func splitScheme(uri string) (scheme, rest string, ok bool) {
	scheme, rest, ok = strings.Cut(uri, "://")
	if !ok || !validScheme(scheme) {
		return "", "", false
	}
	return strings.ToLower(scheme), rest, true
}

// validScheme reports whether s is a URI scheme (RFC 3986: a letter, then
// letters, digits, "+", "-" or ".").
func validScheme(s string) bool {
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}
