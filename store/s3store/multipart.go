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
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/aloft-run/aloft/store"
)

// putMultipart uploads content larger than the threshold in parts, one
// after another, each with its own SHA-256 checksum. S3 keeps only a
// checksum of the part checksums for such an object, so the content's
// SHA-256, known before the upload starts (stage), goes into the
// x-amz-meta-sha256 metadata. The object appears only when the upload is
// completed, whole.
//
// Conditions are checked twice: with a HeadObject before any part is sent
// (so a lost claim does not upload gigabytes first), and atomically by
// CompleteMultipartUpload's If-None-Match / If-Match.
func (s *Store) putMultipart(ctx context.Context, key, full string, c *content, opts store.PutOptions) (store.Object, error) {
	if err := s.precheck(ctx, key, opts); err != nil {
		return store.Object{}, err
	}
	created, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:            aws.String(s.bucket),
		Key:               aws.String(full),
		ContentType:       contentType(key),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
		Metadata:          map[string]string{metaDigest: hex.EncodeToString(c.sum[:])},
	})
	if err != nil {
		return store.Object{}, s.writeErr("start multipart upload of", key, opts, err)
	}
	obj, err := s.completeUpload(ctx, key, full, aws.ToString(created.UploadId), c, opts)
	if err != nil {
		s.abort(ctx, full, created.UploadId)
		return store.Object{}, err
	}
	return obj, nil
}

// completeUpload sends the parts and completes the upload.
func (s *Store) completeUpload(ctx context.Context, key, full, uploadID string, c *content, opts store.PutOptions) (store.Object, error) {
	parts, err := s.uploadParts(ctx, key, full, uploadID, c)
	if err != nil {
		return store.Object{}, err
	}
	if s.beforeComplete != nil {
		s.beforeComplete()
	}
	in := &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(s.bucket),
		Key:             aws.String(full),
		UploadId:        aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
	in.IfNoneMatch, in.IfMatch = conditions(opts)
	out, err := s.client.CompleteMultipartUpload(ctx, in)
	if err != nil {
		return store.Object{}, s.writeErr("complete multipart upload of", key, opts, err)
	}
	return c.object(key, out.ETag, out.ResultMetadata), nil
}

// uploadParts reads the content again, part by part, and uploads each part.
// It checks that the bytes sent hash to the digest measured before, so a
// file changed under Put fails the upload instead of storing a wrong digest.
func (s *Store) uploadParts(ctx context.Context, key, full, uploadID string, c *content) ([]types.CompletedPart, error) {
	if _, err := c.big.Seek(c.start, io.SeekStart); err != nil {
		return nil, fmt.Errorf("put %s: rewind content: %w", s.URI(key), err)
	}
	partSize := partSizeFor(s.cfg.partSize, c.size)
	buf := make([]byte, min(partSize, c.size))
	whole := sha256.New()
	var parts []types.CompletedPart
	for num, off := int32(1), int64(0); off < c.size; num++ {
		p := buf[:min(partSize, c.size-off)]
		if _, err := io.ReadFull(c.big, p); err != nil {
			return nil, fmt.Errorf("put %s: read part %d: %w", s.URI(key), num, err)
		}
		whole.Write(p)
		sum := sha256.Sum256(p)
		checksum := base64.StdEncoding.EncodeToString(sum[:])
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket:            aws.String(s.bucket),
			Key:               aws.String(full),
			UploadId:          aws.String(uploadID),
			PartNumber:        aws.Int32(num),
			Body:              bytes.NewReader(p),
			ContentLength:     aws.Int64(int64(len(p))),
			ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
			ChecksumSHA256:    aws.String(checksum),
		})
		if err != nil {
			return nil, fmt.Errorf("put %s: upload part %d: %w", s.URI(key), num, err)
		}
		parts = append(parts, types.CompletedPart{
			ETag:           out.ETag,
			PartNumber:     aws.Int32(num),
			ChecksumSHA256: aws.String(checksum),
		})
		off += int64(len(p))
	}
	if !bytes.Equal(whole.Sum(nil), c.sum[:]) {
		return nil, fmt.Errorf("put %s: %w", s.URI(key), errChanged)
	}
	return parts, nil
}

// partSizeFor returns the part size for an object of size bytes: the
// configured size, or more if S3's 10,000 parts would not hold the object.
func partSizeFor(configured, size int64) int64 {
	return max(configured, (size+maxParts-1)/maxParts)
}

// precheck fails early when a conditional multipart Put would lose.
func (s *Store) precheck(ctx context.Context, key string, opts store.PutOptions) error {
	if !opts.IfAbsent && opts.IfMatch == "" {
		return nil
	}
	cur, err := s.Head(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if opts.IfMatch != "" {
			return fmt.Errorf("put %s (no object to match): %w", s.URI(key), store.ErrConflict)
		}
		return nil
	case err != nil:
		return fmt.Errorf("put %s: check condition: %w", s.URI(key), err)
	case opts.IfAbsent:
		return fmt.Errorf("put %s (object exists): %w", s.URI(key), store.ErrConflict)
	case cur.ETag != etag(aws.String(opts.IfMatch)):
		return fmt.Errorf("put %s (ETag %s, not %s): %w", s.URI(key), cur.ETag, opts.IfMatch, store.ErrConflict)
	}
	return nil
}

// abort abandons an upload so that its parts stop costing storage; it runs
// even when ctx is done. It is best effort: a bucket lifecycle rule
// (AbortIncompleteMultipartUpload) removes what a crash leaves.
func (s *Store) abort(ctx context.Context, full string, uploadID *string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, _ = s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(s.bucket),
		Key:      aws.String(full),
		UploadId: uploadID,
	})
}
