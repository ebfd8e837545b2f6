package s3store

import (
	"context"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/aloft-run/aloft/store"
)

// Get opens an object for reading. S3 serves one version whole, so the
// reader never mixes two writes. It returns store.ErrNotFound (wrapped) for
// a missing key. The SDK checks the body against a full-object checksum
// when the object has one.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error) {
	full, err := s.objectKey(key)
	if err != nil {
		return nil, store.Object{}, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket:       aws.String(s.bucket),
		Key:          aws.String(full),
		ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		return nil, store.Object{}, s.readErr("get", key, err)
	}
	obj := store.Object{
		Key:      key,
		Size:     aws.ToInt64(out.ContentLength),
		ETag:     etag(out.ETag),
		Digest:   digestOf(out.ChecksumSHA256, out.ChecksumType, out.Metadata),
		Modified: aws.ToTime(out.LastModified).UTC(),
	}
	return out.Body, obj, nil
}

// Head describes an object without reading it. It returns store.ErrNotFound
// (wrapped) for a missing key. Digest is "" for an object that has neither
// a full-object SHA-256 checksum nor the digest Put stores in its metadata
// (see the package documentation).
func (s *Store) Head(ctx context.Context, key string) (store.Object, error) {
	full, err := s.objectKey(key)
	if err != nil {
		return store.Object{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket:       aws.String(s.bucket),
		Key:          aws.String(full),
		ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		return store.Object{}, s.readErr("head", key, err)
	}
	return store.Object{
		Key:      key,
		Size:     aws.ToInt64(out.ContentLength),
		ETag:     etag(out.ETag),
		Digest:   digestOf(out.ChecksumSHA256, out.ChecksumType, out.Metadata),
		Modified: aws.ToTime(out.LastModified).UTC(),
	}, nil
}
