package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// Reservation is what <key>.reservation holds (Decision 33): who runs the
// task call for a serialized cache key, and until when its lease runs. The
// holder renews the lease while it runs; once it ran out, anyone may take
// the reservation over.
type Reservation struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// ErrNotHeld is returned by Renew when the reservation is gone or another
// holder took it over.
var ErrNotHeld = errors.New("catalog: reservation not held")

// Reserve tries to take the reservation of key for holder with a lease of
// lease from now: it creates it if absent, keeps it if holder has it
// already, and takes it over (if-match) when its lease ran out. Not taken,
// it returns when the current holder's lease ends.
func (c *Catalog) Reserve(ctx context.Context, project, domain string, task *orchestrator.TaskTemplate, key, holder string, now time.Time, lease time.Duration) (taken bool, until time.Time, err error) {
	path, err := reservationPath(project, domain, task, key)
	if err != nil {
		return false, time.Time{}, err
	}
	mine, err := json.Marshal(Reservation{Holder: holder, Expires: now.Add(lease).UTC()})
	if err != nil {
		return false, time.Time{}, err
	}
	for try := 0; try < 3; try++ {
		_, err = c.st.Put(ctx, path, bytes.NewReader(mine), store.PutOptions{IfAbsent: true})
		if err == nil {
			return true, time.Time{}, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return false, time.Time{}, fmt.Errorf("reserve %s: %w", path, err)
		}
		cur, etag, err := c.readReservation(ctx, path)
		if errors.Is(err, store.ErrNotFound) {
			continue // released meanwhile: try to create it again
		}
		if err != nil {
			return false, time.Time{}, err
		}
		if cur.Holder != holder && now.Before(cur.Expires) {
			return false, cur.Expires, nil
		}
		// Ours already (a redelivered request), or its holder's lease ran
		// out: take it over, unless someone else does first.
		_, err = c.st.Put(ctx, path, bytes.NewReader(mine), store.PutOptions{IfMatch: etag})
		if err == nil {
			return true, time.Time{}, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return false, time.Time{}, fmt.Errorf("take over %s: %w", path, err)
		}
	}
	return false, now.Add(time.Second), nil // contended: ask again shortly
}

// Renew extends holder's lease on the reservation of key to now+lease. It
// gives ErrNotHeld when the reservation is gone or held by another.
func (c *Catalog) Renew(ctx context.Context, project, domain string, task *orchestrator.TaskTemplate, key, holder string, now time.Time, lease time.Duration) error {
	path, err := reservationPath(project, domain, task, key)
	if err != nil {
		return err
	}
	cur, etag, err := c.readReservation(ctx, path)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("renew %s: %w", path, ErrNotHeld)
	}
	if err != nil {
		return err
	}
	if cur.Holder != holder {
		return fmt.Errorf("renew %s: held by %s: %w", path, cur.Holder, ErrNotHeld)
	}
	b, err := json.Marshal(Reservation{Holder: holder, Expires: now.Add(lease).UTC()})
	if err != nil {
		return err
	}
	if _, err := c.st.Put(ctx, path, bytes.NewReader(b), store.PutOptions{IfMatch: etag}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("renew %s: %w", path, ErrNotHeld)
		}
		return fmt.Errorf("renew %s: %w", path, err)
	}
	return nil
}

// Release deletes the reservation of key if holder has it; a reservation
// that is gone or another's is left alone.
func (c *Catalog) Release(ctx context.Context, project, domain string, task *orchestrator.TaskTemplate, key, holder string) error {
	path, err := reservationPath(project, domain, task, key)
	if err != nil {
		return err
	}
	cur, _, err := c.readReservation(ctx, path)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if cur.Holder != holder {
		return nil
	}
	if err := c.st.Delete(ctx, path); err != nil {
		return fmt.Errorf("release %s: %w", path, err)
	}
	return nil
}

// GetReservation reads the reservation of key; store.ErrNotFound when there
// is none.
func (c *Catalog) GetReservation(ctx context.Context, project, domain string, task *orchestrator.TaskTemplate, key string) (Reservation, error) {
	path, err := reservationPath(project, domain, task, key)
	if err != nil {
		return Reservation{}, err
	}
	r, _, err := c.readReservation(ctx, path)
	return r, err
}

func (c *Catalog) readReservation(ctx context.Context, path string) (Reservation, string, error) {
	rc, obj, err := c.st.Get(ctx, path)
	if err != nil {
		return Reservation{}, "", err
	}
	defer rc.Close()
	var r Reservation
	if err := json.NewDecoder(rc).Decode(&r); err != nil {
		// A damaged reservation protects nothing: treat it as expired.
		return Reservation{}, obj.ETag, nil
	}
	return r, obj.ETag, nil
}

// reservationPath is where the reservation of key of task lives.
func reservationPath(project, domain string, task *orchestrator.TaskTemplate, key string) (string, error) {
	return keyPath(layout.CatalogReservationKey, project, domain, task, key)
}
