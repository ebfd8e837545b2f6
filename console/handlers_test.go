package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/console"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
)

var (
	sharedOnce   sync.Once
	sharedBucket *bucket
)

// shared is one bucket for the handler tests, filled once: the hello
// example, a failed run, a 1,000-item map, a running execution, and the
// diabetes spec registered (its workflow and launch plan).
func shared(t *testing.T) *bucket {
	sharedOnce.Do(func() {
		b := newBucketIn(t, filepath.Join(sharedDir, "handlers"))
		s := b.run(t, "hello", "../examples/hello/workflow.yaml", "hello", nil)
		require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
		s = b.run(t, "fails", "testdata/fails.yaml", "fails", nil)
		require.Equal(t, orchestrator.ExecFailed, s.Phase)
		s = b.run(t, "fan", "testdata/fan.yaml", "fan", map[string]orchestrator.Literal{"ns": ints(1000)})
		require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
		// Started and never driven: it stays running.
		b.start(t, "running", "testdata/slow.yaml", "slow", nil, engine.StartOptions{Cause: "schedule 2026-12-01T03:00:00Z", LaunchPlan: "slow_nightly"})
		spec, err := orchestrator.ParseFiles("../examples/diabetes/workflow.yaml")
		require.NoError(t, err)
		_, err = registry.Register(context.Background(), b.st, spec, registry.RegisterOptions{Project: "default", Domain: "development", Version: "v1", Activate: true, Now: time.Now()})
		require.NoError(t, err)
		sharedBucket = b
	})
	require.NotNil(t, sharedBucket, "the shared bucket could not be filled (see the first test's failure)")
	return sharedBucket
}

type client struct {
	t   *testing.T
	srv http.Handler
}

func newClient(t *testing.T, b *bucket, opt console.Options) *client {
	s, err := console.New(b.st, opt)
	require.NoError(t, err)
	return &client{t: t, srv: s}
}

func (c *client) do(method, path string, hdr map[string]string) *httptest.ResponseRecorder {
	c.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if method == http.MethodPost {
		req.Header.Set("X-Aloft-Console", "1")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	c.srv.ServeHTTP(w, req)
	return w
}

// get fetches a JSON route into v and checks the status.
func (c *client) get(path string, v any) {
	c.t.Helper()
	w := c.do(http.MethodGet, path, nil)
	require.Equal(c.t, http.StatusOK, w.Code, "GET %s: %s", path, w.Body)
	require.NoError(c.t, json.Unmarshal(w.Body.Bytes(), v), "GET %s", path)
}

type listAnswer struct {
	Rows []engine.IndexEntry `json:"rows"`
	Next string              `json:"next"`
}

func execs(rows []engine.IndexEntry) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Exec
	}
	return out
}

func TestListNewestFirstFromIndexSummaries(t *testing.T) {
	b := shared(t)
	c := newClient(t, b, console.Options{})
	var all listAnswer
	c.get("/api/executions", &all)
	want := []string{b.runs["running"].Exec, b.runs["fan"].Exec, b.runs["fails"].Exec, b.runs["hello"].Exec}
	require.Equal(t, want, execs(all.Rows), "newest first")
	assert.Empty(t, all.Next)
	byExec := map[string]engine.IndexEntry{}
	for _, r := range all.Rows {
		byExec[r.Exec] = r
	}
	assert.Equal(t, "failed", byExec[b.runs["fails"].Exec].Phase)
	assert.Equal(t, "succeeded", byExec[b.runs["hello"].Exec].Phase)
	assert.NotZero(t, byExec[b.runs["hello"].Exec].Ended)
	assert.Equal(t, "cli", byExec[b.runs["hello"].Exec].Cause)
	r := byExec[b.runs["running"].Exec]
	assert.Equal(t, []string{"running", "slow", "slow_nightly", "schedule 2026-12-01T03:00:00Z"}, []string{r.Phase, r.Workflow, r.LaunchPlan, r.Cause})

	for q, want := range map[string][]string{
		"phase=failed":             {b.runs["fails"].Exec},
		"workflow=hello":           {b.runs["hello"].Exec},
		"launch_plan=slow_nightly": {b.runs["running"].Exec},
		"project=default&domain=development&phase=succeeded": {b.runs["fan"].Exec, b.runs["hello"].Exec},
		"project=other": {},
		"since=" + itoa(byExec[b.runs["fan"].Exec].Started): {b.runs["running"].Exec, b.runs["fan"].Exec},
	} {
		var got listAnswer
		c.get("/api/executions?"+q, &got)
		assert.Equal(t, want, append([]string{}, execs(got.Rows)...), q)
	}

	// Pages of two, through the cursor.
	var p1, p2 listAnswer
	c.get("/api/executions?limit=2", &p1)
	require.Equal(t, want[:2], execs(p1.Rows))
	require.NotEmpty(t, p1.Next)
	c.get("/api/executions?limit=2&after="+url.QueryEscape(p1.Next), &p2)
	assert.Equal(t, want[2:], execs(p2.Rows))
	assert.Empty(t, p2.Next, "the last page has no cursor")

	for _, q := range []string{"limit=0", "limit=x", "since=yesterday"} {
		assert.Equal(t, http.StatusBadRequest, c.do(http.MethodGet, "/api/executions?"+q, nil).Code, q)
	}
}

// An index entry is all a listing reads: an entry whose execution has no
// state at all is listed from its summary.
func TestListReadsNoState(t *testing.T) {
	b := newBucket(t)
	e := engine.IndexEntry{Exec: "ghost", Project: "p", Domain: "d", Workflow: "w", Phase: "succeeded", Started: 1_000, Ended: 3_000, Cause: "trigger s3://b/incoming/x.csv"}
	_, err := store.PutJSON(context.Background(), b.st, engine.IndexKey("p", "d", time.UnixMilli(1_000), "ghost"), e, store.PutOptions{})
	require.NoError(t, err)
	var got listAnswer
	newClient(t, b, console.Options{}).get("/api/executions", &got)
	assert.Equal(t, []engine.IndexEntry{e}, got.Rows)
}

type value struct {
	Name, Type, Text, Href, Digest string
	Size                           int64
}

type nodeRow struct {
	Name, Kind, Phase, Error, Resources string
	Attempts                            int
	Cached                              bool
	Start, End                          int64
	Deps                                []string
	Times                               []int64
	Items                               int
	ItemPhases                          map[string]int `json:"item_phases"`
}

type execAnswer struct {
	engine.IndexEntry
	Inputs, Outputs []value
	Nodes           []nodeRow
}

type attempt struct {
	Attempt                int
	Queued, Started, Ended int64
	Error                  string
	LogTail                string `json:"log_tail"`
	LogHref                string `json:"log_href"`
}

type nodeAnswer struct {
	nodeRow
	Item            int
	Inputs, Outputs []value
	AttemptList     []attempt `json:"attempt_list"`
	ItemList        []string  `json:"item_list"`
}

func TestExecutionAndFiles(t *testing.T) {
	b := shared(t)
	c := newClient(t, b, console.Options{})
	ref := b.runs["hello"]
	var e execAnswer
	c.get("/api/executions/default/development/"+ref.Exec, &e)
	assert.Equal(t, "succeeded", e.Phase)
	assert.Equal(t, "cli", e.Cause, "the header carries the index entry's cause")
	require.Len(t, e.Nodes, 3)
	assert.Equal(t, []string{"greet", "loud", "count_words"}, []string{e.Nodes[0].Name, e.Nodes[1].Name, e.Nodes[2].Name})
	assert.Equal(t, []string{"loud"}, e.Nodes[2].Deps)
	assert.Equal(t, "100m cpu, 64 MiB memory", e.Nodes[0].Resources)
	assert.Equal(t, 1, e.Nodes[0].Attempts)
	assert.NotZero(t, e.Nodes[0].End)
	tm := e.Nodes[0].Times
	require.Len(t, tm, 3, "one attempt's queued, started and ended times from the state")
	assert.True(t, tm[0] > 0 && tm[2] >= tm[0] && (tm[1] == 0 || tm[1] >= tm[0] && tm[1] <= tm[2]), "times %v", tm)
	var shout value
	for _, v := range e.Outputs {
		if v.Name == "shout" {
			shout = v
		}
	}
	require.NotEmpty(t, shout.Href, "a file output links to a download: %+v", e.Outputs)
	assert.Equal(t, int64(len("HELLO, WORLD\n")), shout.Size)
	assert.True(t, strings.HasPrefix(shout.Digest, "sha256:"))
	w := c.do(http.MethodGet, shout.Href, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "HELLO, WORLD\n", w.Body.String())
	assert.Contains(t, w.Header().Get("Content-Disposition"), "attachment")

	// Only execution data is served, only from this store.
	for _, u := range []string{b.st.URI(layout.StateKey("default", "development", ref.Exec)), "s3://elsewhere/data/x/y", "file:///etc/passwd"} {
		assert.Equal(t, http.StatusBadRequest, c.do(http.MethodGet, "/files?uri="+url.QueryEscape(u), nil).Code, u)
	}
	assert.Equal(t, http.StatusNotFound, c.do(http.MethodGet, "/api/executions/default/development/nope", nil).Code)
}

func TestNodeAttemptsAndLog(t *testing.T) {
	b := shared(t)
	c := newClient(t, b, console.Options{})
	var n nodeAnswer
	c.get("/api/executions/default/development/"+b.runs["hello"].Exec+"/nodes/greet", &n)
	assert.Equal(t, "succeeded", n.Phase)
	require.Len(t, n.Inputs, 1)
	assert.Equal(t, value{Name: "name", Type: "string", Text: "world"}, n.Inputs[0])
	require.Len(t, n.AttemptList, 1)
	a := n.AttemptList[0]
	assert.True(t, a.Queued > 0 && a.Started >= a.Queued-1000 && a.Ended >= a.Started, "attempt times %+v", a)

	var f nodeAnswer
	c.get("/api/executions/default/development/"+b.runs["fails"].Exec+"/nodes/boom", &f)
	assert.Equal(t, "failed", f.Phase)
	require.NotEmpty(t, f.AttemptList)
	last := f.AttemptList[len(f.AttemptList)-1]
	assert.Contains(t, last.Error, "exit")
	assert.Contains(t, last.LogTail, "about to fail")
	require.NotEmpty(t, last.LogHref)
	w := c.do(http.MethodGet, last.LogHref, nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), "about to fail")
	assert.Equal(t, http.StatusBadRequest, c.do(http.MethodGet, "/api/executions/default/development/"+b.runs["fails"].Exec+"/nodes/boom/log", nil).Code)
	assert.Equal(t, http.StatusNotFound, c.do(http.MethodGet, "/api/executions/default/development/"+b.runs["fails"].Exec+"/nodes/nope", nil).Code)
}

func TestMapItemsCollapsed(t *testing.T) {
	b := shared(t)
	c := newClient(t, b, console.Options{})
	var e execAnswer
	c.get("/api/executions/default/development/"+b.runs["fan"].Exec, &e)
	require.Len(t, e.Nodes, 1)
	assert.Equal(t, "map", e.Nodes[0].Kind)
	assert.Equal(t, 1000, e.Nodes[0].Items)
	assert.Equal(t, map[string]int{"succeeded": 1000}, e.Nodes[0].ItemPhases)

	var n nodeAnswer
	c.get("/api/executions/default/development/"+b.runs["fan"].Exec+"/nodes/each", &n)
	assert.Len(t, n.ItemList, 500, "one page of items")
	assert.Empty(t, n.AttemptList, "the map node itself ran no attempt")
	var it nodeAnswer
	c.get("/api/executions/default/development/"+b.runs["fan"].Exec+"/nodes/each?item=7", &it)
	assert.Equal(t, 7, it.Item)
	require.Len(t, it.Outputs, 1)
	assert.Equal(t, "7", it.Outputs[0].Text)
	require.Len(t, it.AttemptList, 1)
	assert.Equal(t, http.StatusBadRequest, c.do(http.MethodGet, "/api/executions/default/development/"+b.runs["fan"].Exec+"/nodes/each?item=1000", nil).Code)
}

func TestActionsWriteRequests(t *testing.T) {
	b := shared(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	c := newClient(t, b, console.Options{Now: func() time.Time { return now }, NewID: func() string { return "r" + itoa(now.UnixMilli()) }})
	ctx := context.Background()
	base := "/api/executions/default/development/"

	w := c.do(http.MethodPost, base+b.runs["running"].Exec+"/terminate", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	cr, err := registry.GetCancelRequest(ctx, b.st, b.runs["running"].Exec)
	require.NoError(t, err)
	assert.Equal(t, "development", cr.Domain)
	assert.Equal(t, now, cr.RequestedAt)

	w = c.do(http.MethodPost, base+b.runs["hello"].Exec+"/terminate", nil)
	assert.Equal(t, http.StatusBadRequest, w.Code, "an ended execution cannot be terminated")
	assert.Contains(t, w.Body.String(), "already succeeded")

	w = c.do(http.MethodPost, base+b.runs["hello"].Exec+"/relaunch", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	// The request the control plane consumes (registry.AgainRequest).
	var rr registry.AgainRequest
	_, err = store.GetJSON(ctx, b.st, layout.RelaunchRequestKey("r"+itoa(now.UnixMilli())), &rr)
	require.NoError(t, err)
	assert.Equal(t, b.runs["hello"].Exec, rr.From)
	assert.Equal(t, layout.RequestRelaunch, rr.Kind)

	assert.Equal(t, http.StatusBadRequest, c.do(http.MethodPost, base+b.runs["hello"].Exec+"/recover", nil).Code, "a succeeded run has nothing to recover")
	now = now.Add(time.Second)
	w = c.do(http.MethodPost, base+b.runs["fails"].Exec+"/recover", nil)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	_, err = b.st.Head(ctx, layout.RecoverRequestKey("r"+itoa(now.UnixMilli())))
	assert.NoError(t, err)

	assert.Equal(t, http.StatusBadRequest, c.do(http.MethodPost, base+b.runs["hello"].Exec+"/explode", nil).Code)
	req := httptest.NewRequest(http.MethodPost, base+b.runs["hello"].Exec+"/relaunch", nil)
	rec := httptest.NewRecorder()
	c.srv.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code, "a post without the console's header (a cross-site form) is refused")
}

func TestRegistryPages(t *testing.T) {
	b := shared(t)
	c := newClient(t, b, console.Options{})
	var wfs []console.WorkflowSummary
	c.get("/api/workflows", &wfs)
	require.Len(t, wfs, 1)
	assert.Equal(t, console.WorkflowSummary{Project: "default", Domain: "development", Name: "diabetes_xgboost_model", Versions: []string{"v1"}}, wfs[0])

	type plan struct{ Name, Active string }
	plans := func() (out []plan) {
		c.get("/api/launchplans", &out)
		return out
	}
	require.Equal(t, []plan{{"diabetes_nightly", "v1"}}, plans())
	p := "/api/launchplans/default/development/diabetes_nightly/"
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, p+"deactivate", nil).Code)
	assert.Equal(t, []plan{{"diabetes_nightly", ""}}, plans())
	assert.Equal(t, http.StatusBadRequest, c.do(http.MethodPost, p+"activate", nil).Code, "no version")
	assert.Equal(t, http.StatusBadRequest, c.do(http.MethodPost, p+"activate?version=v9", nil).Code, "not registered")
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, p+"activate?version=v1", nil).Code)
	assert.Equal(t, []plan{{"diabetes_nightly", "v1"}}, plans())
}

func TestPagesAndAssets(t *testing.T) {
	b := newBucket(t)
	c := newClient(t, b, console.Options{})
	for _, p := range []string{"/", "/executions/default/development/x1", "/launchplans", "/workflows"} {
		w := c.do(http.MethodGet, p, nil)
		require.Equal(t, http.StatusOK, w.Code, p)
		assert.Contains(t, w.Body.String(), `<script src="/assets/app.js"`, p)
		assert.NotContains(t, w.Body.String(), "https://", "%s: no CDN, everything is embedded", p)
	}
	for _, a := range []string{"/assets/app.js", "/assets/dagre.min.js", "/assets/style.css"} {
		w := c.do(http.MethodGet, a, nil)
		require.Equal(t, http.StatusOK, w.Code, a)
		assert.Greater(t, w.Body.Len(), 500, a)
	}
}

func TestTokenGuardsEveryRequest(t *testing.T) {
	b := newBucket(t)
	c := newClient(t, b, console.Options{Token: "s3cret"})
	for _, p := range []string{"/", "/api/executions", "/assets/app.js", "/files?uri=x"} {
		assert.Equal(t, http.StatusUnauthorized, c.do(http.MethodGet, p, nil).Code, p)
		assert.Equal(t, http.StatusUnauthorized, c.do(http.MethodGet, p, map[string]string{"Authorization": "Bearer wrong"}).Code, p)
	}
	assert.Equal(t, http.StatusUnauthorized, c.do(http.MethodPost, "/api/executions/p/d/e/terminate", nil).Code)
	assert.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/executions", map[string]string{"Authorization": "Bearer s3cret"}).Code)
	w := c.do(http.MethodGet, "/?token=s3cret", nil)
	require.Equal(t, http.StatusOK, w.Code)
	cookie := w.Result().Cookies()
	require.Len(t, cookie, 1, "the token in the URL sets a cookie")
	assert.True(t, cookie[0].HttpOnly)
	assert.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/executions", map[string]string{"Cookie": cookie[0].Name + "=" + cookie[0].Value}).Code)
	body, _ := io.ReadAll(c.do(http.MethodGet, "/", nil).Body)
	assert.Contains(t, string(body), "token")
}

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true},
		{"localhost:8080", "", true},
		{"[::1]:8080", "", true},
		{"0.0.0.0:8080", "", false},
		{"192.168.1.5:8080", "", false},
		{":8080", "", false},
		{"0.0.0.0:8080", "t", true},
		{"8080", "", false},
	} {
		err := console.CheckAddr(tc.addr, tc.token)
		assert.Equal(t, tc.ok, err == nil, "%s token %q: %v", tc.addr, tc.token, err)
	}
	assert.ErrorContains(t, console.CheckAddr("0.0.0.0:1", ""), "--token")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
