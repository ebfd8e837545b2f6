// Package catalog memoizes task outputs in the bucket: a small memo store
// over the blob store, keyed by a hash of a task call's canonical inputs.
//
// Key derives the cache key of a call: the SHA-256 of a canonical JSON
// document (Preimage; Decision 6 in ARCHITECTURE.md) naming the project,
// domain, task name, cache version, the task's typed interface and the literal
// hash of each input the cache policy does not ignore. Files and directories
// hash by content digest, so the same bytes at a new URI hit and new bytes at
// the same URI miss. The pinned vectors in testdata/keys.golden fix the
// encoding: changing it changes every key in every bucket.
//
// A Catalog keeps entries at
//
//	catalog/<project>/<domain>/<task>/<cache-version>/<key-hex>.json
//
// Get returns ErrNotFound on a miss; Put writes if absent (the first writer
// wins); Overwrite replaces; List and Evict serve `aloft cache list` and
// `aloft cache evict`. An entry's outputs point at the objects the producing
// attempt wrote, so a hit copies no data.
//
// Lookup is Get for the shells: it also checks each output object against
// the size and digest the entry recorded, using the store's Head (its
// checksum, nothing downloaded; Decision 23). A blob that fails moves to
// quarantine/ with a Reason record beside it (ListQuarantined,
// EvictQuarantined); an entry that does not decode or points at a missing
// or failed blob is removed, so the miss's run writes it again.
//
// The package leaves out: deciding whether to look up or write (Step emits
// LookupCache and WriteCatalog commands; the shells call this package),
// waiting for a concurrent identical node (cache serialize), ingesting
// external inputs (Key refuses values without a digest), expiry and garbage
// collection of the objects entries point at, and durability (the shell syncs
// the store once per commit; a lost entry is only a future miss).
package catalog
