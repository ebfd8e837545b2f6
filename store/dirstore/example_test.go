package dirstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

func Example() {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "bucket")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)

	s, err := dirstore.Open(root)
	if err != nil {
		log.Fatal(err)
	}
	cancel := s.Subscribe(func(ev store.Event) { fmt.Println("created", ev.Key, ev.Size) })
	defer cancel()

	// A claim: the first writer wins, the second learns it lost.
	claim := "data/x/fit/0/claim.json"
	if _, err := store.PutJSON(ctx, s, claim, map[string]string{"job": "local-1"}, store.PutOptions{IfAbsent: true}); err != nil {
		log.Fatal(err)
	}
	_, err = store.PutJSON(ctx, s, claim, map[string]string{"job": "local-2"}, store.PutOptions{IfAbsent: true})
	fmt.Println("second claim conflicts:", errors.Is(err, store.ErrConflict))

	// A group commit: many Puts, one Sync.
	if err := s.Sync(ctx); err != nil {
		log.Fatal(err)
	}
	var got map[string]string
	if _, err := store.GetJSON(ctx, s, claim, &got); err != nil {
		log.Fatal(err)
	}
	fmt.Println("claimed by", got["job"])
	// Output:
	// created data/x/fit/0/claim.json 18
	// second claim conflicts: true
	// claimed by local-1
}
