package s3store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/aloft-run/aloft/store"
)

// List returns the objects whose key starts with prefix, sorted by key. It
// pages through ListObjectsV2 and then heads every object (several at
// once, WithListConcurrency) for its digest, which listings do not carry:
// an object replaced meanwhile is described as it is now, and one deleted
// meanwhile is left out. Zero-byte "folder" markers (keys ending in "/",
// as the S3 console makes) are not objects of this store and are skipped.
func (s *Store) List(ctx context.Context, prefix string) ([]store.Object, error) {
	objs, err := s.listKeys(ctx, prefix)
	if err != nil {
		return nil, err
	}
	return s.describe(ctx, objs)
}

// listKeys pages through the listing.
func (s *Store) listKeys(ctx context.Context, prefix string) ([]store.Object, error) {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket:  aws.String(s.bucket),
		Prefix:  aws.String(s.prefix + prefix),
		MaxKeys: aws.Int32(s.cfg.pageSize),
	})
	var objs []store.Object
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.readErr("list", prefix, err)
		}
		for _, o := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(o.Key), s.prefix)
			if !ok || key == "" || strings.HasSuffix(key, "/") && aws.ToInt64(o.Size) == 0 {
				continue
			}
			objs = append(objs, store.Object{
				Key:      key,
				Size:     aws.ToInt64(o.Size),
				ETag:     etag(o.ETag),
				Modified: aws.ToTime(o.LastModified).UTC(),
			})
		}
	}
	slices.SortFunc(objs, func(a, b store.Object) int { return strings.Compare(a.Key, b.Key) })
	return slices.CompactFunc(objs, func(a, b store.Object) bool { return a.Key == b.Key }), nil
}

// describe heads every listed object.
func (s *Store) describe(ctx context.Context, objs []store.Object) ([]store.Object, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		next     = make(chan int)
		gone     = make([]bool, len(objs))
		errOnce  sync.Once
		firstErr error
	)
	for range min(s.cfg.listHeads, len(objs)) {
		wg.Go(func() {
			for i := range next {
				obj, err := s.Head(ctx, objs[i].Key)
				switch {
				case errors.Is(err, store.ErrNotFound):
					gone[i] = true
				case err != nil:
					errOnce.Do(func() { firstErr = err; cancel() })
				default:
					objs[i] = obj
				}
			}
		})
	}
feed:
	for i := range objs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("list: %w", firstErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	kept := objs[:0]
	for i, o := range objs {
		if !gone[i] {
			kept = append(kept, o)
		}
	}
	return kept, nil
}

// ListKeys lists keys, sizes and ETags under prefix without the HEAD per
// object that digests need (store.KeyLister).
func (s *Store) ListKeys(ctx context.Context, prefix string) ([]store.Object, error) {
	return s.listKeys(ctx, prefix)
}
