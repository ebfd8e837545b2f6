package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// IndexEntry is the content of an execution's index/ entry: the summary a
// listing shows, so a list never reads a state per row (Decision 34). It is
// written when the execution starts and rewritten when it ends.
type IndexEntry struct {
	Exec       string            `json:"execution"`
	Project    string            `json:"project"`
	Domain     string            `json:"domain"`
	Workflow   string            `json:"workflow"`
	LaunchPlan string            `json:"launch_plan,omitempty"`
	Cause      string            `json:"cause,omitempty"`
	Phase      string            `json:"phase"`
	Started    int64             `json:"started"` // unix ms; the execution's creation
	Ended      int64             `json:"ended,omitempty"`
	Error      string            `json:"error,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// DecodeIndexEntry reads an index entry's content. Entries written before
// entries carried a summary hold only the execution id: ok is false for
// them, and the caller falls back to the state.
func DecodeIndexEntry(b []byte) (e IndexEntry, ok bool) {
	if len(b) == 0 || b[0] != '{' {
		return IndexEntry{}, false
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Exec == "" {
		return IndexEntry{}, false
	}
	return e, true
}

// indexEntryOf summarises s; cause and labels come from the entry written
// at the start.
func indexEntryOf(s *orchestrator.State, cause string, labels map[string]string) IndexEntry {
	return IndexEntry{
		Exec: s.Exec, Project: s.Project, Domain: s.Domain, Workflow: s.Workflow,
		LaunchPlan: s.LaunchPlan, Cause: cause, Phase: s.Phase.String(),
		Started: s.Created, Ended: s.Ended, Error: s.Error, Labels: labels,
	}
}

func (e *Engine) putIndex(ctx context.Context, ie IndexEntry) error {
	key := IndexKey(ie.Project, ie.Domain, time.UnixMilli(ie.Started), ie.Exec)
	if _, err := store.PutJSON(ctx, e.cfg.Store, key, ie, store.PutOptions{}); err != nil {
		return fmt.Errorf("write index entry of %s: %w", ie.Exec, err)
	}
	return nil
}

// reindexEnded rewrites the index entry of an execution that ended, keeping
// the cause and labels of the entry written at its start. A failure is only
// a warning: the listing then shows the phase the entry had.
func (e *Engine) reindexEnded(ctx context.Context, s *orchestrator.State) {
	key := IndexKey(s.Project, s.Domain, time.UnixMilli(s.Created), s.Exec)
	var old IndexEntry
	b, _, err := store.ReadAll(ctx, e.cfg.Store, key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		e.warnf("read index entry of %s: %v", s.Exec, err)
	}
	if err == nil {
		old, _ = DecodeIndexEntry(b)
	}
	if err := e.putIndex(ctx, indexEntryOf(s, old.Cause, old.Labels)); err != nil {
		e.warnf("%v", err)
	}
}
