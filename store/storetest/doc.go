// Package storetest is the conformance suite for store.Store
// implementations: every store (store/dirstore and store/s3store, against
// gofakes3 and versitygw, also when run against LocalStack or a real bucket) calls
//
//	storetest.Run(t, func(t *testing.T) store.Store { ... a fresh, empty store ... })
//
// from its own tests.
//
// The suite checks only what the port promises: ErrNotFound for missing
// keys; whole-object round trips (empty to 5 MiB) whose Digest is the
// sha256 of the content and whose ETag changes when the content does;
// IfAbsent and IfMatch semantics, including 16 goroutines racing IfAbsent
// (exactly one wins) and 16 goroutines incrementing a counter with IfMatch
// read-modify-write cycles (no lost update); that a Put whose reader fails
// leaves nothing behind; List's prefix semantics (a prefix need not end at
// a "/") and key order; idempotent Delete; URI/KeyOf round trips; and, when
// the store implements them, store.Syncer and store.Notifier.
//
// IfMatch on a missing key may fail with either ErrConflict or ErrNotFound:
// S3 answers 404 there, the directory store ErrConflict.
//
// It deliberately leaves out what only some stores can promise: the
// behaviour of two processes (the directory store tests that itself, with
// real processes), durability after a crash, watching for writes made
// outside the store, whether rewriting identical content keeps the ETag
// (it does for content-derived ETags, not for generation numbers), key
// validation (S3 accepts keys the directory store refuses), and timing.
package storetest
