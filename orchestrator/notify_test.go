package orchestrator

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseNotifyTarget(t *testing.T) {
	for _, tc := range []struct {
		in, kind, url, err string
	}{
		{in: "webhook:https://hooks.slack.com/services/T/B/x", kind: "webhook", url: "https://hooks.slack.com/services/T/B/x"},
		{in: "webhook:http://127.0.0.1:8080/hook", kind: "webhook", url: "http://127.0.0.1:8080/hook"},
		{in: "eventbridge", kind: "eventbridge"},
		{in: "sns", kind: "sns"},
		{in: "webhook:http://example.com/hook", err: "must use https://"},
		{in: "webhook:", err: "want webhook:https://HOST/PATH"},
		{in: "webhook:https:///nohost", err: "want webhook:https://HOST/PATH"},
		{in: "sns:ops", err: "sns takes nothing after it"},
		{in: "mailto:ops@example.com", err: `unknown kind "mailto"`},
		{in: "", err: `unknown kind ""`},
	} {
		got, err := ParseNotifyTarget(tc.in)
		if tc.err != "" {
			require.Error(t, err, tc.in)
			assert.Contains(t, err.Error(), tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, NotifyTarget{Kind: tc.kind, URL: tc.url}, got, tc.in)
	}
}

func TestParseNotifyFlag(t *testing.T) {
	n, err := ParseNotifyFlag("sns")
	require.NoError(t, err)
	assert.Equal(t, Notification{On: []string{"failed", "aborted"}, Target: "sns"}, n)
	n, err = ParseNotifyFlag("on=succeeded,failed:webhook:https://h.example.com/x")
	require.NoError(t, err)
	assert.Equal(t, Notification{On: []string{"succeeded", "failed"}, Target: "webhook:https://h.example.com/x"}, n)
	assert.True(t, n.Wants(ExecSucceeded))
	assert.False(t, n.Wants(ExecAborted))
	for in, want := range map[string]string{
		"on=sucseeded:sns": `unknown phase "sucseeded"`,
		"on=failed":        "want on=PHASE,...:TARGET",
		"on=failed:pager":  `unknown kind "pager"`,
	} {
		_, err := ParseNotifyFlag(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
}
