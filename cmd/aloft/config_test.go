package main

import (
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aloft-run/aloft/internal/cliconfig"
	"github.com/aloft-run/aloft/store/s3store"
	"github.com/aws/aws-sdk-go-v2/aws"
)

// describeStacksXML is CloudFormation's (AWS query protocol) answer to
// DescribeStacks for a deployed aloft stack.
const describeStacksXML = `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackName>aloft-prod</StackName>
        <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/aloft-prod/1</StackId>
        <StackStatus>CREATE_COMPLETE</StackStatus>
        <CreationTime>2026-01-02T03:04:05Z</CreationTime>
        <Outputs>
          <member><OutputKey>StoreURI</OutputKey><OutputValue>s3://aloft-prod-bucket</OutputValue></member>
          <member><OutputKey>Region</OutputKey><OutputValue>eu-west-1</OutputValue></member>
          <member><OutputKey>AdvanceQueueURL</OutputKey><OutputValue>https://sqs.eu-west-1.amazonaws.com/123456789012/advance</OutputValue></member>
          <member><OutputKey>JobQueueCPU</OutputKey><OutputValue>arn:q/cpu</OutputValue></member>
          <member><OutputKey>JobQueueSpot</OutputKey><OutputValue>arn:q/spot</OutputValue></member>
          <member><OutputKey>JobQueueGPU</OutputKey><OutputValue>arn:q/gpu</OutputValue></member>
          <member><OutputKey>TaskRepositoryURI</OutputKey><OutputValue>123456789012.dkr.ecr.eu-west-1.amazonaws.com/aloft-tasks</OutputValue></member>
          <member><OutputKey>AdvanceFunctionName</OutputKey><OutputValue>aloft-advance</OutputValue></member>
          <member><OutputKey>TriggerFunctionName</OutputKey><OutputValue>aloft-trigger</OutputValue></member>
          <member><OutputKey>RegistrarFunctionName</OutputKey><OutputValue>aloft-registrar</OutputValue></member>
        </Outputs>
      </member>
    </Stacks>
  </DescribeStacksResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>
</DescribeStacksResponse>`

func TestConfigFromStackAndShow(t *testing.T) {
	t.Parallel()
	var asked url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		asked, _ = url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, describeStacksXML)
	}))
	defer srv.Close()
	s := newSandbox(t)
	s.env.Config = filepath.Join(s.dir, "cfg", "config.json")
	s.env.AWS = func(context.Context) (aws.Config, error) {
		return aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(srv.URL)}, nil
	}

	r := aloft(t, s.env, "config", "show").check(t, exitOK)
	if r.out != "" || !strings.Contains(r.err, "no config file at "+s.env.Config) {
		t.Errorf("show without a file: %q %q", r.out, r.err)
	}
	r = aloft(t, s.env, "config", "from-stack", "aloft-prod").check(t, exitOK)
	if asked.Get("Action") != "DescribeStacks" || asked.Get("StackName") != "aloft-prod" {
		t.Errorf("asked CloudFormation %v", asked)
	}
	if !strings.HasPrefix(r.out, "wrote "+s.env.Config+":\n") || !hasRow(r.out, "store", "s3://aloft-prod-bucket") || !hasRow(r.out, "job", "queue", "spot", "arn:q/spot") {
		t.Errorf("from-stack:\n%s", r.out)
	}
	c, err := cliconfig.Load(s.env.Config)
	if err != nil || c.Store != "s3://aloft-prod-bucket" || c.Region != "eu-west-1" || c.Stack != "aloft-prod" || c.Functions.Trigger != "aloft-trigger" {
		t.Errorf("saved config: %+v %v", c, err)
	}
	r = aloft(t, s.env, "config", "show").check(t, exitOK)
	if !hasRow(r.out, "store", "s3://aloft-prod-bucket") || !hasRow(r.out, "region", "eu-west-1") {
		t.Errorf("show:\n%s", r.out)
	}
	aloft(t, s.env, "config", "from-stack").check(t, exitUsage)
	aloft(t, s.env, "config").check(t, exitUsage)
}

func TestStoreFromConfigFile(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.env.Config = filepath.Join(s.dir, "config.json")
	configured := filepath.Join(s.dir, "configured")
	if err := cliconfig.Save(s.env.Config, cliconfig.Config{Store: "file://" + filepath.ToSlash(configured)}); err != nil {
		t.Fatal(err)
	}
	// No --store, no $ALOFT_STORE: the config file's store.
	aloft(t, s.env, "register", helloSpec, "--version", "v1").check(t, exitOK)
	if _, err := os.Stat(filepath.Join(configured, "registry", "default", "development", "workflows", "hello", "v1.json")); err != nil {
		t.Errorf("register did not use the config file's store: %v", err)
	}
	// $ALOFT_STORE wins over the file; --store over both.
	env := s.env
	env.Store = "fromenv"
	aloft(t, env, "register", helloSpec, "--version", "v1").check(t, exitOK)
	aloft(t, env, "register", helloSpec, "--version", "v1", "--store", "fromflag").check(t, exitOK)
	for _, d := range []string{"fromenv", "fromflag"} {
		if _, err := os.Stat(filepath.Join(s.dir, d, "registry")); err != nil {
			t.Errorf("%s not used: %v", d, err)
		}
	}
	// aloft run keeps to a local directory: not the (deployed) config store.
	aloft(t, s.env, "run", s.write(t, "wf.yaml", pipeSpec), "--quiet", "--input", "marker=m").check(t, exitOK)
	if _, err := os.Stat(filepath.Join(s.dir, ".aloft", "bucket", "index")); err != nil {
		t.Errorf("run did not use .aloft/bucket: %v", err)
	}
	r := aloft(t, s.env, "run", s.write(t, "wf.yaml", pipeSpec), "--store", "s3://b", "--input", "marker=m").check(t, exitUsage)
	if !strings.Contains(r.err, "aloft register and aloft launch") {
		t.Errorf("run --store s3://: %q", r.err)
	}
	// A malformed config file is reported, not ignored.
	if err := os.WriteFile(s.env.Config, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = aloft(t, s.env, "executions", "list").check(t, exitFailed)
	if !strings.Contains(r.err, "parse aloft config") {
		t.Errorf("malformed config: %q", r.err)
	}
}

func TestConfigStoreOpensInTheStackRegion(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.env.Config = filepath.Join(s.dir, "config.json")
	if err := cliconfig.Save(s.env.Config, cliconfig.Config{Store: "s3://aloft-bucket/team", Region: "ap-south-2"}); err != nil {
		t.Fatal(err)
	}
	var sf storeFlags
	sf.register(flag.NewFlagSet("t", flag.ContinueOnError))
	st, err := sf.openExisting(s.env)
	if err != nil {
		t.Fatal(err)
	}
	s3, ok := st.(*s3store.Store)
	if !ok || s3.Bucket() != "aloft-bucket" || s3.Prefix() != "team/" || s3.Client().Options().Region != "ap-south-2" {
		t.Errorf("opened %T %s", st, st.URI(""))
	}
}
