package stack

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestOutputs(t *testing.T) {
	s := defaultStack(t)
	r := s.resolver(t)
	outs := s.doc["Outputs"].(map[string]any)
	value := func(key string) string {
		o, ok := outs[key].(map[string]any)
		if !ok {
			t.Fatalf("no output %s", key)
		}
		return r.str(o["Value"])
	}
	want := map[string]string{
		OutputBucketName:        testBucket,
		OutputStoreURI:          "s3://" + testBucket,
		OutputRegion:            testRegion,
		OutputQueueURL:          "https://sqs.us-east-1.amazonaws.com/123456789012/aloft-advance",
		OutputDeadLetterURL:     "https://sqs.us-east-1.amazonaws.com/123456789012/aloft-advance-dlq",
		OutputEventsDLQURL:      "https://sqs.us-east-1.amazonaws.com/123456789012/aloft-events-dlq",
		OutputJobQueueCPU:       "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-cpu",
		OutputJobQueueSpot:      "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-spot",
		OutputJobQueueGPU:       "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu",
		OutputRegistry:          "123456789012.dkr.ecr.us-east-1.amazonaws.com/" + s.logicalID(t, "AWS::ECR::Repository"),
		OutputAdvanceFunction:   "aloft-advance",
		OutputTriggerFunction:   "aloft-trigger",
		OutputRegistrarFunction: "aloft-registrar",
		OutputRulePrefix:        "aloft-lp-",
		OutputTaskLogGroup:      s.logicalIDPrefix(t, "AWS::Logs::LogGroup", "TaskLogs"),
		OutputJobQueueGPUSpot:   "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu-spot",
	}
	for key, w := range want {
		if got := value(key); got != w {
			t.Errorf("output %s = %q, want %q", key, got, w)
		}
	}
	for _, key := range []string{OutputJobRoleArn, OutputExecutionRoleArn} {
		if got := value(key); !strings.HasPrefix(got, "arn:aws:iam::123456789012:role/") {
			t.Errorf("output %s = %q", key, got)
		}
	}
}

// TestOutputsCoverCLIConfig: every output key internal/cliconfig reads
// (its Output* constants) is an output of the stack.
func TestOutputsCoverCLIConfig(t *testing.T) {
	keys := cliconfigOutputKeys(t)
	if len(keys) < 5 {
		t.Fatalf("found only %d Output* constants in internal/cliconfig", len(keys))
	}
	outs := defaultStack(t).doc["Outputs"].(map[string]any)
	for name, key := range keys {
		if _, ok := outs[key]; !ok {
			t.Errorf("cliconfig.%s = %q is not an output of the stack", name, key)
		}
	}
}

// cliconfigOutputKeys parses the string constants named Output* in the
// root module's internal/cliconfig (this module cannot import it).
func cliconfigOutputKeys(t *testing.T) map[string]string {
	t.Helper()
	const dir = "../../internal/cliconfig"
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	keys := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "Output") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						keys[n.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	return keys
}
