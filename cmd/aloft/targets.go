package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/aloft-run/aloft/deployment"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// checkTargets wraps prepare with a check that every task's target is one
// the store's deployment record offers (Decision 31). With no record (a
// local store, or a bucket before any deploy) every target is accepted and
// warn hears that none was checked.
func checkTargets(ctx context.Context, st store.Store, warn io.Writer, prepare func(context.Context, *orchestrator.Compiled) error) (func(context.Context, *orchestrator.Compiled) error, error) {
	rec, err := deployment.Read(ctx, st)
	if errors.Is(err, deployment.ErrNoRecord) {
		fmt.Fprintf(warn, "no deployment record in %s: task targets not checked\n", st.URI(""))
		return prepare, nil
	}
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, wf *orchestrator.Compiled) error {
		names := make([]string, 0, len(wf.Tasks))
		for name := range wf.Tasks {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if t := wf.Tasks[name].Target; t != "" {
				if err := rec.CheckTarget(t); err != nil {
					return fmt.Errorf("task %s: %w", name, err)
				}
			}
		}
		if prepare == nil {
			return nil
		}
		return prepare(ctx, wf)
	}, nil
}
