package functions

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// The drop folder (Decision 27): a run triggered by an object under
// incoming/ reads an immutable snapshot of it taken when the trigger
// handled it, and each version of an object is triggered once, recorded by
// a marker outside incoming/.

// errSuperseded says the object was replaced after the event named its
// version: the newer version's own event starts its run.
var errSuperseded = errors.New("the object changed after the event")

// TriggerMarker is the body of layout.TriggeredKey: which version of which
// drop-zone object was triggered, and the runs it started.
type TriggerMarker struct {
	Key         string     `json:"key"`
	Version     string     `json:"version"`
	Digest      string     `json:"digest,omitempty"`
	Size        int64      `json:"size"`
	Runs        []Launched `json:"runs"`
	TriggeredAt time.Time  `json:"triggered_at"`
}

// triggered returns the runs the version's marker records, with New
// false; ok is false when there is no marker.
func (c *Trigger) triggered(ctx context.Context, marker string) (runs []Launched, ok bool, err error) {
	var m TriggerMarker
	_, err = store.GetJSON(ctx, c.Store, marker, &m)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("trigger: marker %s: %w", marker, err)
	}
	for _, l := range m.Runs {
		l.New = false
		runs = append(runs, l)
	}
	return runs, true, nil
}

// markTriggered writes the version's marker once its runs are requested.
// A marker already there (a duplicated event) is fine.
func (c *Trigger) markTriggered(ctx context.Context, marker string, m TriggerMarker) error {
	if m.Digest == "" {
		if obj, err := c.Store.Head(ctx, m.Key); err == nil && (obj.ETag == m.Version || m.Version == "") {
			m.Digest, m.Size = obj.Digest, obj.Size
		}
	}
	m.TriggeredAt = c.now().UTC()
	if _, err := store.PutJSON(ctx, c.Store, marker, m, store.PutOptions{IfAbsent: true}); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("trigger: marker %s: %w", marker, err)
	}
	return nil
}

// snapshot copies the object at key, in the version whose ETag is etag
// ("" for any), to the execution's input folder (layout.InputPrefix) and
// returns it as the run's file input, with its digest: the run reads these
// bytes whatever happens to the drop folder meanwhile. errSuperseded when
// the object has another ETag now.
func (c *Trigger) snapshot(ctx context.Context, key, etag, exec, input string) (orchestrator.Literal, error) {
	rc, obj, err := c.Store.Get(ctx, key)
	if err != nil {
		return orchestrator.Literal{}, fmt.Errorf("trigger: read %s: %w", key, err)
	}
	defer rc.Close()
	if etag != "" && obj.ETag != etag {
		return orchestrator.Literal{}, errSuperseded
	}
	snap := layout.InputPrefix(exec, input) + "/" + path.Base(key)
	put, err := c.Store.Put(ctx, snap, rc, store.PutOptions{})
	if err != nil {
		return orchestrator.Literal{}, fmt.Errorf("trigger: snapshot of %s: %w", key, err)
	}
	return orchestrator.File(orchestrator.Blob{URI: c.Store.URI(snap), Digest: put.Digest, Size: put.Size}), nil
}
