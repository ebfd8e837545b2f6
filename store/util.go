package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxKeyLen is the longest key ValidKey accepts, in bytes (S3's limit).
const MaxKeyLen = 1024

// ErrInvalidKey is wrapped by ValidKey's errors.
var ErrInvalidKey = errors.New("store: invalid key")

// ValidKey reports whether key is a usable object key: non-empty, at most
// MaxKeyLen bytes, no NUL byte, no leading "/", and no empty, "." or ".."
// segment (so no trailing "/" and no "//"). Stores that map keys to files
// rely on this to keep every key inside their root.
func ValidKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidKey, len(key), MaxKeyLen)
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("%w %q: contains NUL", ErrInvalidKey, key)
	case strings.HasPrefix(key, "/"):
		return fmt.Errorf("%w %q: starts with /", ErrInvalidKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w %q: empty segment", ErrInvalidKey, key)
		case ".", "..":
			return fmt.Errorf("%w %q: %q segment", ErrInvalidKey, key, seg)
		}
	}
	return nil
}

// Digest returns the content digest of b in the form Object.Digest uses:
// "sha256:" followed by 64 lower-case hex digits.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ReadAll reads a whole object into memory. It returns ErrNotFound (wrapped)
// for a missing key.
func ReadAll(ctx context.Context, s Store, key string) ([]byte, Object, error) {
	rc, obj, err := s.Get(ctx, key)
	if err != nil {
		return nil, Object{}, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, Object{}, fmt.Errorf("read %s: %w", key, err)
	}
	return b, obj, nil
}

// PutBytes writes b as the whole content of key.
func PutBytes(ctx context.Context, s Store, key string, b []byte, opts PutOptions) (Object, error) {
	return s.Put(ctx, key, bytes.NewReader(b), opts)
}

// GetJSON reads key and decodes its JSON content into v. It returns
// ErrNotFound (wrapped) for a missing key.
func GetJSON(ctx context.Context, s Store, key string, v any) (Object, error) {
	b, obj, err := ReadAll(ctx, s, key)
	if err != nil {
		return Object{}, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return Object{}, fmt.Errorf("decode %s: %w", key, err)
	}
	return obj, nil
}

// PutJSON encodes v as compact JSON (with a final newline, so the file reads
// well with cat) and writes it to key. With opts.IfAbsent or opts.IfMatch it
// returns ErrConflict (wrapped) when the condition fails; nothing was written
// then.
func PutJSON(ctx context.Context, s Store, key string, v any, opts PutOptions) (Object, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Object{}, fmt.Errorf("encode %s: %w", key, err)
	}
	return PutBytes(ctx, s, key, append(b, '\n'), opts)
}

// Mover is implemented by stores that can move an object to another key
// without the caller reading it (the directory store renames the file).
type Mover interface {
	// Move replaces dst with src's object and removes src. A missing src
	// gives ErrNotFound.
	Move(ctx context.Context, src, dst string) error
}

// Move moves the object at src to dst: with the store's Mover where it has
// one, else by copying it through Get and Put and deleting src. Moves are
// rare (quarantine); they are never used to read an object for a check.
func Move(ctx context.Context, s Store, src, dst string) error {
	if m, ok := s.(Mover); ok {
		return m.Move(ctx, src, dst)
	}
	rc, _, err := s.Get(ctx, src)
	if err != nil {
		return err
	}
	_, err = s.Put(ctx, dst, rc, PutOptions{})
	rc.Close()
	if err != nil {
		return err
	}
	return s.Delete(ctx, src)
}
