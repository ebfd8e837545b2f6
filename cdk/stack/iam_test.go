package stack

import (
	"fmt"
	"strings"
	"testing"
)

// statements walks the template and returns every IAM policy statement in
// it (role policies, trust policies, bucket and queue policies...), with
// where it was found.
func statements(s synthed) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if st, ok := v["Statement"].([]any); ok {
				for _, x := range st {
					out[path] = append(out[path], x.(map[string]any))
				}
			}
			for k, x := range v {
				walk(path+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		}
	}
	walk("Resources", s.doc["Resources"])
	return out
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// noStarOnStar fails on any statement with a "*" action on a "*" resource,
// and on NotAction / NotResource allows (which grant everything else).
func noStarOnStar(t *testing.T, s synthed) {
	t.Helper()
	n := 0
	for where, sts := range statements(s) {
		for _, st := range sts {
			n++
			starAction, starResource := false, false
			for _, a := range asList(st["Action"]) {
				starAction = starAction || a == "*"
			}
			for _, r := range asList(st["Resource"]) {
				starResource = starResource || r == "*"
			}
			if starAction && starResource {
				t.Errorf("%s: statement %v allows * on *", where, st)
			}
			if st["Effect"] == "Allow" && (st["NotAction"] != nil || st["NotResource"] != nil) {
				t.Errorf("%s: Allow with NotAction/NotResource: %v", where, st)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d statements: the scan is not looking at the policies", n)
	}
}

func TestNoStarActionOnStarResource(t *testing.T) {
	noStarOnStar(t, defaultStack(t))
}

// TestStarResourcesOnlyWhereIAMRequiresIt: an Allow on resource "*" is
// limited to actions that IAM cannot scope to a resource.
func TestStarResourcesOnlyWhereIAMRequiresIt(t *testing.T) {
	unscoped := map[string]bool{
		"ecr:GetAuthorizationToken":    true,
		"batch:DescribeJobs":           true,
		"batch:DescribeJobDefinitions": true,
		"batch:DescribeJobQueues":      true,
		"batch:ListJobs":               true,
	}
	for where, sts := range statements(defaultStack(t)) {
		for _, st := range sts {
			if st["Effect"] != "Allow" {
				continue
			}
			star := false
			for _, r := range asList(st["Resource"]) {
				star = star || r == "*"
			}
			if !star {
				continue
			}
			for _, a := range asList(st["Action"]) {
				if !unscoped[a.(string)] {
					t.Errorf("%s: %v allowed on every resource", where, a)
				}
			}
		}
	}
}

// grant is one Allow statement of a role, resolved.
type grant struct {
	actions, resources []string
}

// roleGrants returns the resolved Allow statements attached to the role
// with logical id roleID (its inline policies and AWS::IAM::Policy).
func roleGrants(t *testing.T, s synthed, roleID string) []grant {
	t.Helper()
	r := s.resolver(t)
	var docs []any
	for _, p := range s.resources("AWS::IAM::Policy") {
		for _, ref := range props(p)["Roles"].([]any) {
			if ref.(map[string]any)["Ref"] == roleID {
				docs = append(docs, props(p)["PolicyDocument"])
			}
		}
	}
	for _, p := range asList(props(s.doc["Resources"].(map[string]any)[roleID].(map[string]any))["Policies"]) {
		docs = append(docs, p.(map[string]any)["PolicyDocument"])
	}
	var out []grant
	for _, d := range docs {
		for _, st := range d.(map[string]any)["Statement"].([]any) {
			st := r.resolve(st).(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			var g grant
			for _, a := range asList(st["Action"]) {
				g.actions = append(g.actions, a.(string))
			}
			for _, x := range asList(st["Resource"]) {
				g.resources = append(g.resources, x.(string))
			}
			out = append(out, g)
		}
	}
	return out
}

// allowed reports whether any grant allows action on resource (IAM glob
// matching; conditions are not used by these grants).
func allowed(grants []grant, action, resource string) bool {
	for _, g := range grants {
		for _, a := range g.actions {
			if !globMatch(strings.ToLower(a), strings.ToLower(action)) {
				continue
			}
			for _, r := range g.resources {
				if globMatch(r, resource) {
					return true
				}
			}
		}
	}
	return false
}

func functionRoleID(t *testing.T, s synthed, name string) string {
	_, fn := s.fn(t, name)
	return props(fn)["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
}

// TestLeastPrivilege checks, action by action, what each role may and may
// not do to the bucket, Batch, IAM and EventBridge.
func TestLeastPrivilege(t *testing.T) {
	s := defaultStack(t)
	obj := func(key string) string { return "arn:aws:s3:::" + testBucket + "/" + key }
	const (
		bucketArn = "arn:aws:s3:::" + testBucket
		acct      = "us-east-1:123456789012"
	)
	jobRole := "arn:aws:iam::123456789012:role/" + s.roleID(t, "TaskJobRole")
	execRole := "arn:aws:iam::123456789012:role/" + s.roleID(t, "TaskExecutionRole")
	type check struct {
		action, resource string
		want             bool
	}
	roles := map[string][]check{
		functionRoleID(t, s, "aloft-trigger"): {
			{"s3:GetObject", obj("registry/default/development/launchplans/lp/active.json"), true},
			{"s3:GetObject", obj("incoming/diabetes/pima.csv"), true},
			{"s3:PutObject", obj("requests/launch/l1.json"), true},
			{"s3:ListBucket", bucketArn, true},
			{"s3:PutObject", obj("requests/cancel/r1.json"), false},
			{"s3:PutObject", obj("executions/default/development/r1/state.json"), false},
			{"s3:PutObject", obj("registry/default/development/launchplans/lp/active.json"), false},
			{"s3:PutObject", obj("incoming/diabetes/pima.csv"), false},
			{"s3:DeleteObject", obj("incoming/diabetes/pima.csv"), false},
			{"s3:GetObject", obj("data/r1/train/1/outputs.json"), false},
			{"s3:PutObject", obj("data/t1/inputs/dataset/pima.csv"), true}, // a drop's snapshot
			{"s3:PutObject", obj("data/t1/train/1/outputs.json"), false},
			{"s3:GetObject", obj("triggered/diabetes/pima.csv/v1.json"), true},
			{"s3:PutObject", obj("triggered/diabetes/pima.csv/v1.json"), true},
			{"s3:DeleteObject", obj("triggered/diabetes/pima.csv/v1.json"), false},
			{"s3:GetObject", "arn:aws:s3:::other-bucket/registry/x", false},
			{"batch:SubmitJob", "arn:aws:batch:" + acct + ":job-queue/aloft-cpu", false},
			{"events:PutRule", "arn:aws:events:" + acct + ":rule/aloft-lp-x", false},
		},
		functionRoleID(t, s, "aloft-registrar"): {
			{"s3:GetObject", obj("registry/default/development/launchplans/lp/v1.json"), true},
			{"s3:PutObject", obj("registry/default/development/launchplans/lp/active.json"), false},
			{"s3:GetObject", obj("data/r1/train/1/outputs.json"), false},
			{"events:PutRule", "arn:aws:events:" + acct + ":rule/aloft-lp-default-development-diabetes_nightly", true},
			{"events:PutTargets", "arn:aws:events:" + acct + ":rule/aloft-lp-x", true},
			{"events:DeleteRule", "arn:aws:events:" + acct + ":rule/aloft-lp-x", true},
			{"events:DisableRule", "arn:aws:events:" + acct + ":rule/aloft-lp-x", true},
			{"events:PutRule", "arn:aws:events:" + acct + ":rule/aloft-IncomingRule1234", false},
			{"events:DeleteRule", "arn:aws:events:" + acct + ":rule/someone-elses-rule", false},
			{"events:PutRule", "arn:aws:events:us-east-1:210987654321:rule/aloft-lp-x", false},
			{"lambda:AddPermission", "arn:aws:lambda:" + acct + ":function:aloft-trigger", false},
			{"iam:PassRole", jobRole, false},
		},
		functionRoleID(t, s, "aloft-advance"): {
			{"s3:PutObject", obj("executions/default/development/r1/state.json"), true},
			{"s3:GetObject", obj("executions/default/development/r1/state.json"), true},
			{"s3:PutObject", obj("index/default/development/0001-r1"), true},
			{"s3:PutObject", obj("active/default/development/r1"), true},
			{"s3:DeleteObject", obj("active/default/development/r1"), true},
			{"s3:PutObject", obj("data/r1/inputs/dataset"), true},
			{"s3:PutObject", obj("catalog/default/development/fit/1.0/k.json"), true},
			{"s3:GetObject", obj("registry/default/development/workflows/w/v1.json"), true},
			{"s3:GetObject", obj("requests/launch/l1.json"), true},
			{"s3:PutObject", obj("registry/default/development/workflows/w/v1.json"), false},
			{"s3:PutObject", obj("requests/launch/l1.json"), false},
			{"s3:PutObject", obj("incoming/x.csv"), false},
			{"s3:DeleteObject", obj("executions/default/development/r1/state.json"), false},
			{"s3:DeleteObject", obj("catalog/default/development/fit/1.0/k.json"), false},
			{"s3:PutBucketPolicy", bucketArn, false},
			{"batch:SubmitJob", "arn:aws:batch:" + acct + ":job-queue/aloft-cpu", true},
			{"batch:SubmitJob", "arn:aws:batch:" + acct + ":job-queue/aloft-gpu", true},
			{"batch:SubmitJob", "arn:aws:batch:" + acct + ":job-definition/aloft-3f9a1c2b7d4e5f60:1", true},
			{"batch:SubmitJob", "arn:aws:batch:" + acct + ":job-queue/other-queue", false},
			{"batch:SubmitJob", "arn:aws:batch:" + acct + ":job-definition/other:1", false},
			{"batch:RegisterJobDefinition", "arn:aws:batch:" + acct + ":job-definition/aloft-3f9a", true},
			{"batch:RegisterJobDefinition", "arn:aws:batch:" + acct + ":job-definition/other", false},
			{"batch:TerminateJob", "arn:aws:batch:" + acct + ":job/4c7599ae-0a82-49aa-ba5a-4727fcce14a8", true},
			{"batch:DescribeJobs", "*", true},
			{"iam:PassRole", jobRole, true},
			{"iam:PassRole", execRole, true},
			{"iam:PassRole", "arn:aws:iam::123456789012:role/Admin", false},
			{"sqs:SendMessage", "arn:aws:sqs:" + acct + ":aloft-advance", true},
			{"sqs:ReceiveMessage", "arn:aws:sqs:" + acct + ":aloft-advance", true},
			{"sqs:SendMessage", "arn:aws:sqs:" + acct + ":other", false},
			{"events:PutRule", "arn:aws:events:" + acct + ":rule/aloft-lp-x", false},
		},
		s.roleID(t, "TaskJobRole"): {
			{"s3:GetObject", obj("data/r1/train/1/inputs.json"), true},
			{"s3:PutObject", obj("data/r1/train/1/outputs.json"), true},
			{"s3:PutObject", obj("data/r1/train/1/claim.json"), true},
			{"s3:GetObject", obj("catalog/default/development/fit/1.0/k.json"), true},
			{"s3:PutObject", obj("catalog/default/development/fit/1.0/k.json"), true},
			{"s3:GetObject", obj("incoming/diabetes/pima.csv"), true},
			{"s3:PutObject", obj("incoming/diabetes/pima.csv"), false},
			{"s3:GetObject", obj("executions/default/development/r1/state.json"), false},
			{"s3:PutObject", obj("executions/default/development/r1/state.json"), false},
			{"s3:GetObject", obj("registry/default/development/workflows/w/v1.json"), false},
			{"s3:PutObject", obj("requests/launch/l1.json"), false},
			{"s3:DeleteObject", obj("data/r1/train/1/outputs.json"), false},
			{"batch:SubmitJob", "arn:aws:batch:" + acct + ":job-queue/aloft-cpu", false},
			{"iam:PassRole", jobRole, false},
		},
		s.roleID(t, "TaskExecutionRole"): {
			{"ecr:BatchGetImage", "arn:aws:ecr:" + acct + ":repository/aloft-tasks", true},
			{"ecr:BatchGetImage", "arn:aws:ecr:" + acct + ":repository/other", false},
			{"logs:PutLogEvents", "arn:aws:logs:" + acct + ":log-group:/aws/batch/job:log-stream:x", true},
			{"logs:PutLogEvents", "arn:aws:logs:" + acct + ":log-group:/aws/lambda/aloft-advance:log-stream:x", false},
			{"s3:GetObject", obj("data/r1/train/1/inputs.json"), false},
		},
	}
	for role, checks := range roles {
		grants := roleGrants(t, s, role)
		for _, c := range checks {
			if got := allowed(grants, c.action, c.resource); got != c.want {
				t.Errorf("%s: %s on %s allowed = %v, want %v", role, c.action, c.resource, got, c.want)
			}
		}
	}
}
