package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/internal/testpeers"
)

// TestDevAgainstAWSEndpoints runs aloft dev --aws-endpoint against an S3
// server (versitygw) and an SQS server (fauxqs), with the S3 server's
// event notifications sent to the queue (LocalStack can route them through
// EventBridge or straight to SQS; aloft dev reads both shapes).
func TestDevAgainstAWSEndpoints(t *testing.T) {
	q := testpeers.StartFauxqs(t, testpeers.FauxqsOptions{Queues: []string{"aloft-events"}})
	queueURL := q.QueueURLs["aloft-events"]
	sqsc := q.SQSClient()
	// The webhook's S3 notifications go to the queue as they are, as S3
	// sends them when its notifications target SQS directly.
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if events, ok := functions.FromS3Notification(b); !ok || len(events) == 0 {
			return // versitygw's test event
		}
		_, _ = sqsc.SendMessage(r.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(string(b))})
	}))
	defer hook.Close()
	g := testpeers.StartVersityGW(t, testpeers.VersityOptions{Buckets: []string{"devbucket"}, EventWebhookURL: hook.URL})
	t.Setenv("AWS_ACCESS_KEY_ID", g.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", g.SecretKey)
	t.Setenv("AWS_REGION", g.Region)
	t.Setenv("AWS_ENDPOINT_URL_S3", g.Endpoint)

	s := newSandbox(t)
	spec, _ := filepath.Abs("../../functions/localplane/testdata/dev.yaml")
	aloft(t, s.env, "register", spec, "--version", "v1", "--activate", "--store", "s3://devbucket").check(t, exitOK)

	ctx := context.Background()
	dev := startDev(t, s.env, 60*time.Second, "--aws-endpoint", g.Endpoint, "--store", "s3://devbucket",
		"--sqs-endpoint", q.Endpoint, "--queue-url", queueURL, "--sweep", "500ms")
	if _, err := g.S3Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("devbucket"),
		Key: aws.String("incoming/lines/x.txt"), Body: strings.NewReader("a\nb\nc\nd\n")}); err != nil {
		t.Fatal(err)
	}
	dev.waitFor(runEnded, "no run ended")
	dev.stop()
	r := aloft(t, s.env, "executions", "list", "--store", "s3://devbucket").check(t, exitOK)
	if !strings.Contains(r.out, "succeeded") {
		t.Fatalf("executions list:\n%s", r.out)
	}
}
