package console

import (
	"context"
	"net/http"
	"net/url"
	"sort"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// Value is a typed value as the console shows it; files and directories in the
// store link to a download through the console.
type Value struct {
	Name   string `json:"name"`
	Type   string `json:"type,omitempty"`
	Text   string `json:"text"`
	Href   string `json:"href,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Digest string `json:"digest,omitempty"`
}

// nodeRow is one row of the node table (and one box of the graph).
type nodeRow struct {
	Name      string         `json:"name"`
	Kind      string         `json:"kind"` // task, map, select
	Task      string         `json:"task,omitempty"`
	Phase     string         `json:"phase"`
	Attempts  int            `json:"attempts"`
	Cached    bool           `json:"cached"`
	Start     int64          `json:"start,omitempty"`
	End       int64          `json:"end,omitempty"`
	Error     string         `json:"error,omitempty"`
	Resources string         `json:"resources,omitempty"`
	Target    string         `json:"target,omitempty"`
	Deps      []string       `json:"deps,omitempty"`
	Items     int            `json:"items,omitempty"`       // map nodes
	ItemCount map[string]int `json:"item_phases,omitempty"` // map nodes: items per phase
	// Times are the attempts' queued, started and ended times from the
	// state, three per attempt (orchestrator.NodeState.Times).
	Times []int64 `json:"times,omitempty"`
}

// execView is the answer of GET /api/executions/{project}/{domain}/{exec}.
type execView struct {
	engine.IndexEntry
	Outputs []Value   `json:"outputs,omitempty"`
	Inputs  []Value   `json:"inputs,omitempty"`
	Nodes   []nodeRow `json:"nodes"`
	Done    int       `json:"done"`
}

func refOf(r *http.Request) engine.Ref {
	return engine.Ref{Project: r.PathValue("project"), Domain: r.PathValue("domain"), Exec: r.PathValue("exec")}
}

func (s *Server) apiExecution(w http.ResponseWriter, r *http.Request) {
	st, err := s.eng.Load(r.Context(), refOf(r))
	if err != nil {
		httpError(w, err)
		return
	}
	v := execView{IndexEntry: s.header(r.Context(), &st), Done: st.Done}
	wf := st.Compiled()
	v.Inputs = values(s.st, wf.Inputs, st.Inputs)
	outs := make([]orchestrator.Param, len(wf.Outputs))
	for i, o := range wf.Outputs {
		outs[i] = orchestrator.Param{Name: o.Name, Type: o.Type}
	}
	v.Outputs = values(s.st, outs, st.Outputs)
	v.Nodes = make([]nodeRow, len(wf.Nodes))
	for i := range wf.Nodes {
		v.Nodes[i] = row(wf, &wf.Nodes[i], &st.Nodes[i])
	}
	writeJSON(w, v)
}

// header is the execution's summary: the state's, with the cause and labels
// its index entry keeps.
func (s *Server) header(ctx context.Context, st *orchestrator.State) engine.IndexEntry {
	h := engine.IndexEntry{Exec: st.Exec, Project: st.Project, Domain: st.Domain, Workflow: st.Workflow,
		LaunchPlan: st.LaunchPlan, Phase: st.Phase.String(), Started: st.Created, Ended: st.Ended, Error: st.Error}
	if e := s.readEntries(ctx, []string{engine.IndexKey(st.Project, st.Domain, msTime(st.Created), st.Exec)})[0]; e != nil {
		h.Cause, h.Labels = e.Cause, e.Labels
	}
	return h
}

var kindNames = map[orchestrator.NodeKind]string{orchestrator.NodeTask: "task", orchestrator.NodeMap: "map", orchestrator.NodeSelect: "select"}

func row(wf *orchestrator.Compiled, n *orchestrator.Node, ns *orchestrator.NodeState) nodeRow {
	r := nodeRow{Name: n.Name, Kind: kindNames[n.Kind], Task: n.Task, Phase: ns.Phase.String(), Attempts: ns.Attempt,
		Cached: ns.Phase == orchestrator.Cached, Start: ns.Start, End: ns.End, Error: ns.Err, Times: ns.Times}
	if t := wf.Tasks[n.Task]; t != nil {
		r.Resources = resources(t.Resources)
		r.Target = t.Target
	}
	for _, d := range n.Deps {
		r.Deps = append(r.Deps, wf.Nodes[d].Name)
	}
	if n.Kind == orchestrator.NodeMap {
		r.Items = len(ns.Items)
		r.ItemCount = map[string]int{}
		for i := range ns.Items {
			r.ItemCount[ns.Items[i].Phase.String()]++
			r.Attempts = max(r.Attempts, ns.Items[i].Attempt)
		}
	}
	return r
}

func resources(res orchestrator.Resources) string {
	out := ""
	add := func(s string) {
		if out != "" {
			out += ", "
		}
		out += s
	}
	if res.CPUMilli > 0 {
		add(formatCPU(res.CPUMilli) + " cpu")
	}
	if res.MemoryBytes > 0 {
		add(formatBytes(res.MemoryBytes) + " memory")
	}
	if res.GPU > 0 {
		add(itoa(int64(res.GPU)) + " gpu " + res.Accelerator)
	}
	return out
}

// values pairs declared parameters with their values, in declared order,
// then any undeclared ones by name.
func values(st store.Store, params []orchestrator.Param, vals map[string]orchestrator.Literal) []Value {
	var out []Value
	seen := map[string]bool{}
	for _, p := range params {
		if l, ok := vals[p.Name]; ok {
			out = append(out, value(st, p.Name, p.Type.String(), l))
			seen[p.Name] = true
		}
	}
	var rest []string
	for n := range vals {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range rest {
		out = append(out, value(st, n, "", vals[n]))
	}
	return out
}

func value(st store.Store, name, typ string, l orchestrator.Literal) Value {
	v := Value{Name: name, Type: typ, Text: l.Text()}
	if l.Blob != nil {
		v.Size, v.Digest = l.Blob.Size, l.Blob.Digest
		if _, ok := st.KeyOf(l.Blob.URI); ok && l.Kind == orchestrator.KindFile {
			v.Href = "/files?uri=" + url.QueryEscape(l.Blob.URI)
		}
	}
	return v
}
