package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/aloft-run/aloft/orchestrator"
)

// Event source and detail-type of the EventBridge notifications.
const (
	EventSource     = "aloft"
	EventDetailType = "aloft Execution Status Change"
)

// Environment variables a Sender reads (FromEnv).
const (
	EnvTopicARN   = "ALOFT_NOTIFY_TOPIC_ARN"
	EnvConsoleURL = "ALOFT_CONSOLE_URL"
)

// maxError is how much of an execution's error a message carries.
const maxError = 2000

// Message is what every target receives, as JSON.
type Message struct {
	Text       string `json:"text"` // one line for people (and Slack)
	Execution  string `json:"execution"`
	Project    string `json:"project"`
	Domain     string `json:"domain"`
	Workflow   string `json:"workflow"`
	LaunchPlan string `json:"launch_plan,omitempty"`
	Phase      string `json:"phase"`
	Error      string `json:"error,omitempty"`
	Link       string `json:"link"` // a console URL, or the command that shows the execution
	Ended      string `json:"ended,omitempty"`
}

// NewMessage describes the end of the execution s. With consoleURL the
// link points at the console's page of the execution, else it is the
// aloft command that shows it.
func NewMessage(s *orchestrator.State, consoleURL string) Message {
	m := Message{Execution: s.Exec, Project: s.Project, Domain: s.Domain, Workflow: s.Workflow,
		LaunchPlan: s.LaunchPlan, Phase: s.Phase.String(), Error: summary(s.Error)}
	if s.Ended != 0 {
		m.Ended = time.UnixMilli(s.Ended).UTC().Format(time.RFC3339)
	}
	if consoleURL != "" {
		m.Link = fmt.Sprintf("%s/executions/%s/%s/%s", strings.TrimRight(consoleURL, "/"), s.Project, s.Domain, s.Exec)
	} else {
		m.Link = "aloft executions get " + s.Exec
		if s.Project != "default" || s.Domain != "development" {
			m.Link += fmt.Sprintf(" --project %s --domain %s", s.Project, s.Domain)
		}
	}
	what := "workflow " + s.Workflow
	if s.LaunchPlan != "" {
		what = "launch plan " + s.LaunchPlan
	}
	m.Text = fmt.Sprintf("aloft: execution %s (%s) %s", s.Exec, what, m.Phase)
	if m.Error != "" {
		m.Text += ": " + firstLine(m.Error)
	}
	m.Text += " — " + m.Link
	return m
}

func summary(s string) string {
	if len(s) > maxError {
		return s[:maxError] + "…"
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// EventsAPI is the part of the EventBridge client a Sender uses.
type EventsAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// TopicAPI is the part of the SNS client a Sender uses.
type TopicAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Sender sends notifications; it implements engine.Notifier. A target
// whose client is missing is an error naming what to configure.
type Sender struct {
	HTTP       *http.Client // webhooks; nil uses a client with a 10 s timeout
	Events     EventsAPI    // eventbridge
	Topic      TopicAPI     // sns
	TopicARN   string       // sns
	ConsoleURL string       // the base of links; "" links the CLI command
}

// FromEnv returns a Sender whose AWS clients come from cfg (nil for a
// Sender of webhooks only) and whose topic and console URL come from
// ALOFT_NOTIFY_TOPIC_ARN and ALOFT_CONSOLE_URL.
func FromEnv(cfg *aws.Config, getenv func(string) string) *Sender {
	s := &Sender{TopicARN: getenv(EnvTopicARN), ConsoleURL: getenv(EnvConsoleURL)}
	if cfg != nil {
		s.Events, s.Topic = eventbridge.NewFromConfig(*cfg), sns.NewFromConfig(*cfg)
	}
	return s
}

// Notify sends the end of execution s to target.
func (s *Sender) Notify(ctx context.Context, target string, st *orchestrator.State) error {
	t, err := orchestrator.ParseNotifyTarget(target)
	if err != nil {
		return err
	}
	body, err := json.Marshal(NewMessage(st, s.ConsoleURL))
	if err != nil {
		return err
	}
	switch t.Kind {
	case orchestrator.TargetWebhook:
		return s.webhook(ctx, t.URL, body)
	case orchestrator.TargetEventBridge:
		return s.putEvent(ctx, body)
	default:
		return s.publish(ctx, st, body)
	}
}

func (s *Sender) webhook(ctx context.Context, url string, body []byte) error {
	c := s.HTTP
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("webhook answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

func (s *Sender) putEvent(ctx context.Context, body []byte) error {
	if s.Events == nil {
		return errors.New("eventbridge: no AWS configuration (set AWS credentials and region)")
	}
	out, err := s.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String(EventSource), DetailType: aws.String(EventDetailType), Detail: aws.String(string(body)),
	}}})
	if err != nil {
		return fmt.Errorf("eventbridge: %w", err)
	}
	if out.FailedEntryCount > 0 {
		for _, e := range out.Entries {
			if e.ErrorCode != nil {
				return fmt.Errorf("eventbridge: event rejected: %s: %s", aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
			}
		}
		return errors.New("eventbridge: event rejected")
	}
	return nil
}

func (s *Sender) publish(ctx context.Context, st *orchestrator.State, body []byte) error {
	if s.Topic == nil || s.TopicARN == "" {
		return fmt.Errorf("sns: no notification topic (set %s and the AWS configuration; the stack creates the topic)", EnvTopicARN)
	}
	subject := fmt.Sprintf("aloft: execution %s %s", st.Exec, st.Phase)
	if len(subject) > 100 { // SNS's limit
		subject = subject[:100]
	}
	_, err := s.Topic.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(s.TopicARN), Subject: aws.String(subject), Message: aws.String(string(body))})
	if err != nil {
		return fmt.Errorf("sns: %w", err)
	}
	return nil
}
