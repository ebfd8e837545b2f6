package s3store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/aloft-run/aloft/store"
)

// Multipart tests use S3's smallest parts (5 MiB) and a threshold just
// above, so 12 MiB goes up in 3 parts.
const (
	testPart      = 5 << 20
	testThreshold = testPart + 1
	testSize      = 12<<20 + 123
)

func randomContent(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// onlyReader hides every method but Read (so Put cannot seek).
type onlyReader struct{ io.Reader }

// openMultipart opens a fresh, empty store whose requests rec sees.
type openMultipart func(t *testing.T, rec *recorder, opts ...Option) *Store

// multipartQuirks names what a test server gets wrong.
type multipartQuirks struct {
	// completeETag: CompleteMultipartUpload answers an ETag ("<md5>-N") other
	// than the one the object then has (gofakes3 stores the MD5 of the whole
	// content). S3 and versitygw answer the object's ETag.
	completeETag bool
}

func testMultipart(t *testing.T, open openMultipart, quirks multipartQuirks) {
	data := randomContent(testSize, 1)
	small := []Option{WithMultipartThreshold(testThreshold), WithPartSize(testPart)}

	// check puts data to key from r and checks the object and its reads.
	check := func(t *testing.T, s *Store, rec *recorder, key string, r io.Reader) store.Object {
		t.Helper()
		ctx := context.Background()
		rec.reset()
		obj, err := s.Put(ctx, key, r, store.PutOptions{})
		if err != nil {
			t.Fatalf("Put: %v", err)
		}
		if n := rec.count(http.MethodPut, "partNumber"); n != 3 {
			t.Errorf("Put sent %d parts, want 3", n)
		}
		want := store.Digest(data)
		if obj.Size != testSize || obj.Digest != want || obj.ETag == "" || obj.Modified.IsZero() {
			t.Errorf("Put = %+v, want size %d and digest %s", obj, testSize, want)
		}
		head, err := s.Head(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if head.Size != obj.Size || head.Digest != want || head.ETag != obj.ETag && !quirks.completeETag {
			t.Errorf("Head = %+v, want the version %+v", head, obj)
		}
		got, gobj, err := store.ReadAll(ctx, s, key)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) || gobj.Digest != want {
			t.Errorf("Get = %d bytes (equal: %v), digest %s", len(got), bytes.Equal(got, data), gobj.Digest)
		}
		noUploads(t, s)
		return obj
	}

	t.Run("Seekable", func(t *testing.T) {
		rec := &recorder{}
		s := open(t, rec, small...)
		check(t, s, rec, "big/seekable.bin", bytes.NewReader(data))
	})
	t.Run("Spooled", func(t *testing.T) {
		rec := &recorder{}
		tmp := t.TempDir()
		s := open(t, rec, append(small, WithTempDir(tmp))...)
		check(t, s, rec, "big/spooled.bin", onlyReader{bytes.NewReader(data)})
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("spool files left: %v", left)
		}
	})
	t.Run("FileAtOffset", func(t *testing.T) {
		rec := &recorder{}
		s := open(t, rec, small...)
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, append([]byte("skip"), data...), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Seek(4, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		check(t, s, rec, "big/file.bin", f)
	})
	t.Run("Conditions", func(t *testing.T) {
		ctx := context.Background()
		rec := &recorder{}
		s := open(t, rec, small...)
		first, err := s.Put(ctx, "big/claim", bytes.NewReader(data), store.PutOptions{IfAbsent: true})
		if err != nil {
			t.Fatalf("IfAbsent Put of a missing key: %v", err)
		}
		if quirks.completeETag {
			if first, err = s.Head(ctx, "big/claim"); err != nil {
				t.Fatal(err)
			}
		}
		rec.reset()
		if _, err := s.Put(ctx, "big/claim", bytes.NewReader(data), store.PutOptions{IfAbsent: true}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("IfAbsent Put of an existing key: %v, want ErrConflict", err)
		}
		if n := rec.count(http.MethodPut, "partNumber"); n != 0 {
			t.Errorf("a Put that was bound to lose sent %d parts", n)
		}
		if _, err := s.Put(ctx, "big/claim", bytes.NewReader(data), store.PutOptions{IfMatch: "0123456789abcdef0123456789abcdef-3"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("IfMatch Put with a stale ETag: %v, want ErrConflict", err)
		}
		if _, err := s.Put(ctx, "big/missing", bytes.NewReader(data), store.PutOptions{IfMatch: first.ETag}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("IfMatch Put of a missing key: %v, want ErrConflict", err)
		}
		next := append([]byte("v2"), data...)
		second, err := s.Put(ctx, "big/claim", bytes.NewReader(next), store.PutOptions{IfMatch: first.ETag})
		if err != nil {
			t.Fatalf("IfMatch Put with the current ETag: %v", err)
		}
		if second.ETag == first.ETag || second.Digest != store.Digest(next) {
			t.Errorf("IfMatch Put = %+v after %+v", second, first)
		}
		noUploads(t, s)
	})
	t.Run("FailingReader", func(t *testing.T) {
		ctx := context.Background()
		rec := &recorder{}
		tmp := t.TempDir()
		s := open(t, rec, append(small, WithTempDir(tmp))...)
		r := io.MultiReader(bytes.NewReader(data[:testThreshold+100]), errReader{})
		if _, err := s.Put(ctx, "big/broken", r, store.PutOptions{}); !errors.Is(err, errBroken) {
			t.Errorf("Put from a failing reader: %v, want its error", err)
		}
		if _, err := s.Head(ctx, "big/broken"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Head after a failed Put: %v, want ErrNotFound", err)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("spool files left: %v", left)
		}
		noUploads(t, s)
	})
	t.Run("ContentChangedDuringUpload", func(t *testing.T) {
		ctx := context.Background()
		rec := &recorder{}
		s := open(t, rec, small...)
		r := &changingReader{data: bytes.Clone(data)}
		if _, err := s.Put(ctx, "big/changing", r, store.PutOptions{}); !errors.Is(err, errChanged) {
			t.Errorf("Put of content that changed: %v, want errChanged", err)
		}
		if _, err := s.Head(ctx, "big/changing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Head after the aborted upload: %v, want ErrNotFound", err)
		}
		if rec.count(http.MethodDelete, "uploadId") != 1 {
			t.Errorf("the upload was not aborted")
		}
		noUploads(t, s)
	})
}

// testCompleteRace checks that CompleteMultipartUpload's own condition
// holds when another writer gets in after the precheck (versitygw and S3
// evaluate it; gofakes3 ignores it).
func testCompleteRace(t *testing.T, open openMultipart) {
	ctx := context.Background()
	data := randomContent(testSize, 2)
	small := []Option{WithMultipartThreshold(testThreshold), WithPartSize(testPart)}
	t.Run("IfAbsent", func(t *testing.T) {
		s := open(t, &recorder{}, small...)
		s.beforeComplete = func() { mustPut(t, s, "race/claim", "the other writer") }
		if _, err := s.Put(ctx, "race/claim", bytes.NewReader(data), store.PutOptions{IfAbsent: true}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("IfAbsent multipart Put that lost at completion: %v, want ErrConflict", err)
		}
		got, _, err := store.ReadAll(ctx, s, "race/claim")
		if err != nil || string(got) != "the other writer" {
			t.Errorf("after the lost race the key holds %.20q, %v", got, err)
		}
		noUploads(t, s)
	})
	t.Run("IfMatch", func(t *testing.T) {
		s := open(t, &recorder{}, small...)
		v1 := mustPut(t, s, "race/state", "v1")
		s.beforeComplete = func() { mustPut(t, s, "race/state", "v2 by the other writer") }
		if _, err := s.Put(ctx, "race/state", bytes.NewReader(data), store.PutOptions{IfMatch: v1.ETag}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("IfMatch multipart Put that lost at completion: %v, want ErrConflict", err)
		}
		noUploads(t, s)
	})
}

// noUploads checks that no multipart upload is left under the store's prefix.
func noUploads(t *testing.T, s *Store) {
	t.Helper()
	out, err := s.Client().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{
		Bucket: aws.String(s.Bucket()),
		Prefix: aws.String(s.Prefix()),
	})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	for _, u := range out.Uploads {
		t.Errorf("multipart upload of %s left behind", aws.ToString(u.Key))
	}
}

var errBroken = errors.New("reader broke")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

// changingReader serves data, and flips a byte of it after the first pass,
// as a file rewritten while it is uploaded would.
type changingReader struct {
	data    []byte
	off     int64
	readAll bool // a pass has read the data to its end
	flipped bool
}

func (r *changingReader) Read(p []byte) (int, error) {
	if r.off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.off:])
	r.off += int64(n)
	r.readAll = r.readAll || r.off == int64(len(r.data))
	return n, nil
}

func (r *changingReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		if r.readAll && !r.flipped {
			r.data[len(r.data)/2] ^= 0xff
			r.flipped = true
		}
		r.off = off
	case io.SeekCurrent:
		r.off += off
	case io.SeekEnd:
		r.off = int64(len(r.data)) + off
	}
	return r.off, nil
}

func TestPartSizeFor(t *testing.T) {
	for _, c := range []struct{ configured, size, want int64 }{
		{16 << 20, 1 << 30, 16 << 20},
		{16 << 20, 160000 << 20, 16 << 20},
		{16 << 20, 160000<<20 + 1, 16<<20 + 1},
		{5 << 20, 1 << 40, (1<<40 + 9999) / 10000},
	} {
		got := partSizeFor(c.configured, c.size)
		if got != c.want || (c.size+got-1)/got > maxParts {
			t.Errorf("partSizeFor(%d, %d) = %d, want %d", c.configured, c.size, got, c.want)
		}
	}
}
