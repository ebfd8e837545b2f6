package s3store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/aloft-run/aloft/internal/testpeers"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/storetest"
)

// TestVersityGW runs the store against versitygw, the S3 server closest to
// AWS that runs here (real conditional writes on PutObject and
// CompleteMultipartUpload, checksums verified, 404 NoSuchKey for If-Match
// of a missing key). One gateway serves the whole test, each store in a
// fresh prefix.
func TestVersityGW(t *testing.T) {
	g := testpeers.StartVersityGW(t, testpeers.VersityOptions{
		Buckets:   []string{"bucket"},
		AccessKey: "aloft", SecretKey: "aloft-secret",
	})
	var n atomic.Int32
	prefix := func() string { return fmt.Sprintf("t%d", n.Add(1)) }

	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return openT(t, g.Endpoint, "bucket", prefix()) })
	})
	open := func(t *testing.T, rec *recorder, opts ...Option) *Store {
		return openWith(t, clientT(g.Endpoint, rec), "bucket", prefix(), opts...)
	}
	t.Run("Multipart", func(t *testing.T) { testMultipart(t, open, multipartQuirks{}) })
	t.Run("MultipartCompleteRace", func(t *testing.T) { testCompleteRace(t, open) })
	t.Run("Digests", func(t *testing.T) { testDigests(t, open(t, nil)) })
	t.Run("IfMatchMissingKey", func(t *testing.T) {
		s := open(t, nil)
		_, err := store.PutBytes(context.Background(), s, "nope", []byte("x"), store.PutOptions{IfMatch: "0123"})
		if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "NoSuchKey") {
			t.Errorf("IfMatch Put of a missing key: %v, want ErrConflict from S3's NoSuchKey", err)
		}
	})
	t.Run("ListPages", func(t *testing.T) {
		ctx := context.Background()
		rec := &recorder{}
		s := open(t, rec, WithListPageSize(3), WithListConcurrency(2))
		var want []string
		for i := range 10 {
			k := fmt.Sprintf("k/%02d", 9-i)
			mustPut(t, s, k, k)
			want = append([]string{k}, want...)
		}
		rec.reset()
		objs, err := s.List(ctx, "k/")
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range objs {
			keys = append(keys, o.Key)
			if o.Digest != store.Digest([]byte(o.Key)) {
				t.Errorf("List entry %s: Digest = %q", o.Key, o.Digest)
			}
		}
		if strings.Join(keys, " ") != strings.Join(want, " ") {
			t.Errorf("List = %q, want %q", keys, want)
		}
		if got := rec.count("GET", "list-type"); got != 4 {
			t.Errorf("%d ListObjectsV2 calls for 10 keys in pages of 3, want 4", got)
		}
	})
}

// testDigests checks where digests come from on a server that keeps
// checksums: S3's full-object SHA-256 checksum, which Put sends, else the
// metadata, else nothing.
func testDigests(t *testing.T, s *Store) {
	ctx := context.Background()
	c := s.Client()
	content := []byte("external object\n")
	sum := sha256.Sum256(content)

	obj := mustPut(t, s, "ours", string(content))
	raw, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Bucket()), Key: aws.String(s.Prefix() + "ours"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(raw.ChecksumSHA256); got != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("Put stored checksum %q, want the content's SHA-256", got)
	}
	if obj.Digest != store.Digest(content) {
		t.Errorf("Put Digest = %s", obj.Digest)
	}

	for _, c2 := range []struct {
		key  string
		algo types.ChecksumAlgorithm
		want string
	}{
		{"sha256-checksum-only", types.ChecksumAlgorithmSha256, store.Digest(content)},
		{"crc32-checksum-only", types.ChecksumAlgorithmCrc32, ""},
	} {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.Bucket()), Key: aws.String(s.Prefix() + c2.key),
			Body: strings.NewReader(string(content)), ChecksumAlgorithm: c2.algo,
		})
		if err != nil {
			t.Fatal(err)
		}
		head, err := s.Head(ctx, c2.key)
		if err != nil {
			t.Fatal(err)
		}
		if head.Digest != c2.want {
			t.Errorf("Head(%s).Digest = %q, want %q", c2.key, head.Digest, c2.want)
		}
	}
}
