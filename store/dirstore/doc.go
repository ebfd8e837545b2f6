// Package dirstore is the embedded local blob store: a store.Store in a
// directory (by default .aloft/bucket/, chosen by the caller), used by
// `aloft run`, `aloft dev`, the local executor and tests.
//
// The object with key k is the plain file root/k, so `ls`, `cat` and `cp`
// work on the bucket and a user starts a run by copying a file into
// root/incoming/.... The store's own files (temp files, lock files) live
// under root/.aloft-tmp/ (HiddenDir), which List and Watch never show.
//
// # Writes and conditional writes
//
// Put writes a temp file and moves it into place, so readers see an old
// version or a new one, never part of one. Put with IfAbsent links the temp
// file onto the key's path with link(2), which fails if the path exists:
// atomic across processes, no lock needed. Put with IfMatch, plain Put and
// Delete hold the key's lock, an flock(2) on one of 256 lock files (keys are
// hashed onto them), while they check and rename; so any number of processes
// may share one root. IfMatch on a missing key returns store.ErrConflict.
//
// On Linux the temp file is an unnamed one (O_TMPFILE in the hidden
// directory, linked into place, or named there first for a rename), taken
// from a small pool that a goroutine refills: making a file is most of what
// a small Put costs on some file systems, and off the writer's path it
// costs a chain of dependent writes nothing. A store that is busy (being
// group-committed, making directories in quick succession) also moves
// directories made ahead into place instead of making them (dirpool.go). A
// Put that replaces a file keeps the old version open across the rename
// and closes it on another goroutine, so freeing it is not on its path
// either.
//
// The ETag is the sha256 hex of the content (and Digest is "sha256:" and
// the same hex), as S3's ETag is the MD5 of a simple upload: rewriting
// identical bytes keeps the ETag, so IfMatch guards against changed
// content, not against an A-B-A sequence of writes. Head, Get and List take
// digests from an in-memory cache keyed by the file's path, inode, size,
// mtime and ctime, then from the digest index under HiddenDir/digests/
// (the same fingerprint and the digest, kept beside each blob of 64 KiB or
// more for later processes; digestindex.go), and hash a file only on a miss
// (a file that another program dropped in or rewrote in place): so a
// digest a Head reports is always the current content's, which cache
// lookups rely on (Decision 23). The IfMatch check always re-hashes.
//
// # Durability
//
// A Put is acknowledged once its rename is done, and a kill -9 of the
// process at any instant loses nothing acknowledged: the page cache
// survives the process. Put does not fsync. The store remembers the files
// and directories it changed, and Sync (store.Syncer) fsyncs them once,
// files before directories: a shell persists a batch, calls Sync, then acts
// (one fsync per commit, not per object). With many changed paths, Sync on
// Linux calls syncfs(2) once per file system instead, which makes the same
// writes durable in one commit (and flushes whatever else is dirty there).
// A power loss may lose, or leave empty, what was written after the last
// Sync. Options.SyncEveryPut makes every Put durable before it returns, for
// callers that cannot group.
//
// # Events
//
// Subscribe (store.Notifier) announces every Put made through this Store
// value. Watch adds the writes of other processes under a prefix, watched
// with fsnotify: a file is announced once per content, after its writer
// finished (see Watch; in the drop folder, incoming/, once its content has
// been stable for a quiet period, default 2s, so that a copy with short
// pauses is one event), never from the hidden directory, and not again for
// a Put through this Store. With CatchUpDrops, files already in the drop
// folder when Watch starts are announced too. Together they play the part of S3's "object created" events,
// so the trigger and advance handlers run unchanged on a laptop.
//
// # What it leaves out
//
// No Windows support (flock, link and read leases are Unix calls). A key
// cannot be both an object and a prefix of other objects ("a" and "a/b"),
// since "a" cannot be a file and a directory at once; keys are checked with
// store.ValidKey and may not start with HiddenDir. Symbolic links and other
// non-regular files are not objects. Conditional writes are atomic against
// dirstore writers; a user overwriting a file in place with another program
// bypasses them, and List or Get may see a file that such a program is
// still writing. fsync-less durability relies on the file system; a root
// on a network file system needs working flock and link. There is no
// versioning, no metadata beyond the content, and no quota.
package dirstore
