package dirstore

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// openUnnamed makes a file with no name in dir (O_TMPFILE): it costs what
// creating a file costs, but needs no name, so a killed process leaves
// nothing behind, and linkUnnamed gives it its name later.
func openUnnamed(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o666)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), dir+"/(unnamed)"), nil
}

// linkUnnamed gives the unnamed file f the name path, failing (EEXIST) if
// path exists: create-if-absent, as link(2) of a named file.
func linkUnnamed(f *os.File, path string) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		lerr = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(fd)), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	}); err != nil {
		return err
	}
	if lerr != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: lerr}
	}
	return nil
}
