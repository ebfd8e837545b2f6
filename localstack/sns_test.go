package localstack

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
)

// snsTopic is an SNS double for the notification topic: an httptest server
// speaking the Query protocol of the real SDK client for Publish, recording
// each published message (the form of the request).
type snsTopic struct {
	srv *httptest.Server

	mu        sync.Mutex
	published []url.Values
}

func newSNSTopic() *snsTopic {
	t := &snsTopic{}
	t.srv = httptest.NewServer(http.HandlerFunc(t.serve))
	return t
}

func (t *snsTopic) URL() string { return t.srv.URL }

func (t *snsTopic) Close() { t.srv.Close() }

// Published returns the Publish requests received.
func (t *snsTopic) Published() []url.Values {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]url.Values(nil), t.published...)
}

func (t *snsTopic) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	w.Header().Set("Content-Type", "text/xml")
	if err != nil || form.Get("Action") != "Publish" || form.Get("TopicArn") != topicARN {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>the double knows Publish to %s only</Message></Error><RequestId>r</RequestId></ErrorResponse>`, topicARN)
		return
	}
	t.mu.Lock()
	t.published = append(t.published, form)
	n := len(t.published)
	t.mu.Unlock()
	fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>msg-%d</MessageId></PublishResult><ResponseMetadata><RequestId>r-%d</RequestId></ResponseMetadata></PublishResponse>`, n, n)
}
