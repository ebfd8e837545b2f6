package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The fixtures in ../../functions/testdata/events use this bucket, account
// and region, and job queues aloft-cpu|spot|gpu. Tests synthesize the stack
// with that bucket name and the default stack name "aloft" (so the job
// queues are named aloft-cpu...), and the resolver in cfn_test.go
// substitutes the account and region for the template's pseudo parameters.
const (
	testBucket  = "aloft-test-bucket"
	testAccount = "123456789012"
	testRegion  = "us-east-1"
)

// functionsDir holds dummy bootstrap files: the stack only zips them.
var functionsDir string

// TestMain closes the jsii kernel (a node process) when the tests end.
// Node 20's end-of-life banner is silenced by the environment of the test
// binary (cdk/Makefile exports JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION);
// setting it from here did not reach the kernel in our runs.
func TestMain(m *testing.M) {
	code := func() int {
		defer jsii.Close()
		tmp, err := os.MkdirTemp("", "aloft-cdk-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmp)
		os.Setenv("CDK_OUTDIR", filepath.Join(tmp, "cdk.out"))
		functionsDir = filepath.Join(tmp, "functions")
		if err := writeDummyFunctions(functionsDir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

func writeDummyFunctions(dir string) error {
	for _, fn := range Functions {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("#!/bin/sh\n# dummy "+fn+"\n"), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// testProps are the props every test starts from.
func testProps() Props {
	return Props{BucketName: testBucket, FunctionsDir: functionsDir}
}

// synthed is a synthesized stack: the assertions view and the raw template.
type synthed struct {
	tmpl assertions.Template
	doc  map[string]any
}

// synth synthesizes the stack for p in a fresh app with its own outdir.
func synth(t testing.TB, p Props) synthed {
	t.Helper()
	return synthWithContext(t, p, nil)
}

// synthWithContext synthesizes with CDK context values (lookup answers).
func synthWithContext(t testing.TB, p Props, ctx map[string]any) synthed {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &ctx})
	st, err := New(app, p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tmpl := assertions.Template_FromStack(st, nil)
	// Round-trip through JSON so the template holds only plain values.
	b, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return synthed{tmpl: tmpl, doc: doc}
}

var (
	defaultOnce sync.Once
	defaultSyn  synthed
	defaultErr  any
)

// defaultStack is the stack for testProps, synthesized once per test run.
func defaultStack(t testing.TB) synthed {
	t.Helper()
	defaultOnce.Do(func() {
		defer func() { defaultErr = recover() }()
		defaultSyn = synth(t, testProps())
	})
	if defaultErr != nil {
		t.Fatalf("synthesizing the default stack: %v", defaultErr)
	}
	return defaultSyn
}

// resources returns the template's resources of type typ by logical id.
func (s synthed) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.doc["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// props returns a resource's Properties (empty when it has none).
func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	if p == nil {
		p = map[string]any{}
	}
	return p
}

// fn returns the logical id and resource of the function named name.
func (s synthed) fn(t testing.TB, name string) (string, map[string]any) {
	t.Helper()
	for id, r := range s.resources("AWS::Lambda::Function") {
		if props(r)["FunctionName"] == name {
			return id, r
		}
	}
	t.Fatalf("no function named %s", name)
	return "", nil
}

// logicalID returns the logical id of the only resource of type typ.
func (s synthed) logicalID(t testing.TB, typ string) string {
	t.Helper()
	res := s.resources(typ)
	if len(res) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(res), typ)
	}
	for id := range res {
		return id
	}
	return ""
}

// logicalIDPrefix returns the logical id of the only resource of type typ
// whose id starts with prefix (CDK appends a hash to construct ids).
func (s synthed) logicalIDPrefix(t testing.TB, typ, prefix string) string {
	t.Helper()
	var out []string
	for id := range s.resources(typ) {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d %s resources with id prefix %s, want 1", len(out), typ, prefix)
	}
	return out[0]
}

// one returns the only resource of type typ whose property key equals value.
func (s synthed) one(t testing.TB, typ, key string, value any) (string, map[string]any) {
	t.Helper()
	var id string
	var res map[string]any
	for k, r := range s.resources(typ) {
		if fmt.Sprint(props(r)[key]) == fmt.Sprint(value) {
			if res != nil {
				t.Fatalf("two %s with %s=%v", typ, key, value)
			}
			id, res = k, r
		}
	}
	if res == nil {
		t.Fatalf("no %s with %s=%v", typ, key, value)
	}
	return id, res
}
