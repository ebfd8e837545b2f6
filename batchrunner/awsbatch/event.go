package awsbatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNotStateChange is wrapped by ParseStateChange's error for an event of
// another source or type (an S3 event in the same queue, say).
var ErrNotStateChange = errors.New("not a Batch Job State Change event")

// StateChange is an EventBridge "Batch Job State Change" event: the job's
// status at the moment AWS Batch sent it.
type StateChange struct {
	JobStatus
	EventID string
	Time    time.Time
}

// ParseStateChange decodes an EventBridge "Batch Job State Change" event
// (source aws.batch), as EventBridge delivers it and as SQS carries it in a
// message body.
func ParseStateChange(body []byte) (StateChange, error) {
	var ev struct {
		ID         string    `json:"id"`
		DetailType string    `json:"detail-type"`
		Source     string    `json:"source"`
		Time       time.Time `json:"time"`
		Detail     jobDetail `json:"detail"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return StateChange{}, fmt.Errorf("parse batch state change: %w", err)
	}
	if ev.Source != "aws.batch" || ev.DetailType != "Batch Job State Change" {
		return StateChange{}, fmt.Errorf("parse batch state change: source %q, detail-type %q: %w", ev.Source, ev.DetailType, ErrNotStateChange)
	}
	if ev.Detail.JobID == "" || ev.Detail.Status == "" {
		return StateChange{}, fmt.Errorf("parse batch state change %s: no detail.jobId or detail.status", ev.ID)
	}
	return StateChange{JobStatus: ev.Detail.status(), EventID: ev.ID, Time: ev.Time}, nil
}
