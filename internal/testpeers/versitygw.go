package testpeers

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// VersityOptions configures StartVersityGW; the zero value is a gateway
// with no buckets.
type VersityOptions struct {
	// Buckets are created before StartVersityGW returns.
	Buckets []string
	// EventWebhookURL, if set, is passed as --event-webhook-url: the gateway
	// POSTs S3-shaped event records ({"Records": [{"eventName":
	// "s3:ObjectCreated:Put", "s3": {"bucket": {"name": ...}, "object":
	// {"key": ..., "size": ..., "eTag": ...}}}]}) there for every write and
	// delete, one record per POST, from goroutines (so not necessarily in
	// order). The URL must already answer when StartVersityGW is called: the
	// gateway posts an {"Event": "s3:TestEvent"} first and does not start if
	// the connection is refused.
	EventWebhookURL string
	// Versioning starts the gateway with a versioning directory and enables
	// versioning on the Buckets.
	Versioning bool
	// AccessKey and SecretKey are the root credentials (default "aloft" and
	// "aloft-secret"); Region defaults to us-east-1.
	AccessKey, SecretKey, Region string
}

// VersityGW is a running versitygw with the posix backend: each bucket is a
// directory under DataDir, each object a file in it.
type VersityGW struct {
	Endpoint      string // "http://127.0.0.1:PORT"
	AccessKey     string
	SecretKey     string
	Region        string
	DataDir       string
	VersioningDir string // "" unless VersityOptions.Versioning
}

// VersityGWPath returns the versitygw binary to run: $ALOFT_VERSITYGW, else
// <repo>/.tools/bin/versitygw, else versitygw on PATH.
func VersityGWPath() (string, error) {
	return findTool("versitygw", "ALOFT_VERSITYGW", ".tools/bin/versitygw", "versitygw", nil)
}

// StartVersityGW starts versitygw on a free port of 127.0.0.1 with a fresh
// data directory, waits until it answers, creates opts.Buckets, and stops
// it when the test ends. It fails the test if versitygw is not installed.
func StartVersityGW(t testing.TB, opts VersityOptions) *VersityGW {
	t.Helper()
	bin, err := VersityGWPath()
	if err != nil {
		t.Fatal(err)
	}
	g := &VersityGW{
		AccessKey: cmp.Or(opts.AccessKey, "aloft"),
		SecretKey: cmp.Or(opts.SecretKey, "aloft-secret"),
		Region:    cmp.Or(opts.Region, "us-east-1"),
	}
	dir := t.TempDir()
	g.DataDir = filepath.Join(dir, "data")
	if err := os.Mkdir(g.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if opts.Versioning {
		g.VersioningDir = filepath.Join(dir, "versions")
		if err := os.Mkdir(g.VersioningDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A port found free may be taken before the gateway binds it: try again.
	var lastErr error
	for range 3 {
		if lastErr = g.start(t, bin, opts); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatal(lastErr)
	}
	ctx := context.Background()
	client := g.S3Client()
	for _, b := range opts.Buckets {
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("versitygw: create bucket %s: %v", b, err)
		}
		if opts.Versioning {
			_, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
				Bucket:                  aws.String(b),
				VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
			})
			if err != nil {
				t.Fatalf("versitygw: enable versioning on %s: %v", b, err)
			}
		}
	}
	return g
}

// start runs the gateway once, on a port found free, and waits for it.
func (g *VersityGW) start(t testing.TB, bin string, opts VersityOptions) error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("versitygw: find a free port: %w", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{
		"--access", g.AccessKey, "--secret", g.SecretKey,
		"--region", g.Region, "--port", addr, "--quiet",
	}
	if opts.EventWebhookURL != "" {
		args = append(args, "--event-webhook-url", opts.EventWebhookURL)
	}
	args = append(args, "posix")
	if g.VersioningDir != "" {
		args = append(args, "--versioning-dir", g.VersioningDir)
	}
	args = append(args, g.DataDir)
	cmd := exec.Command(bin, args...)
	// The gateway reads settings from VGW_* and ROOT_* variables too; keep
	// the caller's out, so only the flags above configure it.
	cmd.Env = filterEnv(os.Environ(), "VGW_", "ROOT_")
	p, err := startProcess(t, "versitygw", cmd, nil)
	if err != nil {
		return err
	}
	endpoint := "http://" + addr
	if err := waitHTTP(endpoint, p, 20*time.Second); err != nil {
		p.stop()
		return fmt.Errorf("versitygw did not start on %s: %w", addr, err)
	}
	g.Endpoint = endpoint
	return nil
}

// waitHTTP polls url until it answers any HTTP response, p exits or the
// timeout passes.
func waitHTTP(url string, p *process, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	return p.waitUntil(timeout, func() error {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
}

// Config returns an AWS configuration for the gateway: its region, its root
// credentials and its endpoint as BaseEndpoint. S3 clients made from it
// need UsePathStyle (S3Client sets it).
func (g *VersityGW) Config() aws.Config {
	return awsConfig(g.Region, g.AccessKey, g.SecretKey, g.Endpoint)
}

// S3Client returns a path-style S3 client for the gateway.
func (g *VersityGW) S3Client(optFns ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(g.Config(), append([]func(*s3.Options){func(o *s3.Options) { o.UsePathStyle = true }}, optFns...)...)
}

// BucketDir returns the directory that holds bucket's objects.
func (g *VersityGW) BucketDir(bucket string) string {
	return filepath.Join(g.DataDir, bucket)
}

// filterEnv returns env without the variables whose names start with one
// of prefixes.
func filterEnv(env []string, prefixes ...string) []string {
	var kept []string
	for _, kv := range env {
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(kv, p) }) {
			kept = append(kept, kv)
		}
	}
	return kept
}
