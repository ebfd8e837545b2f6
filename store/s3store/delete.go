package s3store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Delete removes an object. Deleting a missing key is not an error (S3
// answers 204 either way). On a bucket with versioning, Delete adds a
// delete marker and the older versions stay.
func (s *Store) Delete(ctx context.Context, key string) error {
	full, err := s.objectKey(key)
	if err != nil {
		return err
	}
	_, err = s.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(full),
	})
	if err != nil {
		if kind, _ := classify(err); kind == kindNotFound {
			return nil
		}
		return s.readErr("delete", key, err)
	}
	return nil
}
