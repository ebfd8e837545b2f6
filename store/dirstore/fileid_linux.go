package dirstore

import (
	"syscall"

	"golang.org/x/sys/unix"
)

func ctimeOf(st *syscall.Stat_t) int64 { return st.Ctim.Nano() }

// openForWriting reports whether some process has path open for writing.
// It asks for a read lease, which Linux refuses (EAGAIN) exactly when the
// file is open for writing. known is false where leases are unavailable
// (another user's file without CAP_LEASE, leases disabled, an NFS mount);
// the caller then relies on the file's size and mtime staying put.
func openForWriting(path string) (open, known bool) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, false
	}
	defer unix.Close(fd)
	_, err = unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_RDLCK)
	switch err {
	case nil:
		_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETLEASE, unix.F_UNLCK)
		return false, true
	case unix.EAGAIN:
		return true, true
	default:
		return false, false
	}
}
