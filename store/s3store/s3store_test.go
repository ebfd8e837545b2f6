package s3store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/storetest"
)

// gofakes3 serves S3 in-process; see shared/TESTING.md for what it does not
// do (checksums, conditions on CompleteMultipartUpload, 404 on If-Match of a
// missing key). The suite passes on it as it is: the store takes digests
// from the x-amz-meta-sha256 metadata there, and the suite accepts 412 for
// If-Match on a missing key. Tests of what gofakes3 lacks run against
// versitygw (versitygw_test.go).
func startGofakes3(t testing.TB, buckets ...string) string {
	t.Helper()
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

// openT opens a store on an S3 endpoint with static credentials.
func openT(t testing.TB, endpoint, bucket, prefix string, opts ...Option) *Store {
	t.Helper()
	opts = append([]Option{
		WithEndpoint(endpoint),
		WithRegion("us-east-1"),
		WithCredentials(credentials.NewStaticCredentialsProvider("aloft", "aloft-secret", "")),
	}, opts...)
	s, err := Open(context.Background(), bucket, prefix, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openWith opens a store that uses client.
func openWith(t testing.TB, client *s3.Client, bucket, prefix string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), bucket, prefix, append([]Option{WithClient(client)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceGofakes3(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openT(t, startGofakes3(t, "bucket"), "bucket", "")
	})
}

// Many stores share one bucket, each under its own prefix, and must not see
// each other's keys.
func TestConformanceGofakes3Prefix(t *testing.T) {
	endpoint := startGofakes3(t, "shared")
	// A key next to the prefixes that no store may list.
	outside := openT(t, endpoint, "shared", "")
	mustPut(t, outside, "runs-outside", "x")
	var n atomic.Int32
	storetest.Run(t, func(t *testing.T) store.Store {
		return openT(t, endpoint, "shared", fmt.Sprintf("runs/%d", n.Add(1)))
	})
}

func mustPut(t testing.TB, s store.Store, key, content string) store.Object {
	t.Helper()
	obj, err := store.PutBytes(context.Background(), s, key, []byte(content), store.PutOptions{})
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return obj
}

// recorder is an http.RoundTripper that notes each request's method and
// query, to count the calls of one S3 operation.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

// count returns how many requests had method and the query parameter param.
func (r *recorder) count(method, param string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, req := range r.reqs {
		if req.Method == method && req.URL.Query().Has(param) {
			n++
		}
	}
	return n
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
}

// clientT returns a path-style client for endpoint whose requests rec sees.
func clientT(endpoint string, rec *recorder) *s3.Client {
	var rt http.RoundTripper = http.DefaultTransport
	if rec != nil {
		rec.base = rt
		rt = rec
	}
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("aloft", "aloft-secret", ""),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		HTTPClient:   &http.Client{Transport: rt},
	})
}

func TestURIAndKeyOf(t *testing.T) {
	s := openT(t, "http://127.0.0.1:1", "b", "/runs/x/")
	if got, want := s.URI("a/b c.json"), "s3://b/runs/x/a/b c.json"; got != want {
		t.Errorf("URI = %q, want %q", got, want)
	}
	for uri, want := range map[string]string{
		"s3://b/runs/x/a/b":   "a/b",
		"s3://b/runs/x/":      "",
		"s3://b/runs/xy/a":    "",
		"s3://b/runs/a":       "",
		"s3://c/runs/x/a":     "",
		"file:///runs/x/a":    "",
		"s3://b/runs/x/a/../": "a/../",
	} {
		got, ok := s.KeyOf(uri)
		if got != want || ok != (want != "") {
			t.Errorf("KeyOf(%q) = %q, %v; want %q", uri, got, ok, want)
		}
	}
	if s.Prefix() != "runs/x/" || s.Bucket() != "b" {
		t.Errorf("Prefix, Bucket = %q, %q", s.Prefix(), s.Bucket())
	}
	if s := openT(t, "http://127.0.0.1:1", "b", ""); s.URI("k") != "s3://b/k" {
		t.Errorf("URI without prefix = %q", s.URI("k"))
	}
}

func TestOpenRejects(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]struct {
		bucket string
		opts   []Option
	}{
		"empty bucket":      {"", nil},
		"bucket with slash": {"a/b", nil},
		"small parts":       {"b", []Option{WithPartSize(1 << 20)}},
		"zero threshold":    {"b", []Option{WithMultipartThreshold(0)}},
		"page size":         {"b", []Option{WithListPageSize(1001)}},
		"list concurrency":  {"b", []Option{WithListConcurrency(0)}},
		"client and region": {"b", []Option{WithClient(clientT("http://127.0.0.1:1", nil)), WithRegion("eu-west-1")}},
	} {
		if _, err := Open(ctx, c.bucket, "", c.opts...); err == nil {
			t.Errorf("Open with %s: no error", name)
		}
	}
}

// List pages through ListObjectsV2 and skips folder markers.
func TestListPages(t *testing.T) {
	ctx := context.Background()
	endpoint := startGofakes3(t, "bucket")
	rec := &recorder{}
	s := openWith(t, clientT(endpoint, rec), "bucket", "p", WithListPageSize(2))
	want := []string{"a", "b/1", "b/2", "c", "d", "e/f/g", "z"}
	for _, k := range []string{"z", "e/f/g", "d", "c", "b/2", "b/1", "a"} {
		mustPut(t, s, k, "content of "+k)
	}
	// A folder marker, as the S3 console makes: not an object of the store.
	if _, err := s.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("p/b/"), Body: strings.NewReader("")}); err != nil {
		t.Fatal(err)
	}
	rec.reset()
	objs, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
		if o.Digest != store.Digest([]byte("content of "+o.Key)) {
			t.Errorf("List entry %s: Digest = %q", o.Key, o.Digest)
		}
	}
	if !slices.Equal(keys, want) {
		t.Errorf("List = %q, want %q", keys, want)
	}
	if n := rec.count(http.MethodGet, "list-type"); n != 4 {
		t.Errorf("List made %d ListObjectsV2 calls for 8 keys in pages of 2, want 4", n)
	}
	if objs, err := s.List(ctx, "b/"); err != nil || len(objs) != 2 {
		t.Errorf("List(b/) = %+v, %v; want b/1 and b/2", objs, err)
	}
	// Keys alone: the same listing, no HEAD per object.
	rec.reset()
	kobjs, err := store.ListKeys(ctx, s, "")
	if err != nil {
		t.Fatal(err)
	}
	var kkeys []string
	for _, o := range kobjs {
		kkeys = append(kkeys, o.Key)
	}
	if !slices.Equal(kkeys, want) {
		t.Errorf("ListKeys = %q, want %q", kkeys, want)
	}
	rec.mu.Lock()
	heads := 0
	for _, r := range rec.reqs {
		if r.Method == http.MethodHead {
			heads++
		}
	}
	rec.mu.Unlock()
	if heads != 0 {
		t.Errorf("ListKeys made %d HEAD requests, want none", heads)
	}
}

func TestMissingBucket(t *testing.T) {
	ctx := context.Background()
	s := openT(t, startGofakes3(t, "bucket"), "no-such-bucket", "")
	_, err := store.PutBytes(ctx, s, "k", []byte("x"), store.PutOptions{})
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "bucket no-such-bucket does not exist") {
		t.Errorf("Put to a missing bucket: %v", err)
	}
	if _, err := s.Head(ctx, "k"); err == nil {
		t.Errorf("Head in a missing bucket: no error")
	}
}

func TestMultipartGofakes3(t *testing.T) {
	endpoint := startGofakes3(t, "bucket")
	var n atomic.Int32
	testMultipart(t, func(t *testing.T, rec *recorder, opts ...Option) *Store {
		return openWith(t, clientT(endpoint, rec), "bucket", fmt.Sprintf("mp/%d", n.Add(1)), opts...)
	}, multipartQuirks{completeETag: true})
}
