package storeurl

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestS3Split(t *testing.T) {
	for _, tc := range []struct {
		uri, bucket, prefix string
		ok                  bool
	}{
		{"s3://b", "b", "", true},
		{"s3://b/", "b", "", true},
		{"s3://b/aloft", "b", "aloft", true},
		{"s3://b/a/b/", "b", "a/b/", true},
		{"S3://b/p", "b", "p", true},
		{"s3://", "", "", false},
		{"s3:///p", "", "p", false},
		{"gs://b/p", "", "", false},
		{"file:///tmp/b", "", "", false},
		{"b/p", "", "", false},
		{"", "", "", false},
	} {
		b, p, ok := S3(tc.uri)
		assert.Equal(t, tc.ok, ok, tc.uri)
		assert.Equal(t, [2]string{tc.bucket, tc.prefix}, [2]string{b, p}, tc.uri)
	}
}
