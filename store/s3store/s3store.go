package s3store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/aloft-run/aloft/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store over one S3 bucket, with every key under an
// optional prefix. It is safe for concurrent use.
type Store struct {
	client *s3.Client
	bucket string
	prefix string // "" or ends with "/"
	cfg    settings

	// beforeComplete, when set (by tests), runs after a multipart upload's
	// parts are uploaded and before it is completed.
	beforeComplete func()
}

// Open returns a store over bucket, with every key under prefix (which may be
// empty; leading and trailing slashes are dropped). Without WithClient it
// loads the standard AWS configuration: the credential chain, AWS_REGION
// (us-east-1 when none is set) and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3;
// a custom endpoint, from the environment or WithEndpoint, is addressed
// path-style, as local S3 servers expect. Open sends no request: a missing
// bucket or missing credentials show on the first call.
func Open(ctx context.Context, bucket, prefix string, opts ...Option) (*Store, error) {
	if bucket == "" || strings.ContainsAny(bucket, "/ ") {
		return nil, fmt.Errorf("open s3 store: invalid bucket name %q", bucket)
	}
	cfg := defaultSettings()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("open s3 store s3://%s: %w", bucket, err)
	}
	client := cfg.client
	if client == nil {
		var err error
		if client, err = newClient(ctx, cfg); err != nil {
			return nil, fmt.Errorf("open s3 store s3://%s: %w", bucket, err)
		}
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &Store{client: client, bucket: bucket, prefix: prefix, cfg: cfg}, nil
}

// newClient builds an S3 client from the default configuration chain and
// the options that override it.
func newClient(ctx context.Context, cfg settings) (*s3.Client, error) {
	var loads []func(*config.LoadOptions) error
	if cfg.region != "" {
		loads = append(loads, config.WithRegion(cfg.region))
	}
	if cfg.credentials != nil {
		loads = append(loads, config.WithCredentialsProvider(cfg.credentials))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.endpoint)
		}
		// A custom endpoint (ours or AWS_ENDPOINT_URL*) is a local or
		// third-party server: bucket-in-hostname addressing would need DNS
		// for bucket.127.0.0.1.
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		// Get of a multipart object (whose checksum is of its parts) would
		// log "Skipped validation of multipart checksum" to stderr each time.
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

// Client returns the S3 client the store uses.
func (s *Store) Client() *s3.Client { return s.client }

// Bucket returns the bucket the store lives in.
func (s *Store) Bucket() string { return s.bucket }

// Prefix returns the prefix every key is stored under: "" or a string
// ending in "/".
func (s *Store) Prefix() string { return s.prefix }

// URI returns "s3://bucket/prefix/key", with the key as it is (not
// percent-encoded), as the AWS CLI writes S3 URIs.
func (s *Store) URI(key string) string {
	return "s3://" + s.bucket + "/" + s.prefix + key
}

// KeyOf returns the key of an "s3://" URI naming an object under this
// store's bucket and prefix.
func (s *Store) KeyOf(uri string) (string, bool) {
	key, ok := strings.CutPrefix(uri, "s3://"+s.bucket+"/"+s.prefix)
	if !ok || key == "" {
		return "", false
	}
	return key, true
}

// objectKey returns the S3 key of key. Reads accept any non-empty key, so
// that objects written by other tools stay reachable; Put checks keys with
// store.ValidKey.
func (s *Store) objectKey(key string) (string, error) {
	if key == "" {
		return "", fmt.Errorf("%w: empty", store.ErrInvalidKey)
	}
	full := s.prefix + key
	if len(full) > store.MaxKeyLen {
		return "", fmt.Errorf("%w %q: %d bytes with the prefix, more than %d", store.ErrInvalidKey, key, len(full), store.MaxKeyLen)
	}
	return full, nil
}

// responseTime returns the Date header of a successful response: S3 returns
// no Last-Modified on a write, and its LastModified is within a second of it.
func responseTime(md middleware.Metadata) time.Time {
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		if t, err := time.Parse(time.RFC1123, resp.Header.Get("Date")); err == nil {
			return t.UTC()
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}

// etag returns an S3 ETag without its quotes, the form S3 event records
// use; quoteETag puts them back for If-Match.
func etag(p *string) string {
	return strings.Trim(aws.ToString(p), `"`)
}

func quoteETag(e string) string {
	if strings.HasPrefix(e, `"`) || strings.HasPrefix(e, "W/") {
		return e
	}
	return `"` + e + `"`
}
