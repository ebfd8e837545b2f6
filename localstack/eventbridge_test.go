package localstack

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// eventBridge is an EventBridge double for registrar's rules: an httptest
// server speaking the JSON 1.1 protocol of the real SDK client for PutRule,
// PutTargets, RemoveTargets, DeleteRule, DescribeRule, ListTargetsByRule and
// PutEvents (the notifications advance sends),
// keeping the rules and recording every request. (No emulator of
// EventBridge runs here: shared/TESTING.md.) It does not fire schedules.
type eventBridge struct {
	srv     *httptest.Server
	account string
	region  string

	mu    sync.Mutex
	reqs  []ebRequest
	rules map[string]*ebRule
}

type ebRequest struct {
	Op   string // "PutRule", ...
	Body []byte
}

type ebRule struct {
	Name               string                     `json:"Name"`
	Arn                string                     `json:"Arn"`
	ScheduleExpression string                     `json:"ScheduleExpression,omitempty"`
	EventPattern       string                     `json:"EventPattern,omitempty"`
	State              string                     `json:"State"`
	Description        string                     `json:"Description,omitempty"`
	EventBusName       string                     `json:"EventBusName"`
	targets            map[string]json.RawMessage // by Id
	order              []string
}

func newEventBridge() *eventBridge {
	e := &eventBridge{account: "123456789012", region: "us-east-1", rules: map[string]*ebRule{}}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	return e
}

func (e *eventBridge) URL() string { return e.srv.URL }

func (e *eventBridge) Close() { e.srv.Close() }

// Requests returns the requests received for op, or all when op is "".
func (e *eventBridge) Requests(op string) []ebRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []ebRequest
	for _, r := range e.reqs {
		if op == "" || r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

type ebError struct{ code, msg string }

func (e *eventBridge) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSEvents.")
	e.mu.Lock()
	e.reqs = append(e.reqs, ebRequest{Op: op, Body: body})
	out, err := e.do(op, body)
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		b, _ := json.Marshal(map[string]string{"__type": err.code, "message": err.msg})
		_, _ = w.Write(b)
		return
	}
	b, _ := json.Marshal(out)
	_, _ = w.Write(b)
}

// do runs one operation; e.mu is held.
func (e *eventBridge) do(op string, body []byte) (any, *ebError) {
	var in struct {
		Name, Rule, ScheduleExpression, EventPattern, State, Description string
		Targets                                                          []json.RawMessage
		Ids                                                              []string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, &ebError{"ValidationException", err.Error()}
	}
	missing := func(name string) *ebError {
		return &ebError{"ResourceNotFoundException", "Rule " + name + " does not exist on EventBus default."}
	}
	switch op {
	case "PutEvents": // aloft's notifications (Decision 26); recorded in reqs
		return map[string]any{"FailedEntryCount": 0, "Entries": []map[string]string{{"EventId": "ev-" + strconv.Itoa(len(e.reqs))}}}, nil
	case "PutRule":
		if in.Name == "" || len(in.Name) > 64 || (in.ScheduleExpression == "") == (in.EventPattern == "") {
			return nil, &ebError{"ValidationException", "PutRule needs a Name of at most 64 characters and one of ScheduleExpression or EventPattern"}
		}
		r := e.rules[in.Name]
		if r == nil {
			r = &ebRule{Name: in.Name, targets: map[string]json.RawMessage{}, EventBusName: "default",
				Arn: "arn:aws:events:" + e.region + ":" + e.account + ":rule/" + in.Name}
			e.rules[in.Name] = r
		}
		r.ScheduleExpression, r.EventPattern, r.Description = in.ScheduleExpression, in.EventPattern, in.Description
		r.State = in.State
		if r.State == "" {
			r.State = "ENABLED"
		}
		return map[string]string{"RuleArn": r.Arn}, nil
	case "PutTargets":
		r := e.rules[in.Rule]
		if r == nil {
			return nil, missing(in.Rule)
		}
		for _, t := range in.Targets {
			var id struct{ Id string }
			_ = json.Unmarshal(t, &id)
			if _, ok := r.targets[id.Id]; !ok {
				r.order = append(r.order, id.Id)
			}
			r.targets[id.Id] = t
		}
		return map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}, nil
	case "RemoveTargets":
		r := e.rules[in.Rule]
		if r == nil {
			return nil, missing(in.Rule)
		}
		for _, id := range in.Ids {
			delete(r.targets, id)
		}
		return map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}, nil
	case "DeleteRule":
		if r := e.rules[in.Name]; r != nil && len(r.targets) > 0 {
			return nil, &ebError{"ValidationException", "Rule can't be deleted since it has targets."}
		}
		delete(e.rules, in.Name)
		return map[string]any{}, nil
	case "DescribeRule":
		r := e.rules[in.Name]
		if r == nil {
			return nil, missing(in.Name)
		}
		return r, nil
	case "ListTargetsByRule":
		r := e.rules[in.Rule]
		if r == nil {
			return nil, missing(in.Rule)
		}
		ts := []json.RawMessage{}
		for _, id := range r.order {
			if t, ok := r.targets[id]; ok {
				ts = append(ts, t)
			}
		}
		return map[string]any{"Targets": ts}, nil
	}
	return nil, &ebError{"UnknownOperationException", "the EventBridge double does not implement " + op}
}
