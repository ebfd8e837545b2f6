package stack

import (
	"fmt"
	"strings"
	"testing"
)

// resolver evaluates the few CloudFormation intrinsics the stack's
// template uses (Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split) as
// CloudFormation would in account testAccount, region testRegion, so tests
// can compare synthesized values with real-shaped events and ARNs.
type resolver struct {
	t   testing.TB
	res map[string]any
}

func (s synthed) resolver(t testing.TB) resolver {
	return resolver{t: t, res: s.doc["Resources"].(map[string]any)}
}

// str resolves v and requires a string.
func (r resolver) str(v any) string {
	r.t.Helper()
	s, ok := r.resolve(v).(string)
	if !ok {
		r.t.Fatalf("%v does not resolve to a string", v)
	}
	return s
}

// resolve returns v with every intrinsic replaced by its value.
func (r resolver) resolve(v any) any {
	r.t.Helper()
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = r.resolve(x)
		}
		return out
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				switch k {
				case "Ref":
					return r.ref(arg.(string))
				case "Fn::GetAtt":
					a := arg.([]any)
					return r.getAtt(a[0].(string), a[1].(string))
				case "Fn::Join":
					a := arg.([]any)
					var parts []string
					for _, p := range a[1].([]any) {
						parts = append(parts, r.str(p))
					}
					return strings.Join(parts, a[0].(string))
				case "Fn::Split":
					a := arg.([]any)
					parts := strings.Split(r.str(a[1]), a[0].(string))
					out := make([]any, len(parts))
					for i, p := range parts {
						out[i] = p
					}
					return out
				case "Fn::Select":
					a := arg.([]any)
					list := r.resolve(a[1]).([]any)
					return list[int(a[0].(float64))]
				}
				if strings.HasPrefix(k, "Fn::") {
					r.t.Fatalf("resolver: %s not supported", k)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = r.resolve(x)
		}
		return out
	}
	return v
}

func (r resolver) resource(id string) (typ string, p map[string]any) {
	r.t.Helper()
	res, ok := r.res[id].(map[string]any)
	if !ok {
		r.t.Fatalf("resolver: no resource %s", id)
	}
	return res["Type"].(string), props(res)
}

func (r resolver) named(p map[string]any, key, id string) string {
	r.t.Helper()
	name, ok := p[key].(string)
	if !ok {
		r.t.Fatalf("resolver: %s has no literal %s", id, key)
	}
	return name
}

// nameOr is the literal property key of a resource, or its logical id
// when CloudFormation generates the name.
func (r resolver) nameOr(p map[string]any, key, id string) string {
	if name, ok := p[key].(string); ok {
		return name
	}
	return id
}

func (r resolver) ref(id string) any {
	r.t.Helper()
	switch id {
	case "AWS::Region":
		return testRegion
	case "AWS::AccountId":
		return testAccount
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return DefaultStackName
	}
	typ, p := r.resource(id)
	switch typ {
	case "AWS::S3::Bucket":
		return r.named(p, "BucketName", id)
	case "AWS::Lambda::Function":
		return r.named(p, "FunctionName", id)
	case "AWS::SQS::Queue":
		return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", testRegion, testAccount, r.named(p, "QueueName", id))
	case "AWS::Batch::JobQueue":
		return fmt.Sprintf("arn:aws:batch:%s:%s:job-queue/%s", testRegion, testAccount, r.named(p, "JobQueueName", id))
	case "AWS::ECR::Repository":
		return r.nameOr(p, "RepositoryName", id)
	case "AWS::Logs::LogGroup":
		return r.nameOr(p, "LogGroupName", id)
	case "AWS::SNS::Topic":
		return fmt.Sprintf("arn:aws:sns:%s:%s:%s", testRegion, testAccount, id)
	case "AWS::Events::Rule":
		return id
	case "AWS::IAM::Role", "AWS::Batch::ComputeEnvironment", "AWS::EC2::Subnet", "AWS::EC2::VPC", "AWS::EC2::SecurityGroup":
		return "ref:" + id
	}
	r.t.Fatalf("resolver: Ref of %s (%s) not supported", id, typ)
	return nil
}

func (r resolver) getAtt(id, attr string) any {
	r.t.Helper()
	typ, p := r.resource(id)
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, testRegion, testAccount, rest)
	}
	switch typ + "." + attr {
	case "AWS::S3::Bucket.Arn":
		return "arn:aws:s3:::" + r.named(p, "BucketName", id)
	case "AWS::Lambda::Function.Arn":
		return arn("lambda", "function:"+r.named(p, "FunctionName", id))
	case "AWS::SQS::Queue.Arn":
		return arn("sqs", r.named(p, "QueueName", id))
	case "AWS::SQS::Queue.QueueUrl":
		return r.ref(id)
	case "AWS::SQS::Queue.QueueName":
		return r.named(p, "QueueName", id)
	case "AWS::Batch::JobQueue.JobQueueArn":
		return r.ref(id)
	case "AWS::IAM::Role.Arn":
		return fmt.Sprintf("arn:aws:iam::%s:role/%s", testAccount, id)
	case "AWS::ECR::Repository.Arn":
		return arn("ecr", "repository/"+r.nameOr(p, "RepositoryName", id))
	case "AWS::Logs::LogGroup.Arn":
		return arn("logs", "log-group:"+r.nameOr(p, "LogGroupName", id)+":*")
	case "AWS::Events::Rule.Arn":
		return arn("events", "rule/"+id)
	}
	r.t.Fatalf("resolver: GetAtt %s.%s (%s) not supported", id, attr, typ)
	return nil
}
