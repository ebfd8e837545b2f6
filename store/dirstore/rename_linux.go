package dirstore

import (
	"os"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames oldpath to newpath unless newpath exists
// (EEXIST).
func renameNoReplace(oldpath, newpath string) error {
	if err := unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// renameNoReplaceWorks reports whether the file system honours
// RENAME_NOREPLACE, trying it on the directory d (left as it was).
func renameNoReplaceWorks(d string) bool {
	moved := d + ".probe"
	if renameNoReplace(d, moved) != nil {
		return false
	}
	return renameNoReplace(moved, d) == nil
}
