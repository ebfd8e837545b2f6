package dirstore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// syncFileSystems flushes, with syncfs(2), each file system that holds one
// of dirs (every changed file's directory is among the changed
// directories, so this covers the files too). done is false when it could
// not tell the file systems apart; the caller then fsyncs path by path.
func syncFileSystems(ctx context.Context, dirs map[string]struct{}) (done bool, err error) {
	byDev := map[uint64]string{}
	for d := range dirs {
		fi, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue // pruned since: nothing left to make durable there
		}
		if err != nil {
			return false, nil
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return false, nil
		}
		if _, seen := byDev[uint64(st.Dev)]; !seen {
			byDev[uint64(st.Dev)] = d
		}
	}
	for _, d := range byDev {
		if err := ctx.Err(); err != nil {
			return true, err
		}
		f, err := os.Open(d)
		if err != nil {
			return true, err
		}
		err = unix.Syncfs(int(f.Fd()))
		f.Close()
		if err != nil {
			return true, &os.PathError{Op: "syncfs", Path: d, Err: err}
		}
	}
	return true, nil
}
