package main

import "golang.org/x/sys/unix"

// syncFS writes back the file system that holds fd: syncfs(2).
func syncFS(fd int) error { return unix.Syncfs(fd) }
