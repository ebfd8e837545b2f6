package localstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/aloft-run/aloft/functions"
)

// deliveries is how many times the router delivers each event: every S3
// event and every Batch event arrives twice, as at-least-once delivery
// allows, and the control plane must not care.
const deliveries = 2

// router stands in for what AWS does between the pieces: EventBridge (it
// turns versitygw's webhook records into S3 "Object Created"/"Object
// Deleted" events, matches them and the Batch double's state changes
// against the stack's rule patterns, and invokes trigger and registrar or
// sends to the advance queue), the Lambda SQS event source mapping (it
// receives up to 10 messages, invokes advance with them and deletes those
// not reported failed; the others come back after the visibility timeout),
// and the rate(1 minute) sweep rule (every few seconds here).
//
// Under LocalStack, EventBridge is real: S3 events reach the advance queue,
// and the trigger, registrar and uploads queues that stand in for the
// Lambda targets, without the router; it still routes the Batch double's
// events and drains those queues.
type router struct {
	log      *flowLog
	bucket   string
	patterns functions.Patterns
	uploads  map[string]any // outputs uploaded by runners (data/*/outputs/*), counted
	sqs      *sqs.Client
	queueURL string
	queueARN string

	advance, sweeper   *lambdaFn
	trigger, registrar *asyncTarget

	records chan []byte

	mu           sync.Mutex
	uploadCounts map[string]int // key -> Object Created events seen
	batchSent    int            // Batch events sent to the queue
	batchEvents  int            // Batch events the double emitted
	advanceCalls int
	sweeps       int
	failures     []string // what went wrong in the machinery (not in the functions)
}

func newRouter(log *flowLog, bucket string, patterns functions.Patterns, client *sqs.Client, queueURL string) *router {
	return &router{
		log: log, bucket: bucket, patterns: patterns, uploads: uploadsPattern(bucket),
		sqs: client, queueURL: queueURL, queueARN: "arn:aws:sqs:us-east-1:123456789012:aloft-advance",
		records: make(chan []byte, 100000), uploadCounts: map[string]int{},
	}
}

// uploadsPattern matches the outputs a runner uploads: each is written once
// per attempt that ran its task, so a key created twice is an attempt run
// twice. (Not a rule of the stack: the suite's own.)
func uploadsPattern(bucket string) map[string]any {
	return map[string]any{
		"source":      []any{functions.SourceS3},
		"detail-type": []any{functions.TypeObjectCreated},
		"detail": map[string]any{
			"bucket": map[string]any{"name": []any{bucket}},
			"object": map[string]any{"key": []any{map[string]any{"wildcard": "data/*/outputs/*"}}},
		},
	}
}

func (r *router) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.log.printf("ROUTER FAILURE %s", msg)
	r.mu.Lock()
	r.failures = append(r.failures, msg)
	r.mu.Unlock()
}

// ServeHTTP receives versitygw's webhook posts (S3 event notifications).
// It answers at once (the gateway gives up after 3 s) and routes the
// records, as the EventBridge events S3 sends for them, on another
// goroutine.
func (r *router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	events, ok := functions.FromS3Notification(body)
	if !ok {
		r.fail("webhook: not an S3 notification: %s", body)
		http.Error(w, "not an S3 notification", http.StatusBadRequest)
		return
	}
	for _, ev := range events {
		r.records <- ev
	}
	w.WriteHeader(http.StatusOK)
}

// routeRecords routes webhook records until ctx ends.
func (r *router) routeRecords(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case event := <-r.records:
			r.countUpload(event)
			for range deliveries {
				r.route(ctx, event, keyOf(event))
			}
		}
	}
}

// countUpload counts an event that matches uploadsPattern.
func (r *router) countUpload(event []byte) {
	ok, err := matches(r.uploads, event)
	if err != nil {
		r.fail("uploads pattern: %v", err)
	}
	if !ok {
		return
	}
	var e struct {
		Detail functions.S3Detail `json:"detail"`
	}
	_ = json.Unmarshal(event, &e)
	r.mu.Lock()
	r.uploadCounts[e.Detail.Object.Key]++
	r.mu.Unlock()
}

// route delivers an event to every target whose rule matches it.
func (r *router) route(ctx context.Context, event []byte, what string) {
	targets, err := targetsOf(r.patterns, event)
	if err != nil {
		r.fail("match %s: %v", what, err)
		return
	}
	for _, t := range targets {
		switch t {
		case "trigger":
			r.log.printf("route %s -> trigger", what)
			r.trigger.send(event)
		case "registrar":
			r.log.printf("route %s -> registrar", what)
			r.registrar.send(event)
		case "queue", "batch":
			r.log.printf("route %s -> queue", what)
			r.send(ctx, event)
		}
	}
}

// send puts an event on the advance queue, retrying a while.
func (r *router) send(ctx context.Context, body []byte) {
	var err error
	for try := range 5 {
		_, err = r.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(r.queueURL), MessageBody: aws.String(string(body))})
		if err == nil || ctx.Err() != nil {
			return
		}
		time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
	}
	r.fail("send to the advance queue: %v", err)
}

// batchEvent is the Batch double's OnEvent: each state change is matched
// against the Batch rule and sent to the queue, twice.
func (r *router) batchEvent(ctx context.Context) func([]byte) {
	return func(event []byte) {
		var e struct {
			Detail struct {
				JobName string `json:"jobName"`
				Status  string `json:"status"`
			} `json:"detail"`
		}
		_ = json.Unmarshal(event, &e)
		what := "batch " + e.Detail.JobName + " " + e.Detail.Status
		ok, err := matches(r.patterns.Batch, event)
		r.mu.Lock()
		r.batchEvents++
		if ok {
			r.batchSent += deliveries
		}
		r.mu.Unlock()
		if err != nil {
			r.fail("match %s: %v", what, err)
		}
		if !ok {
			r.log.printf("route %s -> (no rule)", what)
			return
		}
		for range deliveries {
			r.log.printf("route %s -> queue", what)
			r.send(ctx, event)
		}
	}
}

// pollQueue is the SQS event source mapping of a queue: it receives up to
// 10 messages at a time and hands them to handle, which returns the ids of
// the messages that failed; the rest are deleted.
func (r *router) pollQueue(ctx context.Context, queueURL string, handle func(ctx context.Context, msgs []sqstypes.Message) (failed map[string]bool, err error)) {
	for ctx.Err() == nil {
		out, err := r.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			if ctx.Err() == nil {
				r.fail("receive from %s: %v", queueURL, err)
				time.Sleep(500 * time.Millisecond)
			}
			continue
		}
		if len(out.Messages) == 0 {
			continue
		}
		failed, err := handle(ctx, out.Messages)
		if err != nil {
			// The whole batch comes back after the visibility timeout.
			continue
		}
		var del []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			if !failed[aws.ToString(m.MessageId)] {
				del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
			}
		}
		if len(del) == 0 {
			continue
		}
		dout, err := r.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: del})
		switch {
		case err != nil && ctx.Err() == nil:
			r.fail("delete from %s: %v", queueURL, err)
		case err == nil && len(dout.Failed) > 0:
			r.fail("delete from %s: %d failed: %s", queueURL, len(dout.Failed), aws.ToString(dout.Failed[0].Message))
		}
	}
}

// advanceBatch invokes advance with an SQS event of msgs, as the event
// source mapping does, and returns the messages it reported failed.
func (r *router) advanceBatch(ctx context.Context, msgs []sqstypes.Message) (map[string]bool, error) {
	ev := functions.SQSEvent{}
	var what []string
	for _, m := range msgs {
		attrs := map[string]string{}
		for k, v := range m.Attributes {
			attrs[k] = v
		}
		ev.Records = append(ev.Records, functions.SQSMessage{
			MessageID: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
			Attributes: attrs, EventSource: "aws:sqs", EventSourceARN: r.queueARN,
		})
		what = append(what, describe([]byte(aws.ToString(m.Body))))
	}
	payload, _ := json.Marshal(sqsEventJSON(ev))
	start := time.Now()
	res, err := r.advance.invoke(ctx, payload)
	r.mu.Lock()
	r.advanceCalls++
	r.mu.Unlock()
	if err != nil {
		r.log.printf("advance [%s] -> error %v", strings.Join(what, "; "), err)
		return nil, err
	}
	var resp functions.BatchResponse
	if err := json.Unmarshal(res, &resp); err != nil || resp.BatchItemFailures == nil {
		r.fail("advance answered %s, not a batch response", res)
		return nil, errors.New("not a batch response")
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	r.log.printf("advance [%s] -> %d failed (%v)", strings.Join(what, "; "), len(failed), time.Since(start).Round(time.Millisecond))
	return failed, nil
}

// sqsEventJSON adds the fields Lambda's SQS event has that
// functions.SQSMessage leaves out.
func sqsEventJSON(ev functions.SQSEvent) map[string]any {
	var recs []map[string]any
	for _, m := range ev.Records {
		recs = append(recs, map[string]any{
			"messageId": m.MessageID, "receiptHandle": m.ReceiptHandle, "body": m.Body, "attributes": m.Attributes,
			"messageAttributes": map[string]any{}, "eventSource": m.EventSource, "eventSourceARN": m.EventSourceARN,
			"awsRegion": "us-east-1",
		})
	}
	return map[string]any{"Records": recs}
}

// describe is a few words about a message body, for the flow log.
func describe(body []byte) string {
	var e struct {
		DetailType string `json:"detail-type"`
		Detail     struct {
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
			JobName string `json:"jobName"`
			Status  string `json:"status"`
		} `json:"detail"`
		Wake *struct {
			Exec string `json:"execution"`
		} `json:"wake"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "?"
	}
	switch {
	case e.Wake != nil:
		return "wake " + e.Wake.Exec
	case e.Detail.Object.Key != "":
		return e.Detail.Object.Key
	case e.Detail.JobName != "":
		return e.Detail.JobName + " " + e.Detail.Status
	}
	return e.DetailType
}

// sweep invokes advance with the sweep rule's input every interval.
func (r *router) sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := r.sweeper.invoke(ctx, []byte(`{"sweep": true}`))
		r.mu.Lock()
		r.sweeps++
		r.mu.Unlock()
		switch {
		case err != nil && ctx.Err() == nil:
			r.log.printf("sweep -> error %v", err)
		case err == nil && !strings.Contains(string(res), `"executions":0`):
			r.log.printf("sweep -> %s", res)
		}
	}
}

// asyncTarget invokes a function asynchronously, as EventBridge does: events
// queue up, one invocation runs at a time, and a failed one is retried
// twice. Every result is kept for the tests.
type asyncTarget struct {
	fn    *lambdaFn
	log   *flowLog
	queue chan []byte

	mu      sync.Mutex
	results []targetResult
	pending sync.WaitGroup
}

type targetResult struct {
	Event  []byte
	Result json.RawMessage
	Err    error
}

func newAsyncTarget(fn *lambdaFn, log *flowLog) *asyncTarget {
	return &asyncTarget{fn: fn, log: log, queue: make(chan []byte, 10000)}
}

func (a *asyncTarget) send(event []byte) {
	a.pending.Add(1)
	a.queue <- event
}

func (a *asyncTarget) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-a.queue:
			var res json.RawMessage
			var err error
			for try := range 3 {
				if try > 0 {
					time.Sleep(time.Second)
				}
				if res, err = a.fn.invoke(ctx, ev); err == nil || ctx.Err() != nil {
					break
				}
				a.log.printf("%s [%s] -> error %v", a.fn.name, describe(ev), err)
			}
			if err == nil {
				a.log.printf("%s [%s] -> %s", a.fn.name, describe(ev), res)
			}
			a.mu.Lock()
			a.results = append(a.results, targetResult{Event: ev, Result: res, Err: err})
			a.mu.Unlock()
			a.pending.Done()
		}
	}
}

// Results returns the invocations so far.
func (a *asyncTarget) Results() []targetResult {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]targetResult(nil), a.results...)
}

// drainQueue is, under LocalStack, the event source mapping of a queue
// that stands in for a Lambda target: each message's body (the EventBridge
// event) goes to the target, as many times as deliveries says.
func (r *router) drainQueue(ctx context.Context, queueURL string, a *asyncTarget) {
	r.pollQueue(ctx, queueURL, func(ctx context.Context, msgs []sqstypes.Message) (map[string]bool, error) {
		for _, m := range msgs {
			for range deliveries {
				a.send([]byte(aws.ToString(m.Body)))
			}
		}
		return nil, nil
	})
}

// countQueue is, under LocalStack, the consumer of the uploads queue.
func (r *router) countQueue(ctx context.Context, queueURL string) {
	r.pollQueue(ctx, queueURL, func(ctx context.Context, msgs []sqstypes.Message) (map[string]bool, error) {
		for _, m := range msgs {
			r.countUpload([]byte(aws.ToString(m.Body)))
		}
		return nil, nil
	})
}

// UploadCounts returns how many times each runner output key was created.
func (r *router) UploadCounts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.uploadCounts))
	for k, v := range r.uploadCounts {
		out[k] = v
	}
	return out
}

// Failures returns what went wrong in the suite's own machinery.
func (r *router) Failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failures...)
}

// summary is a line about the invocations so far, for failure messages.
func (a *asyncTarget) summary() string {
	rs := a.Results()
	if len(rs) == 0 {
		return "none"
	}
	var parts []string
	for _, r := range rs {
		if r.Err != nil {
			parts = append(parts, describe(r.Event)+": "+r.Err.Error())
		} else {
			parts = append(parts, describe(r.Event)+": "+string(r.Result))
		}
	}
	return strings.Join(parts, "; ")
}

// keyOf is the object key of an S3 EventBridge event ("" for others).
func keyOf(event []byte) string {
	env, err := functions.ParseEnvelope(event)
	if err != nil {
		return ""
	}
	d, err := env.S3()
	if err != nil {
		return ""
	}
	return d.Object.Key
}
