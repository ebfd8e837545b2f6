package testpeers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestFauxqs(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	f := StartFauxqs(t, FauxqsOptions{Queues: []string{"events", "ordered.fifo"}})
	t.Logf("fauxqs listening at %s after %v", f.Endpoint, time.Since(start).Round(time.Millisecond))
	if !strings.HasPrefix(f.Endpoint, "http://127.0.0.1:") {
		t.Errorf("Endpoint = %q, want http://127.0.0.1:PORT", f.Endpoint)
	}
	c := f.SQSClient()
	url := f.QueueURLs["events"]
	t.Logf("queue URL %s", url)
	if url == "" {
		t.Fatalf("QueueURLs = %v, want events", f.QueueURLs)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(`{"hello":"world"}`)}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != `{"hello":"world"}` {
		t.Fatalf("ReceiveMessage = %+v, want the message sent", got.Messages)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	// Deleted, so not redelivered even once its visibility timeout ends.
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range attrs.Attributes {
		if v != "0" {
			t.Errorf("after DeleteMessage, %s = %s, want 0", k, v)
		}
	}

	// The FIFO queue keeps order within a group.
	fifo := f.QueueURLs["ordered.fifo"]
	for i, body := range []string{"first", "second", "third"} {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl: aws.String(fifo), MessageBody: aws.String(body),
			MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(body + string(rune('0'+i))),
		})
		if err != nil {
			t.Fatalf("SendMessage(fifo): %v", err)
		}
	}
	var bodies []string
	for len(bodies) < 3 {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(fifo), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			t.Fatalf("FIFO queue ran dry after %q", bodies)
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(fifo), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if strings.Join(bodies, ",") != "first,second,third" {
		t.Errorf("FIFO order = %q", bodies)
	}
}
