package testpeers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// webhookEvent is the part of a versitygw event record the test reads.
type webhookEvent struct {
	Records []struct {
		EventName string `json:"eventName"`
		S3        struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key  string `json:"key"`
				Size int64  `json:"size"`
			} `json:"object"`
		} `json:"s3"`
	}
}

func TestVersityGW(t *testing.T) {
	ctx := context.Background()
	events := make(chan webhookEvent, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev webhookEvent
		if b, err := io.ReadAll(r.Body); err == nil && json.Unmarshal(b, &ev) == nil && len(ev.Records) > 0 {
			events <- ev
		}
	}))
	defer hook.Close()

	start := time.Now()
	g := StartVersityGW(t, VersityOptions{Buckets: []string{"bucket-a", "bucket-b"}, EventWebhookURL: hook.URL})
	t.Logf("versitygw answered at %s after %v", g.Endpoint, time.Since(start).Round(time.Millisecond))
	if !strings.HasPrefix(g.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %q, want http://127.0.0.1:PORT", g.Endpoint)
	}
	c := g.S3Client()
	put := func(key, body string, ifNoneMatch bool) error {
		in := &s3.PutObjectInput{Bucket: aws.String("bucket-a"), Key: aws.String(key), Body: strings.NewReader(body)}
		if ifNoneMatch {
			in.IfNoneMatch = aws.String("*")
		}
		_, err := c.PutObject(ctx, in)
		return err
	}
	if err := put("incoming/x.csv", "1,2,3\n", true); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	var ae smithy.APIError
	if err := put("incoming/x.csv", "again", true); !errors.As(err, &ae) || ae.ErrorCode() != "PreconditionFailed" {
		t.Errorf("second If-None-Match PutObject: %v, want PreconditionFailed", err)
	}
	// The posix backend keeps objects as plain files.
	if b, err := os.ReadFile(filepath.Join(g.BucketDir("bucket-a"), "incoming", "x.csv")); err != nil || string(b) != "1,2,3\n" {
		t.Errorf("object file = %q, %v", b, err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("bucket-b")}); err != nil {
		t.Errorf("HeadBucket(bucket-b): %v", err)
	}

	select {
	case ev := <-events:
		r := ev.Records[0]
		if !strings.HasPrefix(r.EventName, "s3:ObjectCreated:") || r.S3.Bucket.Name != "bucket-a" || r.S3.Object.Key != "incoming/x.csv" || r.S3.Object.Size != 6 {
			t.Errorf("webhook record = %+v, want ObjectCreated of bucket-a/incoming/x.csv, 6 bytes", r)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("no webhook event within 10s")
	}
}

func TestVersityGWVersioning(t *testing.T) {
	ctx := context.Background()
	g := StartVersityGW(t, VersityOptions{Buckets: []string{"versioned"}, Versioning: true})
	if g.VersioningDir == "" {
		t.Fatal("VersioningDir is empty")
	}
	c := g.S3Client()
	for _, body := range []string{"one", "two"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("versioned"), Key: aws.String("k"), Body: bytes.NewReader([]byte(body))}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("versioned")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 2 {
		t.Errorf("%d versions of k, want 2", len(out.Versions))
	}
}
