package stack

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// eventsDir holds the fixture events the functions are tested with.
const eventsDir = "../../functions/testdata/events"

// Rule targets by name, as the contract (functions/README.md) calls them.
const (
	toTrigger   = "lambda:aloft-trigger"
	toRegistrar = "lambda:aloft-registrar"
	toAdvance   = "lambda:aloft-advance"
	toQueue     = "sqs:aloft-advance"
)

// patternRule is a synthesized rule with an event pattern, resolved.
type patternRule struct {
	id      string
	pattern map[string]any
	target  string
}

// patternRules extracts every rule with an EventPattern from the template
// and resolves its tokens (bucket name, job queue ARNs) and its target.
func patternRules(t *testing.T, s synthed) []patternRule {
	t.Helper()
	r := s.resolver(t)
	var rules []patternRule
	for id, res := range s.resources("AWS::Events::Rule") {
		p := props(res)
		pat, ok := p["EventPattern"]
		if !ok {
			continue
		}
		targets, _ := p["Targets"].([]any)
		if targets == nil && id == s.logicalIDPrefix(t, "AWS::Events::Rule", "StuckRunnableRule") {
			continue // no target: an alarm counts its matches (TestAlarms)
		}
		if len(targets) != 1 {
			t.Fatalf("rule %s has %d targets, want 1", id, len(targets))
		}
		rules = append(rules, patternRule{
			id:      id,
			pattern: r.resolve(pat).(map[string]any),
			target:  targetName(r.str(targets[0].(map[string]any)["Arn"])),
		})
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].id < rules[j].id })
	return rules
}

// targetName turns a target ARN into "service:name".
func targetName(arn string) string {
	parts := strings.Split(arn, ":")
	return parts[2] + ":" + parts[len(parts)-1]
}

// routes returns the targets of the rules that match event, sorted.
func routes(t *testing.T, rules []patternRule, event map[string]any) []string {
	t.Helper()
	got := []string{}
	for _, r := range rules {
		if matchPattern(t, r.pattern, event) {
			got = append(got, r.target)
		}
	}
	sort.Strings(got)
	return got
}

func loadEvent(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// TestRulesRouteFixtureEvents: every EventBridge-shaped fixture reaches
// exactly the target the contract names, and no other.
func TestRulesRouteFixtureEvents(t *testing.T) {
	rules := patternRules(t, defaultStack(t))
	if len(rules) != 4 {
		t.Fatalf("%d pattern rules, want 4 (incoming, results, batch, active)", len(rules))
	}
	want := map[string][]string{
		"s3-object-created-incoming.json":       {toTrigger},
		"s3-object-created-outputs.json":        {toQueue},
		"s3-object-created-error.json":          {toQueue},
		"s3-object-created-launch-request.json": {toQueue},
		"s3-object-created-cancel-request.json": {toQueue},
		"batch-job-running.json":                {toQueue},
		"batch-job-succeeded.json":              {toQueue},
		"batch-job-failed-oom.json":             {toQueue},
		"batch-job-failed-host-reclaim.json":    {toQueue},
		"batch-job-failed-array-child.json":     {toQueue},
		"s3-object-created-active.json":         {toRegistrar},
		"s3-object-deleted-active.json":         {toRegistrar},
		// Delivered by the registrar's schedule rules, not by the stack's.
		"scheduled-event.json": {},
	}
	// Fixtures that are not EventBridge events: an SQS batch (checked
	// below), the sweep's constant input, the transformed schedule input and
	// an S3 notification as S3 sends it straight to a queue (aloft dev
	// --aws-endpoint reads those; the stack uses EventBridge).
	notEvents := map[string]bool{"sqs-batch.json": true, "sweep.json": true, "scheduled-trigger-input.json": true,
		"s3-notification.json": true}

	files, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", eventsDir, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if notEvents[name] {
			continue
		}
		w, ok := want[name]
		if !ok {
			t.Errorf("fixture %s has no expected route: add it to this test", name)
			continue
		}
		if got := routes(t, rules, loadEvent(t, name)); !reflect.DeepEqual(got, w) {
			t.Errorf("%s routes to %v, want %v", name, got, w)
		}
	}

	// The events inside the SQS batch came through the queue: each one
	// must match exactly the rules that feed the queue.
	batch := loadEvent(t, "sqs-batch.json")
	for i, rec := range batch["Records"].([]any) {
		var ev map[string]any
		if err := json.Unmarshal([]byte(rec.(map[string]any)["body"].(string)), &ev); err != nil {
			t.Fatal(err)
		}
		if got := routes(t, rules, ev); !reflect.DeepEqual(got, []string{toQueue}) {
			t.Errorf("sqs-batch record %d routes to %v, want the queue", i, got)
		}
	}
}

// TestRulesRejectNearMisses: events one step away from a fixture (another
// bucket, prefix, job queue, account, status or detail type) match no rule.
func TestRulesRejectNearMisses(t *testing.T) {
	rules := patternRules(t, defaultStack(t))
	tests := []struct {
		name, fixture string
		set           map[string]any // dotted path -> value
	}{
		{"incoming in another bucket", "s3-object-created-incoming.json", map[string]any{"detail.bucket.name": "other-bucket"}},
		{"incoming deleted", "s3-object-created-incoming.json", map[string]any{"detail-type": "Object Deleted"}},
		{"incoming without its slash", "s3-object-created-incoming.json", map[string]any{"detail.object.key": "incoming-old/diabetes/x.csv"}},
		{"incoming nested under another prefix", "s3-object-created-incoming.json", map[string]any{"detail.object.key": "tmp/incoming/x.csv"}},
		{"incoming from another source", "s3-object-created-incoming.json", map[string]any{"source": "custom.s3"}},
		{"outputs in another bucket", "s3-object-created-outputs.json", map[string]any{"detail.bucket.name": "aloft-test-bucket-2"}},
		{"outputs deleted", "s3-object-created-outputs.json", map[string]any{"detail-type": "Object Deleted"}},
		{"inputs.json", "s3-object-created-outputs.json", map[string]any{"detail.object.key": "data/r1a2b3c4d/train/1/inputs.json"}},
		{"outputs.json with a suffix", "s3-object-created-outputs.json", map[string]any{"detail.object.key": "data/r1a2b3c4d/train/1/outputs.json.tmp"}},
		{"outputs.json outside data/", "s3-object-created-outputs.json", map[string]any{"detail.object.key": "catalog/p/d/t/1/outputs.json"}},
		{"execution state", "s3-object-created-outputs.json", map[string]any{"detail.object.key": "executions/default/development/r1/state.json"}},
		{"error.json in another bucket", "s3-object-created-error.json", map[string]any{"detail.bucket.name": "other-bucket"}},
		{"request in another bucket", "s3-object-created-launch-request.json", map[string]any{"detail.bucket.name": "other-bucket"}},
		{"request deleted", "s3-object-created-cancel-request.json", map[string]any{"detail-type": "Object Deleted"}},
		{"requests without its slash", "s3-object-created-launch-request.json", map[string]any{"detail.object.key": "requestsx/launch/a.json"}},
		{"another job queue", "batch-job-succeeded.json", map[string]any{"detail.jobQueue": "arn:aws:batch:us-east-1:123456789012:job-queue/other-cpu"}},
		{"aloft-cpu in another account", "batch-job-succeeded.json", map[string]any{"detail.jobQueue": "arn:aws:batch:us-east-1:210987654321:job-queue/aloft-cpu"}},
		{"aloft-gpu in another region", "batch-job-running.json", map[string]any{"detail.jobQueue": "arn:aws:batch:eu-west-1:123456789012:job-queue/aloft-gpu"}},
		{"job queue by name only", "batch-job-running.json", map[string]any{"detail.jobQueue": "aloft-cpu"}},
		{"job runnable", "batch-job-running.json", map[string]any{"detail.status": "RUNNABLE"}},
		{"job submitted", "batch-job-running.json", map[string]any{"detail.status": "SUBMITTED"}},
		{"job starting", "batch-job-running.json", map[string]any{"detail.status": "STARTING"}},
		{"another detail type", "batch-job-succeeded.json", map[string]any{"detail-type": "Batch Job Queue Blocked"}},
		{"batch detail from another source", "batch-job-succeeded.json", map[string]any{"source": "aws.ecs"}},
		{"active.json in another bucket", "s3-object-created-active.json", map[string]any{"detail.bucket.name": "other-bucket"}},
		{"active.json of a workflow", "s3-object-created-active.json", map[string]any{"detail.object.key": "registry/default/development/workflows/w/active.json"}},
		{"a launch plan version", "s3-object-created-active.json", map[string]any{"detail.object.key": "registry/default/development/launchplans/diabetes_nightly/v3.json"}},
		{"active.json with a suffix", "s3-object-deleted-active.json", map[string]any{"detail.object.key": "registry/default/development/launchplans/n/active.json.bak"}},
		{"active.json restored", "s3-object-created-active.json", map[string]any{"detail-type": "Object Restore Completed"}},
	}
	for _, tt := range tests {
		ev := loadEvent(t, tt.fixture)
		for path, v := range tt.set {
			setPath(t, ev, path, v)
		}
		if got := routes(t, rules, ev); len(got) != 0 {
			t.Errorf("%s (from %s) routes to %v, want nothing", tt.name, tt.fixture, got)
		}
	}
}

func setPath(t *testing.T, m map[string]any, path string, v any) {
	t.Helper()
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %s in %s", k, path)
		}
		m = next
	}
	if _, ok := m[keys[len(keys)-1]]; !ok {
		t.Fatalf("no field %s", path)
	}
	m[keys[len(keys)-1]] = v
}

// TestSweepRule: rate(1 minute) sends the sweep fixture to advance.
func TestSweepRule(t *testing.T) {
	s := defaultStack(t)
	r := s.resolver(t)
	var found int
	for id, res := range s.resources("AWS::Events::Rule") {
		p := props(res)
		if p["ScheduleExpression"] == nil {
			continue
		}
		found++
		if p["ScheduleExpression"] != SweepSchedule {
			t.Errorf("rule %s: schedule %v, want %s", id, p["ScheduleExpression"], SweepSchedule)
		}
		target := p["Targets"].([]any)[0].(map[string]any)
		if got := targetName(r.str(target["Arn"])); got != toAdvance {
			t.Errorf("sweep targets %s, want %s", got, toAdvance)
		}
		var input, want any
		if err := json.Unmarshal([]byte(target["Input"].(string)), &input); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(eventsDir, "sweep.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(input, want) {
			t.Errorf("sweep input %v, want %v (sweep.json)", input, want)
		}
	}
	if found != 1 {
		t.Errorf("%d scheduled rules in the stack, want 1 (the sweep)", found)
	}
}

// TestScheduleRulesMayInvokeTrigger: trigger allows EventBridge to invoke
// it from rules with the registrar's prefix only: the scheduled fixture's
// rule is allowed; the stack's own rules and other prefixes are not.
func TestScheduleRulesMayInvokeTrigger(t *testing.T) {
	s := defaultStack(t)
	r := s.resolver(t)
	var sourceArns []string
	for id, res := range s.resources("AWS::Lambda::Permission") {
		p := r.resolve(props(res)).(map[string]any)
		if p["FunctionName"] != "arn:aws:lambda:us-east-1:123456789012:function:aloft-trigger" {
			continue
		}
		if p["Principal"] != "events.amazonaws.com" {
			t.Errorf("permission %s on trigger for principal %v", id, p["Principal"])
		}
		sourceArns = append(sourceArns, p["SourceArn"].(string))
	}
	const want = "arn:aws:events:us-east-1:123456789012:rule/aloft-lp-*"
	if !contains(sourceArns, want) {
		t.Fatalf("trigger's permissions %v lack %s", sourceArns, want)
	}
	sched := loadEvent(t, "scheduled-event.json")["resources"].([]any)[0].(string)
	if !globMatch(want, sched) {
		t.Errorf("the scheduled fixture's rule %s is not allowed by %s", sched, want)
	}
	for _, other := range []string{
		"arn:aws:events:us-east-1:123456789012:rule/aloft-IncomingRule-ABC",
		"arn:aws:events:us-east-1:123456789012:rule/other-lp-x",
		"arn:aws:events:us-east-1:210987654321:rule/aloft-lp-x",
	} {
		if globMatch(want, other) {
			t.Errorf("%s would be allowed", other)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var update = flag.Bool("update", false, "rewrite testdata/rule-patterns.json from the synthesized stack")

// goldenPatterns is where the resolved patterns of the stack's rules are
// kept for the root module's tests (functions.RulePatterns must equal
// them), since that module cannot import this one.
const goldenPatterns = "../testdata/rule-patterns.json"

// TestRulePatternsGolden keeps ../testdata/rule-patterns.json equal to the
// synthesized rules' patterns (bucket aloft-test-bucket, job queues
// aloft-cpu, aloft-spot, aloft-gpu in 123456789012/us-east-1), keyed like
// the fields of functions.Patterns. Refresh with go test -run Golden -update.
func TestRulePatternsGolden(t *testing.T) {
	got := map[string]any{}
	for _, r := range patternRules(t, defaultStack(t)) {
		var key string
		switch {
		case r.target == toTrigger:
			key = "trigger"
		case r.target == toRegistrar:
			key = "registrar"
		case r.target == toQueue && reflect.DeepEqual(r.pattern["source"], []any{"aws.batch"}):
			key = "batch"
		case r.target == toQueue:
			key = "queue"
		default:
			t.Fatalf("rule %s targets %s", r.id, r.target)
		}
		if _, dup := got[key]; dup {
			t.Fatalf("two %s rules", key)
		}
		got[key] = r.pattern
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile(goldenPatterns, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPatterns)
	if err != nil {
		t.Fatalf("%v (create it with go test -run Golden -update)", err)
	}
	if string(want) != string(b) {
		t.Errorf("%s is stale: run go test -run Golden -update in cdk/stack\n got %s", goldenPatterns, b)
	}
}
