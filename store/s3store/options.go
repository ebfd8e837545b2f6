package s3store

import (
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3's limits on multipart uploads.
const (
	minPartSize = 5 << 20
	maxParts    = 10000
)

// Defaults; each has an Option.
const (
	DefaultMultipartThreshold = 64 << 20
	DefaultPartSize           = 16 << 20
	DefaultListPageSize       = 1000
	DefaultListConcurrency    = 16
)

// Option configures Open.
type Option func(*settings)

type settings struct {
	client      *s3.Client
	endpoint    string
	region      string
	credentials aws.CredentialsProvider
	threshold   int64
	partSize    int64
	pageSize    int32
	listHeads   int
	tempDir     string
}

func defaultSettings() settings {
	return settings{
		threshold: DefaultMultipartThreshold,
		partSize:  DefaultPartSize,
		pageSize:  DefaultListPageSize,
		listHeads: DefaultListConcurrency,
	}
}

func (c settings) check() error {
	if c.client != nil && (c.endpoint != "" || c.region != "" || c.credentials != nil) {
		return errors.New("WithClient cannot be combined with WithEndpoint, WithRegion or WithCredentials: configure the client instead")
	}
	switch {
	case c.threshold < 1:
		return fmt.Errorf("multipart threshold %d: must be positive", c.threshold)
	case c.partSize < minPartSize:
		return fmt.Errorf("part size %d: S3 needs at least %d bytes", c.partSize, minPartSize)
	case c.pageSize < 1 || c.pageSize > 1000:
		return fmt.Errorf("list page size %d: must be 1 to 1000", c.pageSize)
	case c.listHeads < 1:
		return fmt.Errorf("list concurrency %d: must be positive", c.listHeads)
	}
	return nil
}

// WithClient makes the store use client as it is configured (region,
// credentials, endpoint, path-style addressing, retries).
func WithClient(client *s3.Client) Option {
	return func(c *settings) { c.client = client }
}

// WithEndpoint sends requests to a custom S3 endpoint
// ("http://127.0.0.1:7070"), addressing buckets path-style.
func WithEndpoint(url string) Option {
	return func(c *settings) { c.endpoint = url }
}

// WithRegion overrides the region of the AWS configuration.
func WithRegion(region string) Option {
	return func(c *settings) { c.region = region }
}

// WithCredentials overrides the credential chain, for instance with
// credentials.NewStaticCredentialsProvider for a local S3 server.
func WithCredentials(p aws.CredentialsProvider) Option {
	return func(c *settings) { c.credentials = p }
}

// WithMultipartThreshold sets the size above which Put uses a multipart
// upload (default 64 MiB). Up to that size Put holds the content in memory.
func WithMultipartThreshold(n int64) Option {
	return func(c *settings) { c.threshold = n }
}

// WithPartSize sets the size of a multipart upload's parts (default 16 MiB,
// at least 5 MiB). Put raises it for objects that would need more than
// 10,000 parts.
func WithPartSize(n int64) Option {
	return func(c *settings) { c.partSize = n }
}

// WithListPageSize sets how many keys List asks for per ListObjectsV2 call
// (1 to 1000, default 1000).
func WithListPageSize(n int32) Option {
	return func(c *settings) { c.pageSize = n }
}

// WithListConcurrency sets how many HeadObject calls List runs at once to
// fill in the digests (default 16).
func WithListConcurrency(n int) Option {
	return func(c *settings) { c.listHeads = n }
}

// WithTempDir sets the directory where Put spools content that is larger
// than the multipart threshold and comes from a reader that cannot seek
// (default os.TempDir()).
func WithTempDir(dir string) Option {
	return func(c *settings) { c.tempDir = dir }
}

func (c settings) spoolDir() string {
	if c.tempDir != "" {
		return c.tempDir
	}
	return os.TempDir()
}
