package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// attemptView is one attempt of a node (or map item).
type attemptView struct {
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

// nodeView is the answer of GET .../nodes/{node}.
type nodeView struct {
	nodeRow
	Item        int           `json:"item"` // -1: the node itself
	Inputs      []value       `json:"inputs,omitempty"`
	Outputs     []value       `json:"outputs,omitempty"`
	AttemptList []attemptView `json:"attempt_list"`
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
	wf := st.Compiled()
	name := r.PathValue("node")
	idx, ok := wf.NodeIndex(name)
	if !ok {
		httpError(w, fmt.Errorf("execution %s has no node %q: %w", ref.Exec, name, store.ErrNotFound))
		return
	}
	n, ns := &wf.Nodes[idx], &st.Nodes[idx]
	v := nodeView{nodeRow: row(wf, n, ns), Item: -1}
	q := r.URL.Query()
	if n.Kind == orchestrator.NodeMap {
		from, _ := strconv.Atoi(q.Get("items_from"))
		from = max(0, min(from, len(ns.Items)))
		to := min(len(ns.Items), from+500)
		v.ItemsFrom = from
		for i := from; i < to; i++ {
			v.ItemPhases = append(v.ItemPhases, ns.Items[i].Phase.String())
		}
		if it := q.Get("item"); it != "" {
			i, err := strconv.Atoi(it)
			if err != nil || i < 0 || i >= len(ns.Items) {
				httpError(w, badf("item %q: node %s has items 0 to %d", it, name, len(ns.Items)-1))
				return
			}
			v.Item, ns = i, &ns.Items[i]
			v.Phase, v.Start, v.End, v.Error, v.Attempts = ns.Phase.String(), ns.Start, ns.End, ns.Err, ns.Attempt
		}
	}
	outs := n.Outputs
	if t := wf.Tasks[n.Task]; t != nil && v.Item >= 0 {
		outs = t.Outputs
	}
	v.Outputs = s.values(outs, ns.Outputs)
	v.AttemptList = s.attempts(r.Context(), ref.Exec, name, v.Item, ns.Attempt, r.URL)
	if len(v.AttemptList) > 0 {
		if a, err := batchrunner.ReadAttempt(r.Context(), s.st, layout.AttemptPrefix(ref.Exec, name, v.Item, ns.Attempt)); err == nil {
			var params []orchestrator.Param
			if a.Task.Inputs != nil {
				params = a.Task.Inputs
			}
			v.Inputs = s.values(params, a.Inputs)
		}
	}
	writeJSON(w, v)
}

// attempts reads what each attempt left in data/: its times, result, and
// log tail.
func (s *Server) attempts(ctx context.Context, exec, node string, item, n int, u interface{ EscapedPath() string }) []attemptView {
	out := make([]attemptView, n)
	parallel(ctx, n, func(ctx context.Context, i int) {
		a := &out[i]
		a.Attempt = i + 1
		prefix := layout.AttemptPrefix(exec, node, item, a.Attempt)
		if o, err := s.st.Head(ctx, prefix+layout.InputsFile); err == nil {
			a.Queued = o.Modified.UnixMilli()
		}
		var claim batchrunner.ClaimRecord
		if _, err := store.GetJSON(ctx, s.st, prefix+layout.ClaimFile, &claim); err == nil {
			a.JobID, a.Started = claim.JobID, claim.ClaimedAt.UnixMilli()
		}
		outs, fail, err := batchrunner.ReadResult(ctx, s.st, prefix)
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
		if tail, ok := s.tail(ctx, prefix+layout.LogFile); ok {
			a.LogTail = tail
			a.LogHref = fmt.Sprintf("%s/log?item=%d&attempt=%d", u.EscapedPath(), item, a.Attempt)
		}
	})
	return out
}

// tail reads the end of a log.
func (s *Server) tail(ctx context.Context, key string) (string, bool) {
	rc, obj, err := s.st.Get(ctx, key)
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
