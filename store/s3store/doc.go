// Package s3store is the blob store over Amazon S3 (and S3-compatible
// servers: versitygw, MinIO, LocalStack): a store.Store over one bucket,
// with every key under an optional prefix, made with
//
//	s, err := s3store.Open(ctx, "my-bucket", "aloft", opts...)
//
// It talks to S3 with aws-sdk-go-v2 and the standard configuration chain
// (environment, shared config, instance and task roles); options give it a
// client, an endpoint, a region or credentials of the caller's choosing.
// The object with key k is s3://bucket/prefix/k, and URI returns exactly
// that (the key as it is, not percent-encoded, as the AWS CLI writes it).
//
// # Conditional writes
//
// Put with IfAbsent sends If-None-Match: *, and with IfMatch sends If-Match,
// on PutObject or, for a large object, on CompleteMultipartUpload; S3
// evaluates them atomically. A lost condition is store.ErrConflict: S3's
// 412 Precondition Failed, its 409 ConditionalRequestConflict (another
// conditional write to the key was in flight), and, on If-Match, its 404
// for a missing key. ETags are reported without their quotes, as S3 event
// records carry them; IfMatch accepts them either way.
//
// # Digests
//
// Every Put sends the content's SHA-256 as its checksum (x-amz-checksum-
// sha256, which S3 verifies) and also stores it as user metadata
// (x-amz-meta-sha256). Get and Head ask for checksums (ChecksumMode
// ENABLED) and report Digest "sha256:<hex>" from the full-object checksum,
// else from the metadata: a multipart object's S3 checksum is only a
// checksum of its parts' checksums, and some S3 servers keep metadata but
// not checksums. An object uploaded by another tool with neither (the AWS
// CLI sends CRC checksums by default) has an empty Digest; a caller that
// needs one reads the object and hashes it. List heads every object it
// lists to fill the digest in, since ListObjectsV2 does not report it.
//
// # Large objects
//
// Up to the multipart threshold (64 MiB by default) Put reads the content
// into memory and sends one PutObject. Above it Put hashes the content
// first, in place when the reader can seek (a file) and otherwise while
// copying it to an unlinked temp file, then uploads parts of 16 MiB (more
// for objects that would need over 10,000 parts) one at a time, each with
// its SHA-256 checksum, checks that the bytes it sent hash to the digest it
// measured, and completes the upload with the conditions. A failed upload
// is aborted.
//
// # What it leaves out
//
// No key validation beyond store.ValidKey on Put (reads accept any key, so
// that objects written by others are reachable), no object versions (on a
// versioned bucket it sees the current version, and Delete adds a delete
// marker), no notifications (S3 sends those through EventBridge, outside
// the process), no parallel part uploads, no server-side encryption or
// storage-class settings beyond the bucket's defaults, and no retries
// beyond the SDK's.
package s3store
