package localstack

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/notify"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// notifySpec is a one-task workflow; the test aborts its run before the
// task is dispatched anywhere.
const notifySpec = `apiVersion: aloft/v1
kind: Workflow
name: notified
tasks:
  t: {command: ["true"]}
nodes:
  a: {task: t}
`

// TestNotificationsThroughEventBridgeAndSNS: an execution that ended
// aborted, whose end the advance that saved it did not act on (its sweep
// marker is still there), is swept by the advance function: it sends its
// notifications to the default event bus and the notification topic,
// through the EventBridge and SNS doubles, once.
func TestNotificationsThroughEventBridgeAndSNS(t *testing.T) {
	s := need(t)
	if s.eb == nil || s.topic == nil {
		t.Skip("the EventBridge and SNS doubles run in peers mode only")
	}
	ctx := context.Background()
	spec, err := orchestrator.Parse("notified.yaml", []byte(notifySpec))
	require.NoError(t, err)
	wf, err := orchestrator.Compile(spec, "notified")
	require.NoError(t, err)
	eng, err := engine.New(engine.Config{Store: s.store})
	require.NoError(t, err)
	ref, err := eng.Start(ctx, wf, nil, engine.StartOptions{Project: project, Domain: domain, Swept: true,
		Notifications: []orchestrator.Notification{{On: []string{"aborted"}, Target: "eventbridge"}, {On: []string{"aborted", "failed"}, Target: "sns"}}})
	require.NoError(t, err)
	st, err := eng.Advance(ctx, ref, []engine.Signal{engine.CancelRequest{Reason: "stopped by the e2e test"}})
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecAborted, st.Phase)
	// This engine has no notifier: as if it crashed before acting on the end.
	_, err = store.PutBytes(ctx, s.store, engine.LiveMarkerKey(ref), []byte(ref.Exec), store.PutOptions{})
	require.NoError(t, err)

	sweep, err := os.ReadFile(filepath.Join(s.root, "functions", "testdata", "events", "sweep.json"))
	require.NoError(t, err)
	_, err = s.fns["sweep"].invoke(ctx, sweep)
	require.NoError(t, err)

	events := func() []notify.Message {
		var out []notify.Message
		for _, r := range s.eb.Requests("PutEvents") {
			var in struct {
				Entries []struct{ Source, DetailType, Detail string }
			}
			require.NoError(t, json.Unmarshal(r.Body, &in))
			for _, e := range in.Entries {
				var m notify.Message
				require.NoError(t, json.Unmarshal([]byte(e.Detail), &m))
				if m.Execution == ref.Exec {
					assert.Equal(t, notify.EventSource, e.Source)
					assert.Equal(t, notify.EventDetailType, e.DetailType)
					out = append(out, m)
				}
			}
		}
		return out
	}
	published := func() []notify.Message {
		var out []notify.Message
		for _, f := range s.topic.Published() {
			var m notify.Message
			require.NoError(t, json.Unmarshal([]byte(f.Get("Message")), &m))
			if m.Execution == ref.Exec {
				out = append(out, m)
			}
		}
		return out
	}
	ev, pub := events(), published()
	require.Len(t, ev, 1, "EventBridge events of %s", ref.Exec)
	require.Len(t, pub, 1, "SNS messages of %s", ref.Exec)
	for _, m := range []notify.Message{ev[0], pub[0]} {
		assert.Equal(t, "aborted", m.Phase)
		assert.Equal(t, "notified", m.Workflow)
		assert.Equal(t, "stopped by the e2e test", m.Error)
		assert.True(t, strings.HasPrefix(m.Link, "aloft executions get "+ref.Exec), m.Link)
	}
	// The marker is written and the sweep marker gone: later sweeps (the
	// router's own among them) send nothing more.
	_, err = s.store.Head(ctx, layout.NotifiedKey(project, domain, ref.Exec, "aborted"))
	assert.NoError(t, err, "the dedupe marker")
	_, err = store.PutBytes(ctx, s.store, engine.LiveMarkerKey(ref), []byte(ref.Exec), store.PutOptions{})
	require.NoError(t, err)
	_, err = s.fns["sweep"].invoke(ctx, sweep)
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond)
	assert.Len(t, events(), 1, "sent again despite the marker")
	assert.Len(t, published(), 1, "published again despite the marker")
}
