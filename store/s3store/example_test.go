package s3store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/s3store"
)

func Example() {
	ctx := context.Background()
	// An in-process S3 server stands in for AWS here; against AWS, Open
	// needs only the bucket and the usual AWS configuration.
	backend := s3mem.New()
	if err := backend.CreateBucket("my-bucket"); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	defer srv.Close()

	s, err := s3store.Open(ctx, "my-bucket", "aloft",
		s3store.WithEndpoint(srv.URL),
		s3store.WithRegion("us-east-1"),
		s3store.WithCredentials(credentials.NewStaticCredentialsProvider("key", "secret", "")))
	if err != nil {
		log.Fatal(err)
	}

	// A claim: the first writer wins, the second learns it lost.
	claim := "data/x/fit/0/claim.json"
	obj, err := store.PutJSON(ctx, s, claim, map[string]string{"job": "batch-1"}, store.PutOptions{IfAbsent: true})
	if err != nil {
		log.Fatal(err)
	}
	_, err = store.PutJSON(ctx, s, claim, map[string]string{"job": "batch-2"}, store.PutOptions{IfAbsent: true})
	fmt.Println("second claim conflicts:", errors.Is(err, store.ErrConflict))
	fmt.Println(s.URI(claim))
	fmt.Println(obj.Digest) // of {"job":"batch-1"} and a newline
	// Output:
	// second claim conflicts: true
	// s3://my-bucket/aloft/data/x/fit/0/claim.json
	// sha256:33bc81845631afa05585f8734fe48a06dbba4f6a5753af7e52e06ec5099b035a
}
