package dirstore

import (
	"fmt"
	"os"
)

// MakeFolder creates the directory that holds the keys with prefix (its
// part up to the last "/"; the root for a prefix without one), so that a
// user can copy files there: registering a launch plan with a trigger makes
// its drop folder (Decision 27), and Watch makes incoming/. An existing
// folder is fine; a file in the way is an error.
func (s *Store) MakeFolder(prefix string) error {
	dirKey, _ := splitPrefix(prefix)
	if dirKey == "" {
		return nil
	}
	if err := s.checkKey(dirKey); err != nil {
		return fmt.Errorf("make folder %q: %w", prefix, err)
	}
	if err := os.MkdirAll(s.path(dirKey), 0o777); err != nil {
		return fmt.Errorf("make folder %q: %w (a file of that name is in the way?)", prefix, err)
	}
	return nil
}
