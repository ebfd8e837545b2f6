package functions

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Envelope is an EventBridge event as delivered to a target.
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Detail types and sources aloft reacts to.
const (
	SourceS3          = "aws.s3"
	SourceBatch       = "aws.batch"
	TypeObjectCreated = "Object Created"
	TypeObjectDeleted = "Object Deleted"
	TypeJobState      = "Batch Job State Change"
)

// S3Detail is the detail of an S3 "Object Created"/"Object Deleted" event.
type S3Detail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		Size      int64  `json:"size"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
	Reason string `json:"reason"`
}

// ParseEnvelope decodes an EventBridge event.
func ParseEnvelope(b []byte) (*Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("not an EventBridge event: %w", err)
	}
	if e.DetailType == "" || e.Source == "" {
		return nil, fmt.Errorf("not an EventBridge event: no source or detail-type")
	}
	return &e, nil
}

// S3 decodes the detail of an S3 event.
func (e *Envelope) S3() (*S3Detail, error) {
	if e.Source != SourceS3 {
		return nil, fmt.Errorf("event %s is from %s, not %s", e.ID, e.Source, SourceS3)
	}
	var d S3Detail
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		return nil, fmt.Errorf("event %s: S3 detail: %w", e.ID, err)
	}
	if d.Bucket.Name == "" || d.Object.Key == "" {
		return nil, fmt.Errorf("event %s: S3 detail without bucket or key", e.ID)
	}
	return &d, nil
}

// ObjectCreated makes the EventBridge event S3 sends for a new object, for
// shells that hear about writes another way (the directory store's
// notifications under `aloft dev`, versitygw's webhook in the end-to-end
// suite).
func ObjectCreated(bucket, key string, size int64, etag, versionID string, at time.Time) []byte {
	return objectEvent(TypeObjectCreated, "PutObject", bucket, key, size, etag, versionID, at)
}

// ObjectDeleted makes the EventBridge event S3 sends for a deleted object.
func ObjectDeleted(bucket, key string, at time.Time) []byte {
	return objectEvent(TypeObjectDeleted, "DeleteObject", bucket, key, 0, "", "", at)
}

func objectEvent(typ, reason, bucket, key string, size int64, etag, versionID string, at time.Time) []byte {
	var d S3Detail
	d.Bucket.Name = bucket
	d.Object.Key, d.Object.Size, d.Object.ETag, d.Object.VersionID = key, size, etag, versionID
	d.Reason = reason
	detail, _ := json.Marshal(d)
	b, _ := json.Marshal(Envelope{Version: "0", ID: fmt.Sprintf("local-%d", at.UnixNano()), DetailType: typ,
		Source: SourceS3, Time: at.UTC(), Resources: []string{"arn:aws:s3:::" + bucket}, Detail: detail})
	return b
}

// SQSEvent is the batch Lambda receives from SQS.
type SQSEvent struct {
	Records []SQSMessage `json:"Records"`
}

// SQSMessage is one message of an SQS batch.
type SQSMessage struct {
	MessageID      string            `json:"messageId"`
	ReceiptHandle  string            `json:"receiptHandle"`
	Body           string            `json:"body"`
	Attributes     map[string]string `json:"attributes"`
	EventSource    string            `json:"eventSource"`
	EventSourceARN string            `json:"eventSourceARN"`
}

// BatchResponse reports the messages of a batch that failed, so SQS
// redelivers only those (ReportBatchItemFailures).
type BatchResponse struct {
	BatchItemFailures []ItemFailure `json:"batchItemFailures"`
}

// ItemFailure names one failed message.
type ItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"`
}

// WakeMessage is the body of the delayed message advance sends itself when
// a retry's backoff ends.
type WakeMessage struct {
	Wake struct {
		Project string `json:"project"`
		Domain  string `json:"domain"`
		Exec    string `json:"execution"`
	} `json:"wake"`
}

// ScheduleInput is what a launch plan's schedule rule sends to trigger (its
// input transformer puts the event's time in).
type ScheduleInput struct {
	Schedule *struct {
		Project    string    `json:"project"`
		Domain     string    `json:"domain"`
		LaunchPlan string    `json:"launch_plan"`
		Time       time.Time `json:"time"`
	} `json:"schedule"`
}

// SweepInput is what the rate(1 minute) rule sends to advance.
type SweepInput struct {
	Sweep bool `json:"sweep"`
}

// S3Notification is an S3 event notification as S3 sends it to SQS, SNS,
// Lambda or a webhook (not through EventBridge).
type S3Notification struct {
	Event   string     `json:"Event"` // "s3:TestEvent" when a notification target is set up
	Records []S3Record `json:"Records"`
}

// S3Record is one record of an S3 event notification.
type S3Record struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	EventTime   string `json:"eventTime"`
	S3          struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string  `json:"key"` // URL-encoded, spaces as '+'
			Size      int64   `json:"size"`
			ETag      *string `json:"eTag"`
			VersionID *string `json:"versionId"`
			Sequencer string  `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// FromS3Notification converts the records of an S3 event notification
// into the EventBridge events S3 sends for the same writes, so that
// buckets whose notifications go straight to a queue or a webhook (S3 peers,
// LocalStack set up without EventBridge) drive the same handlers. Records
// other than object created or removed (and S3's test event) are left out;
// ok is false when body is not an S3 notification.
func FromS3Notification(body []byte) (events [][]byte, ok bool) {
	var n S3Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, false
	}
	if n.Event == "s3:TestEvent" {
		return nil, true // says only that the notifications reach their target
	}
	if n.Records == nil {
		return nil, false
	}
	for _, r := range n.Records {
		at, err := time.Parse(time.RFC3339Nano, r.EventTime)
		if err != nil {
			at = time.Now()
		}
		o := r.S3.Object
		key := o.Key
		if k, err := url.QueryUnescape(o.Key); err == nil {
			key = k
		}
		switch {
		case strings.HasPrefix(r.EventName, "s3:ObjectCreated:") || strings.HasPrefix(r.EventName, "ObjectCreated:"):
			etag, version := "", ""
			if o.ETag != nil {
				etag = strings.Trim(*o.ETag, `"`)
			}
			if o.VersionID != nil && *o.VersionID != "null" {
				version = *o.VersionID
			}
			events = append(events, ObjectCreated(r.S3.Bucket.Name, key, o.Size, etag, version, at))
		case strings.HasPrefix(r.EventName, "s3:ObjectRemoved:") || strings.HasPrefix(r.EventName, "ObjectRemoved:"):
			events = append(events, ObjectDeleted(r.S3.Bucket.Name, key, at))
		}
	}
	return events, true
}
