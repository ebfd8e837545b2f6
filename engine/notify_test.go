package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/notify"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// hook is a webhook receiver that answers status (200 unless set).
type hook struct {
	mu     sync.Mutex
	got    []notify.Message
	status int
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m notify.Message
	err := json.NewDecoder(r.Body).Decode(&m)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.got = append(h.got, m)
	}
	if h.status != 0 {
		w.WriteHeader(h.status)
	}
}

func (h *hook) messages() []notify.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]notify.Message(nil), h.got...)
}

// notifyFixture is an event-driven engine with a webhook notifier, and an
// execution of a launch plan whose notifications name the webhook.
type notifyFixture struct {
	st    store.Store
	eng   *engine.Engine
	hook  *hook
	warns []string
	ref   engine.Ref
}

func newNotifyFixture(t *testing.T, status int) *notifyFixture {
	t.Helper()
	st, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	require.NoError(t, err)
	f := &notifyFixture{st: st, hook: &hook{status: status}}
	srv := httptest.NewServer(f.hook)
	t.Cleanup(srv.Close)
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: &queueDispatcher{},
		NewID:    func() string { return "n1" },
		Now:      func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) },
		Notifier: &notify.Sender{HTTP: srv.Client()},
		Warn:     func(msg string) { f.warns = append(f.warns, msg) },
	})
	require.NoError(t, err)
	f.eng = eng
	// The launch plan as a user writes it: its notifications go with the
	// execution it starts.
	fanin, err := os.ReadFile("testdata/fanin.yaml")
	require.NoError(t, err)
	spec := string(fanin) + fmt.Sprintf(`---
apiVersion: aloft/v1
kind: LaunchPlan
name: nightly
workflow: fanin
notifications:
  - {on: [failed, aborted], target: "webhook:%s/hook"}
  - {on: [succeeded], target: "webhook:%s/other"}
`, srv.URL, srv.URL)
	path := filepath.Join(t.TempDir(), "spec.yaml")
	require.NoError(t, os.WriteFile(path, []byte(spec), 0o644))
	s, err := orchestrator.ParseFiles(path)
	require.NoError(t, err)
	lp, err := s.ResolveLaunchPlan("nightly")
	require.NoError(t, err)
	wf, err := orchestrator.Compile(s, "fanin")
	require.NoError(t, err)
	ctx := context.Background()
	f.ref, err = eng.Start(ctx, wf, nil, engine.StartOptions{LaunchPlan: "nightly", Notifications: lp.Notifications, Swept: true})
	require.NoError(t, err)
	_, err = eng.Sweep(ctx, f.ref, nil)
	require.NoError(t, err)
	return f
}

// abort ends the execution aborted, as a cancel request does.
func (f *notifyFixture) abort(t *testing.T) {
	t.Helper()
	s, err := f.eng.Advance(context.Background(), f.ref, []engine.Signal{engine.CancelRequest{Reason: "stop"}})
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecAborted, s.Phase)
}

// crashed makes the store look as if the advance that saved the end died
// before acting on it: the sweep marker is back, and sweep re-issues the
// end's intentions.
func (f *notifyFixture) resweep(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	_, err := store.PutBytes(ctx, f.st, engine.LiveMarkerKey(f.ref), []byte(f.ref.Exec), store.PutOptions{})
	require.NoError(t, err)
	_, err = f.eng.Sweep(ctx, f.ref, nil)
	require.NoError(t, err)
}

func (f *notifyFixture) marker() string {
	return layout.NotifiedKey(f.ref.Project, f.ref.Domain, f.ref.Exec, "aborted")
}

func TestNotifyLaunchPlanWebhook(t *testing.T) {
	f := newNotifyFixture(t, 0)
	require.Empty(t, f.hook.messages(), "notified before the end")
	f.abort(t)
	got := f.hook.messages()
	require.Len(t, got, 1, "one notification: the aborted one, not the succeeded one")
	m := got[0]
	assert.Equal(t, "n1", m.Execution)
	assert.Equal(t, "aborted", m.Phase)
	assert.Equal(t, "fanin", m.Workflow)
	assert.Equal(t, "nightly", m.LaunchPlan)
	assert.Equal(t, "stop", m.Error)
	assert.Equal(t, "aloft executions get n1", m.Link)
	assert.Contains(t, m.Text, "n1")
	assert.Contains(t, m.Text, "aborted")
	_, err := f.st.Head(context.Background(), f.marker())
	assert.NoError(t, err, "the dedupe marker")
	assert.Empty(t, f.warns)
}

func TestNotifyDedupeAfterCrash(t *testing.T) {
	ctx := context.Background()
	f := newNotifyFixture(t, 0)
	f.abort(t)
	require.Len(t, f.hook.messages(), 1)
	// A crash after the delivery and before the marker: the re-issued
	// Notify sends once more and writes the marker.
	require.NoError(t, f.st.Delete(ctx, f.marker()))
	f.resweep(t)
	require.Len(t, f.hook.messages(), 2, "re-delivered once after the crash")
	// With the marker in place, no re-issue sends again.
	f.resweep(t)
	f.resweep(t)
	assert.Len(t, f.hook.messages(), 2, "sent again despite the marker")
}

func TestNotifyUndeliverableWarns(t *testing.T) {
	ctx := context.Background()
	f := newNotifyFixture(t, http.StatusInternalServerError)
	f.abort(t)
	require.Len(t, f.hook.messages(), 1, "delivery tried")
	s, err := f.eng.Load(ctx, f.ref)
	require.NoError(t, err)
	assert.Equal(t, orchestrator.ExecAborted, s.Phase, "the run's result is unchanged")
	assert.Equal(t, "stop", s.Error)
	require.Len(t, f.warns, 1)
	assert.Contains(t, f.warns[0], "notification to webhook:")
	assert.Contains(t, f.warns[0], "500")
	_, err = f.st.Head(ctx, f.marker())
	assert.ErrorIs(t, err, store.ErrNotFound, "marker of an undelivered notification")
	refs, err := f.eng.ActiveExecutions(ctx)
	require.NoError(t, err)
	assert.Empty(t, refs, "the execution still ended")
	assert.True(t, strings.Contains(f.warns[0], "n1"), "warning names the execution: %s", f.warns[0])
}
