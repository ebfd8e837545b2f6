package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/notify"
	"github.com/aloft-run/aloft/orchestrator"
)

// failed is the state of an execution that failed.
func failed() *orchestrator.State {
	return &orchestrator.State{Exec: "e1", Project: "default", Domain: "development", Workflow: "train",
		LaunchPlan: "nightly", Phase: orchestrator.ExecFailed, Error: "node fit: exit status 1\nTraceback...",
		Ended: time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC).UnixMilli()}
}

// recorder is an httptest server that records every request's headers and
// body and answers with answer.
type recorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
	heads  []http.Header
	answer func(w http.ResponseWriter, body string)
}

func newRecorder(t *testing.T, answer func(w http.ResponseWriter, body string)) *recorder {
	r := &recorder{answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies, r.heads = append(r.bodies, string(b)), append(r.heads, req.Header.Clone())
		r.mu.Unlock()
		r.answer(w, string(b))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// awsConfig points the SDK's clients at a double.
func awsConfig(endpoint string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1}
}

func TestMessage(t *testing.T) {
	m := notify.NewMessage(failed(), "")
	assert.Equal(t, notify.Message{
		Text:      "aloft: execution e1 (launch plan nightly) failed: node fit: exit status 1 — aloft executions get e1",
		Execution: "e1", Project: "default", Domain: "development", Workflow: "train", LaunchPlan: "nightly",
		Phase: "failed", Error: "node fit: exit status 1\nTraceback...", Link: "aloft executions get e1",
		Ended: "2026-11-28T03:00:00Z",
	}, m)
	s := failed()
	s.Project, s.LaunchPlan, s.Error = "ml", "", strings.Repeat("x", 5000)
	m = notify.NewMessage(s, "https://console.example.com/")
	assert.Equal(t, "https://console.example.com/executions/ml/development/e1", m.Link)
	assert.Contains(t, m.Text, "(workflow train)")
	assert.Less(t, len(m.Error), 2100, "the error is summarized")
	m = notify.NewMessage(s, "")
	assert.Equal(t, "aloft executions get e1 --project ml --domain development", m.Link)
}

func TestWebhook(t *testing.T) {
	r := newRecorder(t, func(w http.ResponseWriter, _ string) {})
	s := &notify.Sender{}
	require.NoError(t, s.Notify(context.Background(), "webhook:"+r.srv.URL+"/hook", failed()))
	require.Len(t, r.bodies, 1)
	assert.Equal(t, "application/json", r.heads[0].Get("Content-Type"))
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.bodies[0]), &m))
	assert.Equal(t, "e1", m["execution"])
	assert.Equal(t, "failed", m["phase"])
	assert.Contains(t, m["text"], "aloft executions get e1", "Slack shows text")

	bad := newRecorder(t, func(w http.ResponseWriter, _ string) { http.Error(w, "boom", http.StatusInternalServerError) })
	err := s.Notify(context.Background(), "webhook:"+bad.srv.URL, failed())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "500")
	assert.Contains(t, err.Error(), "boom")

	err = s.Notify(context.Background(), "webhook:http://example.com/x", failed())
	assert.ErrorContains(t, err, "https://", "a target that does not validate is not sent")
}

func TestEventBridge(t *testing.T) {
	r := newRecorder(t, func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"FailedEntryCount":0,"Entries":[{"EventId":"ev-1"}]}`)
	})
	s := &notify.Sender{Events: eventbridge.NewFromConfig(awsConfig(r.srv.URL))}
	require.NoError(t, s.Notify(context.Background(), "eventbridge", failed()))
	require.Len(t, r.bodies, 1)
	assert.Equal(t, "AWSEvents.PutEvents", r.heads[0].Get("X-Amz-Target"))
	var in struct {
		Entries []struct {
			Source, DetailType, Detail, EventBusName string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.bodies[0]), &in))
	require.Len(t, in.Entries, 1)
	e := in.Entries[0]
	assert.Equal(t, "aloft", e.Source)
	assert.Equal(t, "aloft Execution Status Change", e.DetailType)
	assert.Empty(t, e.EventBusName, "the default bus")
	var d notify.Message
	require.NoError(t, json.Unmarshal([]byte(e.Detail), &d))
	assert.Equal(t, notify.NewMessage(failed(), ""), d)

	rejected := newRecorder(t, func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"AccessDeniedException","ErrorMessage":"not allowed"}]}`)
	})
	s.Events = eventbridge.NewFromConfig(awsConfig(rejected.srv.URL))
	assert.ErrorContains(t, s.Notify(context.Background(), "eventbridge", failed()), "AccessDeniedException: not allowed")
	s.Events = nil
	assert.ErrorContains(t, s.Notify(context.Background(), "eventbridge", failed()), "no AWS configuration")
}

// snsPublish answers Publish in SNS's Query protocol.
const snsPublish = `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>msg-1</MessageId></PublishResult>
  <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
</PublishResponse>`

func TestSNS(t *testing.T) {
	const arn = "arn:aws:sns:us-east-1:123456789012:aloft-notifications"
	r := newRecorder(t, func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, snsPublish)
	})
	cfg := awsConfig(r.srv.URL)
	s := notify.FromEnv(&cfg, func(k string) string {
		return map[string]string{notify.EnvTopicARN: arn}[k]
	})
	require.NoError(t, s.Notify(context.Background(), "sns", failed()))
	require.Len(t, r.bodies, 1)
	form, err := url.ParseQuery(r.bodies[0])
	require.NoError(t, err)
	assert.Equal(t, "Publish", form.Get("Action"))
	assert.Equal(t, arn, form.Get("TopicArn"))
	assert.Equal(t, "aloft: execution e1 failed", form.Get("Subject"))
	var m notify.Message
	require.NoError(t, json.Unmarshal([]byte(form.Get("Message")), &m))
	assert.Equal(t, "e1", m.Execution)
	assert.Equal(t, "failed", m.Phase)

	s.TopicARN = ""
	assert.ErrorContains(t, s.Notify(context.Background(), "sns", failed()), notify.EnvTopicARN)
}
