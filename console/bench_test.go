package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/console"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// serveOnce times one GET through the handler.
func serveOnce(b *testing.B, h http.Handler, path string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	if w.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
	}
}

// render measures the page in headless chromium: each op navigates and
// waits until the script has drawn everything (data-ready).
func render(b *testing.B, url string) {
	ctx := browser(b)
	open(b, ctx, url) // start the browser, load the assets
	for b.Loop() {
		open(b, ctx, url)
	}
}

// BenchmarkList10k serves the first page of a listing of 10,000 executions
// from a local-disk store (their index entries), and reports the page's
// rendering time in chromium.
func BenchmarkList10k(b *testing.B) {
	bk := newBucket(b)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		start := t0.Add(time.Duration(i) * time.Minute)
		e := engine.IndexEntry{Exec: fmt.Sprintf("e%05d", i), Project: "default", Domain: "development", Workflow: "w",
			Phase: []string{"succeeded", "failed", "aborted"}[i%3], Started: start.UnixMilli(), Ended: start.Add(time.Second).UnixMilli(), Cause: "cli"}
		_, err := store.PutJSON(ctx, bk.st, engine.IndexKey(e.Project, e.Domain, start, e.Exec), e, store.PutOptions{})
		require.NoError(b, err)
	}
	s, err := console.New(bk.st, console.Options{})
	require.NoError(b, err)
	b.Run("serve", func(b *testing.B) {
		for b.Loop() {
			serveOnce(b, s, "/api/executions")
		}
	})
	b.Run("serve-filtered", func(b *testing.B) {
		for b.Loop() {
			serveOnce(b, s, "/api/executions?phase=aborted")
		}
	})
	b.Run("render", func(b *testing.B) { render(b, serve(b, bk, console.Options{})+"/") })
}

// BenchmarkMap10k serves the page of an execution with a 10,000-item map
// (a real run) and the map node's view, and reports the rendering time.
func BenchmarkMap10k(b *testing.B) {
	bk := newBucket(b)
	st := bk.run(b, "fan", "testdata/fan.yaml", "fan", map[string]orchestrator.Literal{"ns": ints(10_000)})
	require.Equal(b, orchestrator.ExecSucceeded, st.Phase, st.Error)
	s, err := console.New(bk.st, console.Options{})
	require.NoError(b, err)
	path := "/api/executions/default/development/" + st.Exec
	b.Run("serve-execution", func(b *testing.B) {
		for b.Loop() {
			serveOnce(b, s, path)
		}
	})
	b.Run("serve-map-node", func(b *testing.B) {
		for b.Loop() {
			serveOnce(b, s, path+"/nodes/each")
		}
	})
	b.Run("render", func(b *testing.B) {
		render(b, serve(b, bk, console.Options{})+"/executions/default/development/"+st.Exec)
	})
}
