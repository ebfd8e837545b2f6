package storeurl

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
	"github.com/aloft-run/aloft/store/s3store"
)

func TestDirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, uri := range []string{dir, "file://" + filepath.ToSlash(dir), "FILE://localhost" + filepath.ToSlash(dir)} {
		s, err := Open(ctx, uri)
		if err != nil {
			t.Fatalf("Open(%q): %v", uri, err)
		}
		ds, ok := s.(*dirstore.Store)
		if !ok || ds.Root() != dir {
			t.Fatalf("Open(%q) = %T rooted at %v, want the directory store at %s", uri, s, ds, dir)
		}
	}
	// A relative path is a directory too.
	t.Chdir(dir)
	s, err := Open(ctx, "rel/bucket")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutBytes(ctx, s, "a/b", []byte("x"), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := s.URI("a/b"); got != "file://"+filepath.ToSlash(filepath.Join(dir, "rel", "bucket", "a", "b")) {
		t.Errorf("URI = %s", got)
	}
}

func TestS3(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "s3://my-bucket/runs/prod/")
	if err != nil {
		t.Fatal(err)
	}
	ss, ok := s.(*s3store.Store)
	if !ok || ss.Bucket() != "my-bucket" || ss.Prefix() != "runs/prod/" {
		t.Fatalf("Open(s3://my-bucket/runs/prod/) = %T %+v", s, s)
	}
	if got := s.URI("k"); got != "s3://my-bucket/runs/prod/k" {
		t.Errorf("URI = %s", got)
	}
	if s, err := Open(ctx, "s3://just-a-bucket"); err != nil || s.URI("k") != "s3://just-a-bucket/k" {
		t.Errorf("Open(s3://just-a-bucket) = %v, %v", s, err)
	}
}

// The S3 store takes its endpoint and credentials from the environment, as
// the AWS CLI does, and addresses a custom endpoint path-style.
func TestS3FromEnvironment(t *testing.T) {
	ctx := context.Background()
	backend := s3mem.New()
	if err := backend.CreateBucket("bucket"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	s, err := Open(ctx, "s3://bucket/p")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutBytes(ctx, s, "k", []byte("hello"), store.PutOptions{IfAbsent: true}); err != nil {
		t.Fatalf("Put through AWS_ENDPOINT_URL: %v", err)
	}
	b, obj, err := store.ReadAll(ctx, s, "k")
	if err != nil || string(b) != "hello" || obj.Digest != store.Digest([]byte("hello")) {
		t.Errorf("ReadAll = %q, %+v, %v", b, obj, err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	for uri, want := range map[string]string{
		"":                      "empty location",
		"s3://":                 "no bucket",
		"s3:///prefix":          "no bucket",
		"gs://bucket/x":         "gs:// is not supported yet",
		"https://example.com/x": "unsupported scheme https://",
		"file://host/dir":       `not one on host "host"`,
		"file://relative":       `not one on host "relative"`,
	} {
		_, err := Open(ctx, uri)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q): %v, want an error saying %q", uri, err, want)
		}
	}
}

func TestSplitScheme(t *testing.T) {
	for in, want := range map[string]string{
		"s3://b":      "s3",
		"S3://b":      "s3",
		"git+ssh://x": "git+ssh",
		"./a://b":     "",
		"1a://b":      "",
		"dir/x":       "",
		"://x":        "",
	} {
		if got, _, _ := splitScheme(in); got != want {
			t.Errorf("splitScheme(%q) = %q, want %q", in, got, want)
		}
	}
}
