package dirstore

import (
	"os"
	"strconv"
	"sync/atomic"

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
//
// It links the descriptor itself (AT_EMPTY_PATH) where the kernel allows
// it (the caller has CAP_DAC_READ_SEARCH, or Linux 6.10 and later, which
// allow it for files the caller opened), else through /proc/self/fd/N,
// whose lookup in procfs costs more than the link itself.
func linkUnnamed(f *os.File, path string) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		if emptyPathLinks.Load() != emptyPathRefused {
			lerr = unix.Linkat(int(fd), "", unix.AT_FDCWD, path, unix.AT_EMPTY_PATH)
			switch {
			case lerr == nil:
				emptyPathLinks.Store(emptyPathWorks)
				return
			case lerr == unix.EPERM || lerr == unix.EINVAL:
				emptyPathLinks.Store(emptyPathRefused) // by name from now on
			case lerr == unix.ENOENT && emptyPathLinks.Load() == emptyPathUnknown:
				// A missing directory, or (older kernels) refused: the
				// link by name tells them apart.
				if lerr = linkProcFD(fd, path); lerr == nil {
					emptyPathLinks.Store(emptyPathRefused)
				}
				return
			default: // ENOENT once it worked: the directory is missing
				return
			}
		}
		lerr = linkProcFD(fd, path)
	}); err != nil {
		return err
	}
	if lerr != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: lerr}
	}
	return nil
}

func linkProcFD(fd uintptr, path string) error {
	return unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(fd)), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
}

// emptyPathLinks is whether linkat(AT_EMPTY_PATH) works here: not known
// until a link succeeds or the kernel refuses one.
var emptyPathLinks atomic.Int32

const (
	emptyPathUnknown int32 = iota
	emptyPathWorks
	emptyPathRefused
)
