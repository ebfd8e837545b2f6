package dirstore

import (
	"io/fs"
	"syscall"
)

// fileID identifies one version of a file well enough to reuse its digest:
// a file replaced by rename gets a new inode, and one rewritten in place a
// new size, mtime or ctime.
type fileID struct {
	dev, ino uint64
	size     int64
	mtime    int64 // nanoseconds since the epoch
	ctime    int64 // nanoseconds since the epoch; 0 where not available
}

func idOf(fi fs.FileInfo) fileID {
	id := fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev = uint64(st.Dev)
		id.ino = uint64(st.Ino)
		id.ctime = ctimeOf(st)
	}
	return id
}

// stable drops the ctime, which rename and link change: the watcher
// compares a file with what Put wrote before it was moved into place.
func (id fileID) stable() fileID {
	id.ctime = 0
	return id
}
