package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aloft-run/aloft/store"
)

const racers = 16

func testRaceIfAbsent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const key = "claims/race"
	var (
		start  = make(chan struct{})
		wg     sync.WaitGroup
		wins   atomic.Int32
		winner atomic.Int32
		errs   = make(chan error, racers)
	)
	for i := range racers {
		wg.Go(func() {
			<-start
			_, err := store.PutBytes(ctx, s, key, fmt.Appendf(nil, "racer %d", i), store.PutOptions{IfAbsent: true})
			switch {
			case err == nil:
				wins.Add(1)
				winner.Store(int32(i))
			case !errors.Is(err, store.ErrConflict):
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("IfAbsent racer: %v, want nil or ErrConflict", err)
	}
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d of %d IfAbsent racers won, want exactly 1", n, racers)
	}
	wantContent(t, s, key, fmt.Appendf(nil, "racer %d", winner.Load()))
}

// testRaceIfMatchCounter has racers increment one counter with
// read-modify-write cycles guarded by IfMatch, retrying on conflict. A lost
// update shows as a final count below the number of increments.
func testRaceIfMatchCounter(t *testing.T, s store.Store) {
	ctx := context.Background()
	const (
		key      = "executions/p/d/counter/state.json"
		perRacer = 8
		maxTries = 1000
	)
	type counter struct{ N int }
	if _, err := store.PutJSON(ctx, s, key, counter{}, store.PutOptions{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	var (
		start     = make(chan struct{})
		wg        sync.WaitGroup
		conflicts atomic.Int64
		errs      = make(chan error, racers)
	)
	for range racers {
		wg.Go(func() {
			<-start
			for range perRacer {
				if err := increment(ctx, s, key, &conflicts, maxTries); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("increment: %v", err)
	}
	var c counter
	if _, err := store.GetJSON(ctx, s, key, &c); err != nil {
		t.Fatal(err)
	}
	if want := racers * perRacer; c.N != want {
		t.Fatalf("counter = %d after %d increments: lost updates", c.N, want)
	}
	t.Logf("%d increments, %d conflicts retried", racers*perRacer, conflicts.Load())
}

func increment(ctx context.Context, s store.Store, key string, conflicts *atomic.Int64, maxTries int) error {
	for range maxTries {
		var c struct{ N int }
		obj, err := store.GetJSON(ctx, s, key, &c)
		if err != nil {
			return err
		}
		c.N++
		_, err = store.PutJSON(ctx, s, key, c, store.PutOptions{IfMatch: obj.ETag})
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		conflicts.Add(1)
	}
	return fmt.Errorf("no increment after %d tries", maxTries)
}
