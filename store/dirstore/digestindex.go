package dirstore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The digest index keeps each blob's SHA-256 beside it, under
// HiddenDir/digests/<key>, with the stat fingerprint (device, inode, size,
// mtime, ctime) it was computed for: one line "dev ino size mtime ctime
// hex". A later process trusts the digest only while the blob's
// fingerprint is unchanged, so a file edited in place or replaced (new
// ctime or inode) is hashed again; that recheck is what verified reads
// (Decision 23) rest on. Records are written on a hash, not on Put (Put
// stays as fast as it was), by a rename, so a reader sees a whole record or
// none; a record that does not parse or match is ignored. No xattrs: they
// are missing or limited on some file systems. Files smaller than
// indexMinSize are not indexed: hashing them costs less than a record.
const digestsDir = "digests"

const indexMinSize = 64 << 10

func (s *Store) indexPath(path string) (string, bool) {
	key, ok := s.keyOfPath(path)
	if !ok {
		return "", false
	}
	return filepath.Join(s.root, HiddenDir, digestsDir, filepath.FromSlash(key)), true
}

func (id fileID) record(hex string) string {
	return fmt.Sprintf("%d %d %d %d %d %s\n", id.dev, id.ino, id.size, id.mtime, id.ctime, hex)
}

// indexedDigest returns the digest the index holds for path at id.
func (s *Store) indexedDigest(path string, id fileID) (string, bool) {
	ip, ok := s.indexPath(path)
	if !ok || id.ctime == 0 || id.size < indexMinSize { // without a ctime, an in-place edit could keep the fingerprint
		return "", false
	}
	b, err := os.ReadFile(ip)
	if err != nil {
		return "", false
	}
	line := string(b)
	i := strings.LastIndexByte(strings.TrimSuffix(line, "\n"), ' ')
	if i < 0 {
		return "", false
	}
	hex := strings.TrimSuffix(line[i+1:], "\n")
	if !validHex(hex) || id.record(hex) != line {
		return "", false
	}
	s.rememberDigest(path, id, hex)
	return hex, true
}

// indexDigest records hex as path's digest at id, best effort.
func (s *Store) indexDigest(path string, id fileID, hex string) {
	ip, ok := s.indexPath(path)
	if !ok || id.ctime == 0 || id.size < indexMinSize {
		return
	}
	if err := os.MkdirAll(filepath.Dir(ip), 0o777); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(ip), ".rec-*")
	if err != nil {
		return
	}
	_, err = f.WriteString(id.record(hex))
	if cerr := f.Close(); err == nil && cerr == nil {
		err = os.Rename(f.Name(), ip)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
}

// unindex drops path's record, best effort.
func (s *Store) unindex(path string) {
	if ip, ok := s.indexPath(path); ok {
		_ = os.Remove(ip)
	}
}

func validHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
