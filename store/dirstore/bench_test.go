package dirstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/aloft-run/aloft/store"
)

var small = bytes.Repeat([]byte("x"), 200) // about a claim or a small state.json

func BenchmarkPutIfAbsent(b *testing.B) {
	ctx := context.Background()
	s := openT(b, b.TempDir(), Options{})
	b.SetBytes(int64(len(small)))
	i := 0
	for b.Loop() {
		if _, err := store.PutBytes(ctx, s, fmt.Sprintf("claims/%d/%d", i%64, i), small, store.PutOptions{IfAbsent: true}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkPutIfMatch(b *testing.B) {
	ctx := context.Background()
	s := openT(b, b.TempDir(), Options{})
	obj := putT(b, s, "executions/p/d/x/state.json", "start", store.PutOptions{})
	b.SetBytes(int64(len(small) + 8))
	i := 0
	for b.Loop() {
		content := fmt.Appendf(append([]byte(nil), small...), "%08d", i) // new content, new ETag
		var err error
		obj, err = store.PutBytes(ctx, s, obj.Key, content, store.PutOptions{IfMatch: obj.ETag})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{len(small), 1 << 20} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			s := openT(b, b.TempDir(), Options{})
			putT(b, s, "k", string(bytes.Repeat([]byte("y"), size)), store.PutOptions{})
			b.SetBytes(int64(size))
			for b.Loop() {
				rc, _, err := s.Get(ctx, "k")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					b.Fatal(err)
				}
				rc.Close()
			}
		})
	}
}

func BenchmarkHead(b *testing.B) {
	ctx := context.Background()
	s := openT(b, b.TempDir(), Options{})
	putT(b, s, "k", string(bytes.Repeat([]byte("y"), 64<<20)), store.PutOptions{})
	for b.Loop() { // 64 MiB: only the cache makes this fast
		if _, err := s.Head(ctx, "k"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutThenSync(b *testing.B) {
	ctx := context.Background()
	s := openT(b, b.TempDir(), Options{})
	for b.Loop() { // one group commit of 10 objects
		for j := range 10 {
			if _, err := store.PutBytes(ctx, s, fmt.Sprintf("group/%d", j), small, store.PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
