package s3store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/aloft-run/aloft/store"
)

// cannedS3 answers every request with one status and S3 error code, and
// keeps the last request's headers.
type cannedS3 struct {
	status int
	code   string // "" for no body (HEAD answers have none)

	mu   sync.Mutex
	last http.Header
}

func (c *cannedS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.last = r.Header.Clone()
	c.mu.Unlock()
	w.Header().Set("x-amz-request-id", "req-1")
	if c.code == "" || r.Method == http.MethodHead {
		w.WriteHeader(c.status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(c.status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>canned answer</Message><RequestId>req-1</RequestId></Error>`, c.code)
}

func (c *cannedS3) header(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last.Get(name)
}

// openCanned opens a store on a server that answers status and code, with
// no retries.
func openCanned(t *testing.T, status int, code string) (*Store, *cannedS3) {
	t.Helper()
	c := &cannedS3{status: status, code: code}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("aloft", "aloft-secret", ""),
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Retryer:      aws.NopRetryer{},
	})
	return openWith(t, client, "bucket", "pre"), c
}

func TestWriteErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		status   int
		code     string
		opts     store.PutOptions
		conflict bool
	}{
		{412, "PreconditionFailed", store.PutOptions{IfAbsent: true}, true},
		{412, "PreconditionFailed", store.PutOptions{IfMatch: "abc"}, true},
		{409, "ConditionalRequestConflict", store.PutOptions{IfAbsent: true}, true},
		{409, "ConditionalRequestConflict", store.PutOptions{IfMatch: "abc"}, true},
		{404, "NoSuchKey", store.PutOptions{IfMatch: "abc"}, true},
		// Not a lost condition: the caller must not re-read and retry.
		{404, "NoSuchBucket", store.PutOptions{IfMatch: "abc"}, false},
		{404, "NoSuchKey", store.PutOptions{}, false},
		{409, "OperationAborted", store.PutOptions{IfAbsent: true}, false},
		{403, "AccessDenied", store.PutOptions{IfAbsent: true}, false},
		{500, "InternalError", store.PutOptions{IfAbsent: true}, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d-%s-%+v", c.status, c.code, c.opts), func(t *testing.T) {
			s, _ := openCanned(t, c.status, c.code)
			_, err := store.PutBytes(ctx, s, "k", []byte("x"), c.opts)
			if err == nil {
				t.Fatal("Put succeeded")
			}
			if errors.Is(err, store.ErrConflict) != c.conflict {
				t.Errorf("Put: %v; ErrConflict = %v, want %v", err, !c.conflict, c.conflict)
			}
			if errors.Is(err, store.ErrNotFound) {
				t.Errorf("Put: %v is ErrNotFound", err)
			}
			if !strings.Contains(err.Error(), "s3://bucket/pre/k") {
				t.Errorf("Put error %q does not name the object", err)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		status   int
		code     string
		notFound bool
	}{
		{404, "NoSuchKey", true},
		{404, "NoSuchBucket", false},
		{403, "AccessDenied", false},
		{500, "InternalError", false},
	} {
		s, _ := openCanned(t, c.status, c.code)
		_, _, err := s.Get(ctx, "k")
		if err == nil || errors.Is(err, store.ErrNotFound) != c.notFound {
			t.Errorf("Get answered %d %s: %v, want ErrNotFound %v", c.status, c.code, err, c.notFound)
		}
		// HEAD answers carry no body: only the status tells.
		_, err = s.Head(ctx, "k")
		if err == nil || errors.Is(err, store.ErrNotFound) != (c.status == 404) {
			t.Errorf("Head answered %d: %v", c.status, err)
		}
		if c.code == "NoSuchBucket" {
			if _, _, err := s.Get(ctx, "k"); !strings.Contains(fmt.Sprint(err), "bucket bucket does not exist") {
				t.Errorf("Get in a missing bucket: %v", err)
			}
		}
		_, err = s.List(ctx, "")
		if err == nil || errors.Is(err, store.ErrNotFound) && c.code != "NoSuchKey" {
			t.Errorf("List answered %d %s: %v", c.status, c.code, err)
		}
		if err := s.Delete(ctx, "k"); (err == nil) != (c.code == "NoSuchKey") {
			t.Errorf("Delete answered %d %s: %v", c.status, c.code, err)
		}
	}
}

// Put sends the conditions and the checksum the way S3 reads them.
func TestPutHeaders(t *testing.T) {
	ctx := context.Background()
	body := []byte(`{"v":1}`)
	sum := sha256.Sum256(body)
	for _, c := range []struct {
		opts            store.PutOptions
		ifNone, ifMatch string
	}{
		{store.PutOptions{IfAbsent: true}, "*", ""},
		{store.PutOptions{IfMatch: "abc"}, "", `"abc"`},
		{store.PutOptions{IfMatch: `"abc"`}, "", `"abc"`},
		{store.PutOptions{}, "", ""},
	} {
		s, canned := openCanned(t, 412, "PreconditionFailed")
		store.PutBytes(ctx, s, "state.json", body, c.opts)
		for name, want := range map[string]string{
			"If-None-Match":         c.ifNone,
			"If-Match":              c.ifMatch,
			"X-Amz-Checksum-Sha256": base64.StdEncoding.EncodeToString(sum[:]),
			"X-Amz-Meta-Sha256":     hex.EncodeToString(sum[:]),
			"Content-Type":          "application/json",
		} {
			if got := canned.header(name); got != want {
				t.Errorf("Put(%+v) sent %s: %q, want %q", c.opts, name, got, want)
			}
		}
	}
	s, _ := openCanned(t, 200, "")
	if _, err := s.Put(ctx, "k", strings.NewReader("x"), store.PutOptions{IfAbsent: true, IfMatch: "a"}); err == nil {
		t.Errorf("Put with IfAbsent and IfMatch: no error")
	}
	if _, err := s.Put(ctx, "/abs", strings.NewReader("x"), store.PutOptions{}); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Put of key /abs: %v, want ErrInvalidKey", err)
	}
}

func TestDigestOf(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	hexSum := hex.EncodeToString(sum[:])
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	other := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name     string
		checksum string
		typ      types.ChecksumType
		meta     map[string]string
		want     string
	}{
		{"full-object checksum", b64, types.ChecksumTypeFullObject, nil, "sha256:" + hexSum},
		{"checksum without type", b64, "", nil, "sha256:" + hexSum},
		{"checksum wins over metadata", b64, "", map[string]string{"sha256": other}, "sha256:" + hexSum},
		{"composite checksum: metadata", b64 + "-3", types.ChecksumTypeComposite, map[string]string{"sha256": other}, "sha256:" + other},
		{"metadata only", "", "", map[string]string{"Sha256": strings.ToUpper(other)}, "sha256:" + other},
		{"bad metadata", "", "", map[string]string{"sha256": "xyz"}, ""},
		{"nothing", "", "", map[string]string{"other": "1"}, ""},
		{"bad checksum", "!!", "", nil, ""},
	} {
		var p *string
		if c.checksum != "" {
			p = aws.String(c.checksum)
		}
		if got := digestOf(p, c.typ, c.meta); got != c.want {
			t.Errorf("%s: digestOf = %q, want %q", c.name, got, c.want)
		}
	}
}
