package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/notify"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
)

// webhook is an httptest server that records the notifications it gets
// and answers status.
func webhook(t *testing.T, status int) (url string, got func() []notify.Message) {
	t.Helper()
	var mu sync.Mutex
	var msgs []notify.Message
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m notify.Message
		if json.NewDecoder(r.Body).Decode(&m) == nil {
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []notify.Message {
		mu.Lock()
		defer mu.Unlock()
		return append([]notify.Message(nil), msgs...)
	}
}

func TestNotifyRunWebhook(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", failSpec)
	url, got := webhook(t, http.StatusOK)
	r := s.run(t, "run", wf, "--json", "--quiet", "--notify", "webhook:"+url+"/failed",
		"--notify", "on=succeeded:webhook:"+url+"/succeeded").check(t, exitFailed)
	var res runResult
	require.NoError(t, json.Unmarshal([]byte(r.out), &res))
	msgs := got()
	require.Len(t, msgs, 1, "only the failed notification")
	m := msgs[0]
	assert.Equal(t, res.Execution, m.Execution)
	assert.Equal(t, "failed", m.Phase)
	assert.Equal(t, "fails", m.Workflow)
	assert.Contains(t, m.Error, `node "b" failed`)
	assert.Equal(t, "aloft executions get "+res.Execution, m.Link)
	assert.Contains(t, m.Text, res.Execution)
	assert.NotContains(t, r.err, "warning")
}

func TestNotifyRunUndeliverable(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", failSpec)
	url, got := webhook(t, http.StatusInternalServerError)
	r := s.run(t, "run", wf, "--json", "--quiet", "--notify", "webhook:"+url).check(t, exitFailed)
	require.Len(t, got(), 1, "delivery tried")
	var res runResult
	require.NoError(t, json.Unmarshal([]byte(r.out), &res), "the result is printed as ever")
	assert.Equal(t, "failed", res.Phase)
	assert.Contains(t, r.err, "warning: execution "+res.Execution+" failed: notification to webhook:"+url+" not delivered: webhook answered 500")
}

func TestNotifyBadTargets(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	wf := s.write(t, "wf.yaml", failSpec)
	for target, want := range map[string]string{
		"webhook:http://example.com/x": "must use https://",
		"pager:ops":                    `unknown kind "pager"`,
		"on=sucseeded:sns":             `unknown phase "sucseeded"`,
	} {
		r := s.run(t, "run", wf, "--notify", target).check(t, exitUsage)
		assert.Contains(t, r.err, want, target)
	}
	// In a launch plan, with the file and line.
	lp := s.write(t, "lp.yaml", failSpec+`---
apiVersion: aloft/v1
kind: LaunchPlan
name: nightly
workflow: fails
notifications:
  - {on: [failed], target: "webhook:http://example.com/hook"}
`)
	r := aloft(t, s.env, "validate", lp).check(t, exitUsage)
	assert.Regexp(t, `lp\.yaml:\d+:\d+: error: notification 0 of launch plan "nightly": notification target "webhook:http://example.com/hook": a webhook must use https://`, r.err+r.out)
}

func TestNotifyLaunchRequest(t *testing.T) {
	t.Parallel()
	s, st := launchSandbox(t)
	s.write(t, "words.txt", "one\n")
	s.run(t, "launch", "wc_daily", "--input", "text=words.txt", "--notify", "sns",
		"--notify", "on=succeeded:eventbridge").check(t, exitOK)
	req, err := registry.GetLaunchRequest(context.Background(), st, "rtest1")
	require.NoError(t, err)
	assert.Equal(t, []orchestrator.Notification{
		{On: []string{"failed", "aborted"}, Target: "sns"},
		{On: []string{"succeeded"}, Target: "eventbridge"},
	}, req.Notifications)
	r := s.run(t, "launch", "wc_daily", "--input", "text=words.txt", "--notify", "webhook:ftp://x")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.err, "must use https://")
}
