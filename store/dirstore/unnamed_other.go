//go:build !linux

package dirstore

import (
	"errors"
	"os"
)

// openUnnamed is Linux's O_TMPFILE; elsewhere Put names its temp files.
func openUnnamed(string) (*os.File, error) { return nil, errors.ErrUnsupported }

func linkUnnamed(*os.File, string) error { return errors.ErrUnsupported }
