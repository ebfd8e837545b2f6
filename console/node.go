package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// Attempt is one attempt of a node (or map item).
type Attempt struct {
	Attempt  int    `json:"attempt"`
	JobID    string `json:"job_id,omitempty"`
	Queued   int64  `json:"queued,omitempty"` // unix ms: inputs.json written
	Started  int64  `json:"started,omitempty"`
	Ended    int64  `json:"ended,omitempty"`
	Error    string `json:"error,omitempty"`
	ExitCode *int   `json:"exit_code,omitempty"`
	LogTail  string `json:"log_tail,omitempty"`
	LogHref  string `json:"log_href,omitempty"`
}

// NodeDetail is a node (or one map item) with its inputs, outputs and
// attempts: the answer of GET .../nodes/{node}, and what aloft executions
// get --node shows.
type NodeDetail struct {
	nodeRow
	Item        int       `json:"item"` // -1: the node itself
	Inputs      []Value   `json:"inputs,omitempty"`
	Outputs     []Value   `json:"outputs,omitempty"`
	AttemptList []Attempt `json:"attempt_list"`
	// Map nodes: one page of items (phase per item), from ItemsFrom.
	ItemPhases []string `json:"item_list,omitempty"`
	ItemsFrom  int      `json:"items_from,omitempty"`
}

// logTail is how much of a log the node view shows.
const logTail = 8 << 10

func (s *Server) apiNode(w http.ResponseWriter, r *http.Request) {
	ref := refOf(r)
	st, err := s.eng.Load(r.Context(), ref)
	if err != nil {
		httpError(w, err)
		return
	}
	q := r.URL.Query()
	item := -1
	if it := q.Get("item"); it != "" {
		if item, err = strconv.Atoi(it); err != nil {
			httpError(w, badf("item %q: want a number", it))
			return
		}
	}
	from, _ := strconv.Atoi(q.Get("items_from"))
	v, err := describeNode(r.Context(), s.st, &st, r.PathValue("node"), item, from, r.URL.EscapedPath())
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, v)
}

// DescribeNode reads a node of an execution (item >= 0: one map item).
func DescribeNode(ctx context.Context, st store.Store, s *orchestrator.State, node string, item int) (*NodeDetail, error) {
	return describeNode(ctx, st, s, node, item, 0, "")
}

// describeNode builds the node view; hrefBase, if set, is the node's URL
// path that log links hang from.
func describeNode(ctx context.Context, st store.Store, s *orchestrator.State, name string, item, itemsFrom int, hrefBase string) (*NodeDetail, error) {
	wf := s.Compiled()
	idx, ok := wf.NodeIndex(name)
	if !ok {
		names := make([]string, len(wf.Nodes))
		for i, n := range wf.Nodes {
			names[i] = n.Name
		}
		return nil, fmt.Errorf("execution %s has no node %q (its nodes: %s): %w", s.Exec, name, strings.Join(names, ", "), store.ErrNotFound)
	}
	n, ns := &wf.Nodes[idx], &s.Nodes[idx]
	v := &NodeDetail{nodeRow: row(wf, n, ns), Item: -1}
	isMap := n.Kind == orchestrator.NodeMap
	switch {
	case !isMap && item >= 0:
		return nil, badf("node %s is not a map node: it has no item %d", name, item)
	case isMap:
		from := max(0, min(itemsFrom, len(ns.Items)))
		v.ItemsFrom = from
		for i := from; i < min(len(ns.Items), from+500); i++ {
			v.ItemPhases = append(v.ItemPhases, ns.Items[i].Phase.String())
		}
		if item >= len(ns.Items) {
			return nil, badf("item %d: node %s has items 0 to %d", item, name, len(ns.Items)-1)
		}
		if item >= 0 {
			v.Item, ns = item, &ns.Items[item]
			v.Phase, v.Start, v.End, v.Error, v.Attempts, v.Times = ns.Phase.String(), ns.Start, ns.End, ns.Err, ns.Attempt, ns.Times
		}
	}
	outs := n.Outputs
	if t := wf.Tasks[n.Task]; t != nil && v.Item >= 0 {
		outs = t.Outputs
	}
	v.Outputs = values(st, outs, ns.Outputs)
	v.AttemptList = attempts(ctx, st, s.Exec, name, v.Item, ns.Attempt, hrefBase)
	for i := range v.AttemptList {
		// The state's times where it has them (Decision 34), else what the
		// attempt's objects say.
		a := &v.AttemptList[i]
		for slot, t := range []*int64{&a.Queued, &a.Started, &a.Ended} {
			if st := ns.AttemptTime(a.Attempt, slot); st != 0 {
				*t = st
			}
		}
	}
	if len(v.AttemptList) > 0 {
		if a, err := batchrunner.ReadAttempt(ctx, st, layout.AttemptPrefix(s.Exec, name, v.Item, ns.Attempt)); err == nil {
			v.Inputs = values(st, a.Task.Inputs, a.Inputs)
		}
	}
	return v, nil
}

// attempts reads what each attempt left in data/: its times, result, and
// log tail.
func attempts(ctx context.Context, st store.Store, exec, node string, item, n int, hrefBase string) []Attempt {
	out := make([]Attempt, n)
	parallel(ctx, n, func(ctx context.Context, i int) {
		a := &out[i]
		a.Attempt = i + 1
		prefix := layout.AttemptPrefix(exec, node, item, a.Attempt)
		if o, err := st.Head(ctx, prefix+layout.InputsFile); err == nil {
			a.Queued = o.Modified.UnixMilli()
		}
		var claim batchrunner.ClaimRecord
		if _, err := store.GetJSON(ctx, st, prefix+layout.ClaimFile, &claim); err == nil {
			a.JobID, a.Started = claim.JobID, claim.ClaimedAt.UnixMilli()
		}
		outs, fail, err := batchrunner.ReadResult(ctx, st, prefix)
		switch {
		case err != nil:
		case fail != nil:
			a.Error, a.Ended, a.LogTail = fail.Error(), fail.Finished.UnixMilli(), fail.LogTail
			code := fail.ExitCode
			a.ExitCode = &code
			if !fail.Started.IsZero() {
				a.Started = fail.Started.UnixMilli()
			}
		case outs != nil:
			a.Ended = outs.Finished.UnixMilli()
			if !outs.Started.IsZero() {
				a.Started = outs.Started.UnixMilli()
			}
		}
		if tail, ok := readTail(ctx, st, prefix+layout.LogFile); ok {
			a.LogTail = tail
			if hrefBase != "" {
				a.LogHref = fmt.Sprintf("%s/log?item=%d&attempt=%d", hrefBase, item, a.Attempt)
			}
		}
	})
	return out
}

// tail reads the end of a log.
func readTail(ctx context.Context, st store.Store, key string) (string, bool) {
	rc, obj, err := st.Get(ctx, key)
	if err != nil {
		return "", false
	}
	defer rc.Close()
	if obj.Size > logTail {
		if _, err := io.CopyN(io.Discard, rc, obj.Size-logTail); err != nil {
			return "", false
		}
	}
	b, err := io.ReadAll(io.LimitReader(rc, logTail))
	return string(b), err == nil
}

// log serves an attempt's whole log.
func (s *Server) log(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	item, err1 := strconv.Atoi(q.Get("item"))
	attempt, err2 := strconv.Atoi(q.Get("attempt"))
	if err1 != nil || err2 != nil || attempt < 1 {
		httpError(w, badf("want ?item=I (-1 for a node that is not a map)&attempt=N (from 1)"))
		return
	}
	ref := refOf(r)
	key := layout.AttemptPrefix(ref.Exec, r.PathValue("node"), item, attempt) + layout.LogFile
	s.serveKey(w, r, key, "text/plain; charset=utf-8")
}

// file serves a file value of an execution through the console.
func (s *Server) file(w http.ResponseWriter, r *http.Request) {
	uri := r.URL.Query().Get("uri")
	key, ok := s.st.KeyOf(uri)
	if !ok {
		httpError(w, badf("%q is not an object of this store (%s)", uri, s.st.URI("")))
		return
	}
	if _, ok := layout.ParseExecDataKey(key); !ok {
		httpError(w, badf("%q is not an execution's data: the console serves only objects under data/", uri))
		return
	}
	s.serveKey(w, r, key, "")
}

func (s *Server) serveKey(w http.ResponseWriter, r *http.Request, key, ctype string) {
	rc, obj, err := s.st.Get(r.Context(), key)
	if err != nil {
		httpError(w, err)
		return
	}
	defer rc.Close()
	if ctype == "" {
		ctype = "application/octet-stream"
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", baseName(key)))
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.FormatInt(obj.Size, 10))
	if obj.Digest != "" {
		w.Header().Set("X-Aloft-Digest", obj.Digest)
	}
	if _, err := io.Copy(w, rc); err != nil && !errors.Is(err, context.Canceled) {
		return // the client went away or the store failed mid-stream: nothing more to say
	}
}
