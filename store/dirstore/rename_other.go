//go:build !linux

package dirstore

import "errors"

func renameNoReplace(oldpath, newpath string) error { return errors.ErrUnsupported }

func renameNoReplaceWorks(string) bool { return false }
