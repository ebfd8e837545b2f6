package console

import (
	"context"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// listPage is the answer of GET /api/executions.
type listPage struct {
	Rows []engine.IndexEntry `json:"rows"`
	// Next is the cursor of the following page ("" on the last).
	Next string `json:"next,omitempty"`
}

// filter selects index entries; empty fields match everything.
type filter struct {
	project, domain, workflow, launchPlan, phase string
	since, until                                 int64 // unix ms, 0: open
}

func (f filter) match(e engine.IndexEntry) bool {
	return (f.workflow == "" || e.Workflow == f.workflow) &&
		(f.launchPlan == "" || e.LaunchPlan == f.launchPlan) &&
		(f.phase == "" || e.Phase == f.phase) &&
		(f.since == 0 || e.Started >= f.since) &&
		(f.until == 0 || e.Started < f.until)
}

const defaultPageSize = 50

func (s *Server) apiList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := filter{project: q.Get("project"), domain: q.Get("domain"), workflow: q.Get("workflow"),
		launchPlan: q.Get("launch_plan"), phase: q.Get("phase")}
	var err error
	if f.since, err = msParam(q.Get("since")); err == nil {
		f.until, err = msParam(q.Get("until"))
	}
	if err != nil {
		httpError(w, err)
		return
	}
	limit := defaultPageSize
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			httpError(w, badf("limit %q: want a number from 1 to 1000", v))
			return
		}
	}
	page, err := s.list(r.Context(), f, q.Get("after"), limit)
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, page)
}

func msParam(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badf("time %q: want unix milliseconds", v)
	}
	return n, nil
}

// list pages through index/ newest first: the keys sort by inverted start
// time, so one listing orders them and only the entries of the page (and,
// with filters, the ones skipped) are read. No state is read.
func (s *Server) list(ctx context.Context, f filter, after string, limit int) (listPage, error) {
	prefix := layout.IndexRoot
	if f.project != "" {
		prefix += f.project + "/"
		if f.domain != "" {
			prefix = layout.IndexPrefix(f.project, f.domain)
		}
	}
	objs, err := store.ListKeys(ctx, s.st, prefix)
	if err != nil {
		return listPage{}, err
	}
	keys := make([]string, 0, len(objs))
	for _, o := range objs {
		if _, d, _, ok := layout.ParseIndexKey(o.Key); ok && (f.domain == "" || d == f.domain) {
			keys = append(keys, o.Key)
		}
	}
	// Across projects and domains, newest first is the order of the names.
	sort.SliceStable(keys, func(i, j int) bool { return path.Base(keys[i]) < path.Base(keys[j]) })
	start := sort.Search(len(keys), func(i int) bool { return path.Base(keys[i]) > after })
	if after == "" {
		start = 0
	}
	var page listPage
	filtered := f != (filter{project: f.project, domain: f.domain})
	last := -1 // the last entry looked at
	for i := start; i < len(keys) && len(page.Rows) < limit; {
		n := limit - len(page.Rows)
		if filtered {
			n = max(n, 16) // read ahead: some will not match
		}
		n = min(n, len(keys)-i)
		for j, e := range s.readEntries(ctx, keys[i:i+n]) {
			if len(page.Rows) == limit {
				break
			}
			last = i + j
			if e != nil && f.match(*e) {
				page.Rows = append(page.Rows, *e)
			}
		}
		i += n
	}
	if len(page.Rows) == limit && last >= 0 && last < len(keys)-1 {
		page.Next = path.Base(keys[last])
	}
	return page, nil
}

// readEntries reads index entries; an entry without a summary (written by
// an older aloft) falls back to its state's header.
func (s *Server) readEntries(ctx context.Context, keys []string) []*engine.IndexEntry {
	out := make([]*engine.IndexEntry, len(keys))
	parallel(ctx, len(keys), func(ctx context.Context, i int) {
		b, _, err := store.ReadAll(ctx, s.st, keys[i])
		if err != nil {
			return
		}
		if e, ok := engine.DecodeIndexEntry(b); ok {
			out[i] = &e
			return
		}
		p, d, id, _ := layout.ParseIndexKey(keys[i])
		var st orchestrator.State
		if _, err := store.GetJSON(ctx, s.st, (engine.Ref{Project: p, Domain: d, Exec: strings.TrimSpace(id)}).StateKey(), &st); err != nil {
			return
		}
		out[i] = &engine.IndexEntry{Exec: id, Project: p, Domain: d, Workflow: st.Workflow, LaunchPlan: st.LaunchPlan,
			Phase: st.Phase.String(), Started: st.Created, Ended: st.Ended, Error: st.Error}
	})
	return out
}
