package catalog_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/catalog"
	"github.com/aloft-run/aloft/store/dirstore"
)

func TestReservation(t *testing.T) {
	ctx := context.Background()
	st, err := dirstore.Open(t.TempDir())
	require.NoError(t, err)
	c := catalog.New(st)
	task := trainTask()
	k := mustKey(t, "default", "development", task, trainInputs())
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const lease = 5 * time.Minute
	reserve := func(holder string, now time.Time) (bool, time.Time) {
		taken, until, err := c.Reserve(ctx, "default", "development", task, k, holder, now, lease)
		require.NoError(t, err)
		return taken, until
	}

	// Concurrent identical attempts: exactly one takes it.
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := range 8 {
		wg.Go(func() {
			if taken, _ := reserve("exec"+string(rune('a'+i)), t0); taken {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, winners)
	r, err := c.GetReservation(ctx, "default", "development", task, k)
	require.NoError(t, err)
	holder := r.Holder

	taken, until := reserve("other", t0.Add(time.Minute))
	assert.False(t, taken)
	assert.Equal(t, t0.Add(lease), until, "a waiter learns when the holder's lease ends")
	taken, _ = reserve(holder, t0.Add(time.Minute))
	assert.True(t, taken, "asking again for one's own reservation keeps it")

	// Renewal keeps it from others past the first lease.
	require.NoError(t, c.Renew(ctx, "default", "development", task, k, holder, t0.Add(4*time.Minute), lease))
	taken, until = reserve("other", t0.Add(6*time.Minute))
	assert.False(t, taken)
	assert.Equal(t, t0.Add(9*time.Minute), until)

	// A dead holder: once its lease ran out, a waiter takes it over, and
	// the old holder can neither renew nor release it.
	taken, _ = reserve("other", t0.Add(9*time.Minute+time.Second))
	assert.True(t, taken)
	assert.ErrorIs(t, c.Renew(ctx, "default", "development", task, k, holder, t0.Add(10*time.Minute), lease), catalog.ErrNotHeld)
	require.NoError(t, c.Release(ctx, "default", "development", task, k, holder))
	r, err = c.GetReservation(ctx, "default", "development", task, k)
	require.NoError(t, err)
	assert.Equal(t, "other", r.Holder)

	// Released, it is free for the next.
	require.NoError(t, c.Release(ctx, "default", "development", task, k, "other"))
	taken, _ = reserve("third", t0.Add(10*time.Minute))
	assert.True(t, taken)
}
