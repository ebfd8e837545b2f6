package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/store"
)

// Owner is the owner marker of an execution that one `aloft run` process
// drives (Decision 22): the process, and a heartbeat it renews every
// OwnerHeartbeat for stores that other machines read. Event-driven shells
// (the advance function, aloft dev) never adopt an owned execution.
type Owner struct {
	Process   batchrunner.ProcessID `json:"process"`
	Heartbeat time.Time             `json:"heartbeat"`
}

// Owner marker timings: how often the heartbeat is renewed, and how old it
// may grow before a reader on another machine takes the owner for gone.
const (
	OwnerHeartbeat = 30 * time.Second
	OwnerStale     = 2 * time.Minute
)

// ErrOwned is returned by Advance and Sweep for an execution that an
// `aloft run` process owns: they leave it alone.
var ErrOwned = errors.New("the execution belongs to an aloft run process (its owner marker is there)")

// OwnerKey is where an execution's owner marker lives.
func (r Ref) OwnerKey() string { return layout.OwnerKey(r.Project, r.Domain, r.Exec) }

// Own makes this process the owner of the execution (writing its marker
// now) and renews the heartbeat every `every` (default OwnerHeartbeat)
// until release is called. aloft run calls it for a new execution and on
// --resume, which takes ownership again.
func (e *Engine) Own(ctx context.Context, ref Ref, id batchrunner.ProcessID, every time.Duration) (release func(), err error) {
	if every <= 0 {
		every = OwnerHeartbeat
	}
	beat := func(ctx context.Context) error {
		_, err := store.PutJSON(ctx, e.cfg.Store, ref.OwnerKey(), Owner{Process: id, Heartbeat: e.cfg.Now().UTC()}, store.PutOptions{})
		return err
	}
	if err := beat(ctx); err != nil {
		return nil, fmt.Errorf("own execution %s: %w", ref.Exec, err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if err := beat(context.WithoutCancel(ctx)); err != nil {
					e.warnf("renew the owner marker of %s: %v", ref.Exec, err)
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(stop); wg.Wait() }) }, nil
}

// OwnerState says whether an owned execution's owner is gone.
type OwnerState struct {
	Owned bool   // it has an owner marker
	Gone  bool   // its owner is gone: the execution is interrupted
	Why   string // why it is taken for gone
}

// CheckOwner reads an execution's owner marker and judges its owner: on
// this machine (same boot id) by its process; elsewhere by its heartbeat,
// gone once older than OwnerStale.
func CheckOwner(ctx context.Context, st store.Store, ref Ref, proc batchrunner.ProcFS, now time.Time) (OwnerState, error) {
	var o Owner
	if _, err := store.GetJSON(ctx, st, ref.OwnerKey(), &o); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return OwnerState{}, nil
		}
		return OwnerState{}, fmt.Errorf("owner of %s: %w", ref.Exec, err)
	}
	if boot, err := proc.BootID(); err == nil && boot == o.Process.BootID {
		gone, why, err := proc.Gone(o.Process)
		if err == nil {
			return OwnerState{Owned: true, Gone: gone, Why: "its aloft run " + why}, nil
		}
	}
	if age := now.Sub(o.Heartbeat); age > OwnerStale {
		return OwnerState{Owned: true, Gone: true, Why: fmt.Sprintf("its aloft run's heartbeat is %s old", age.Round(time.Second))}, nil
	}
	return OwnerState{Owned: true}, nil
}

// owned reports whether an execution has an owner marker.
func (e *Engine) owned(ctx context.Context, ref Ref) (bool, error) {
	_, err := e.cfg.Store.Head(ctx, ref.OwnerKey())
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("owner of %s: %w", ref.Exec, err)
}
