package s3store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/aloft-run/aloft/store"
)

// Put writes an object whole: readers see the old version or the new one,
// never part of one. Content up to the multipart threshold (64 MiB by
// default) is read into memory and sent with one PutObject; larger content
// goes up in parts (see putMultipart). Either way the object carries the
// SHA-256 of its content as its checksum (x-amz-checksum-sha256, checked by
// S3; per part for a multipart upload) and in its metadata
// (x-amz-meta-sha256), and the returned Object's Digest is that SHA-256.
//
// With opts.IfAbsent (If-None-Match: *) or opts.IfMatch (If-Match: the
// ETag) Put returns store.ErrConflict (wrapped) when the condition fails:
// S3's 412, its 409 ConditionalRequestConflict, and, for IfMatch, its 404
// for a missing key. A conflict normally means nothing was written; but if
// the SDK retried a request whose first attempt was applied and whose
// answer was lost, the retry reports a conflict with the caller's own
// write, so callers re-read and compare, as they do after any conflict.
//
// If reading r fails, Put sends nothing, or aborts the multipart upload:
// the key keeps its old content, or stays missing.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error) {
	if err := store.ValidKey(key); err != nil {
		return store.Object{}, err
	}
	full, err := s.objectKey(key)
	if err != nil {
		return store.Object{}, err
	}
	if opts.IfAbsent && opts.IfMatch != "" {
		return store.Object{}, fmt.Errorf("put %s: IfAbsent and IfMatch both set", s.URI(key))
	}
	c, err := s.stage(r)
	if err != nil {
		return store.Object{}, fmt.Errorf("put %s: read content: %w", s.URI(key), err)
	}
	defer c.cleanup()
	if c.small != nil {
		return s.putSingle(ctx, key, full, c, opts)
	}
	return s.putMultipart(ctx, key, full, c, opts)
}

// content is what Put uploads: all of it in memory (small), or a seekable
// source (a caller's file, or a spooled copy) with its size and digest.
type content struct {
	small   []byte        // non-nil when size <= threshold
	big     io.ReadSeeker // else: the content, starting at offset start
	start   int64
	size    int64
	sum     [sha256.Size]byte
	cleanup func()
}

// stage reads r far enough to know its size and SHA-256. A reader that can
// seek (an *os.File, a *bytes.Reader) is measured and hashed in place and
// rewound; another reader is read into memory up to the threshold and, past
// it, copied to a temp file.
func (s *Store) stage(r io.Reader) (*content, error) {
	if c, ok, err := s.stageSeeker(r); ok || err != nil {
		return c, err
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, s.cfg.threshold+1))
	if err != nil {
		return nil, err
	}
	if n <= s.cfg.threshold {
		b := buf.Bytes()
		if b == nil {
			b = []byte{}
		}
		return &content{small: b, size: n, sum: sha256.Sum256(b), cleanup: func() {}}, nil
	}
	return s.spool(buf.Bytes(), r)
}

// stageSeeker handles readers that can seek; ok is false for other readers
// (including an *os.File that is a pipe) and small content.
func (s *Store) stageSeeker(r io.Reader) (*content, bool, error) {
	rs, isSeeker := r.(io.ReadSeeker)
	if !isSeeker {
		return nil, false, nil
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, false, nil
	}
	end, err := rs.Seek(0, io.SeekEnd)
	if _, serr := rs.Seek(start, io.SeekStart); serr != nil {
		return nil, false, fmt.Errorf("rewind: %w", serr)
	}
	if err != nil || end-start <= s.cfg.threshold {
		return nil, false, nil
	}
	size := end - start
	h := sha256.New()
	if _, err := io.CopyN(h, rs, size); err != nil {
		return nil, false, err
	}
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return nil, false, fmt.Errorf("rewind: %w", err)
	}
	c := &content{big: rs, start: start, size: size, cleanup: func() {}}
	h.Sum(c.sum[:0])
	return c, true, nil
}

// spool copies head and the rest of r to an unnamed temp file.
func (s *Store) spool(head []byte, r io.Reader) (*content, error) {
	f, err := os.CreateTemp(s.cfg.spoolDir(), "aloft-s3-put-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	name := f.Name()
	_ = os.Remove(name) // the open file stays readable; nothing is left behind
	cleanup := func() {
		f.Close()
		_ = os.Remove(name)
	}
	h := sha256.New()
	w := io.MultiWriter(f, h)
	if _, err := w.Write(head); err != nil {
		cleanup()
		return nil, fmt.Errorf("spool: %w", err)
	}
	n, err := io.Copy(w, r)
	if err != nil {
		cleanup()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, fmt.Errorf("spool: %w", err)
	}
	c := &content{big: f, size: int64(len(head)) + n, cleanup: cleanup}
	h.Sum(c.sum[:0])
	return c, nil
}

// putSingle uploads small content with one PutObject.
func (s *Store) putSingle(ctx context.Context, key, full string, c *content, opts store.PutOptions) (store.Object, error) {
	in := &s3.PutObjectInput{
		Bucket:            aws.String(s.bucket),
		Key:               aws.String(full),
		Body:              bytes.NewReader(c.small),
		ContentLength:     aws.Int64(c.size),
		ContentType:       contentType(key),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		ChecksumSHA256:    aws.String(base64.StdEncoding.EncodeToString(c.sum[:])),
		Metadata:          map[string]string{metaDigest: hex.EncodeToString(c.sum[:])},
	}
	in.IfNoneMatch, in.IfMatch = conditions(opts)
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		return store.Object{}, s.writeErr("put", key, opts, err)
	}
	return c.object(key, out.ETag, out.ResultMetadata), nil
}

// conditions are the If-None-Match and If-Match headers of a conditional
// write.
func conditions(opts store.PutOptions) (ifNoneMatch, ifMatch *string) {
	if opts.IfAbsent {
		ifNoneMatch = aws.String("*")
	}
	if opts.IfMatch != "" {
		ifMatch = aws.String(quoteETag(opts.IfMatch))
	}
	return ifNoneMatch, ifMatch
}

// object describes the object a write of c made.
func (c *content) object(key string, etagHeader *string, md middleware.Metadata) store.Object {
	return store.Object{
		Key:      key,
		Size:     c.size,
		ETag:     etag(etagHeader),
		Digest:   "sha256:" + hex.EncodeToString(c.sum[:]),
		Modified: responseTime(md),
	}
}

// contentType guesses a Content-Type from the key's extension, so that
// objects read well in a browser or the console; nil lets S3 default to
// binary/octet-stream.
func contentType(key string) *string {
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		return aws.String(t)
	}
	return nil
}

var errChanged = errors.New("content changed while it was being uploaded")
