package localstack

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aloft-run/aloft/batchrunner/awsbatch/batchtest"
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/internal/testpeers"
	"github.com/aloft-run/aloft/notify"
	"github.com/aloft-run/aloft/store/s3store"
)

// The deployment the suite stands up: the names the CDK stack would give.
const (
	region       = "us-east-1"
	account      = "123456789012"
	advanceQueue = "aloft-advance"
	triggerARN   = "arn:aws:lambda:us-east-1:123456789012:function:aloft-trigger"
	jobRoleARN   = "arn:aws:iam::123456789012:role/aloft-task-role"
	execRoleARN  = "arn:aws:iam::123456789012:role/aloft-execution-role"
	topicARN     = "arn:aws:sns:us-east-1:123456789012:aloft-notifications"
	// Visibility timeout of the advance queue: a message advance reported
	// failed comes back this soon.
	visibilityTimeout = "2"
	sweepEvery        = 3 * time.Second
)

// jobQueues are the Batch job queues advance submits to; the Batch double
// reports them in its events, and the Batch rule matches them.
var jobQueues = struct{ CPU, Spot, GPU string }{
	CPU:  "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-cpu",
	Spot: "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-spot",
	GPU:  "arn:aws:batch:us-east-1:123456789012:job-queue/aloft-gpu",
}

// Environment variables that point the suite at LocalStack (or another
// deployment of the same services) instead of starting peers.
const (
	envEndpoint = "ALOFT_E2E_ENDPOINT" // e.g. http://localhost:4566: S3, SQS and EventBridge there
	envBucket   = "ALOFT_E2E_BUCKET"   // default aloft-e2e (localstack/init creates it)
)

// LocalStack's stand-ins for the Lambda targets of the S3 rules, and the
// suite's uploads rule (localstack/init/ready.d/aloft.sh makes them).
const (
	triggerQueue   = "aloft-e2e-trigger"
	registrarQueue = "aloft-e2e-registrar"
	uploadsQueue   = "aloft-e2e-uploads"
)

// suite is the environment every test shares: started once by TestMain.
type suite struct {
	log        *flowLog
	localstack bool // endpoints from ALOFT_E2E_ENDPOINT, not peers
	root       string
	bins       string // advance, trigger, registrar, aloft-runner
	bucket     string

	s3     *s3.Client
	store  *s3store.Store
	sqs    *sqs.Client
	events *eventbridge.Client
	eb     *eventBridge // the EventBridge double; nil under LocalStack
	topic  *snsTopic    // the SNS double; nil under LocalStack
	batch  *batchtest.Server
	router *router
	fns    map[string]*lambdaFn
	images *imageRegistry

	queueURL string
}

// endpoints are where the suite's services answer.
type endpoints struct {
	s3, sqs, events   string
	sns               string // "" under LocalStack: no notification topic
	accessKey, secret string
	queueURLs         map[string]string // by queue name
	webhook           *httptest.Server  // receives versitygw's records
}

func startSuite(tb *mainTB, verbose bool) (*suite, error) {
	s := &suite{log: newFlowLog(verbose), fns: map[string]*lambdaFn{}}
	root, err := testpeers.RepoRoot()
	if err != nil {
		return nil, err
	}
	s.root = root
	rie, err := riePath(root)
	if err != nil {
		return nil, err
	}
	if err := checkPython(); err != nil {
		return nil, err
	}
	if s.bins, err = buildBinaries(tb, root); err != nil {
		return nil, err
	}
	s.log.printf("built the function binaries and aloft-runner in %s", time.Since(s.log.start).Round(time.Millisecond))

	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	s.images = newImageRegistry()
	tb.Cleanup(s.images.Close)

	var ep endpoints
	s.bucket = "aloft-e2e"
	if e := os.Getenv(envEndpoint); e != "" {
		s.localstack = true
		if b := os.Getenv(envBucket); b != "" {
			s.bucket = b
		}
		ep = endpoints{s3: e, sqs: e, events: e, accessKey: "test", secret: "test"}
	} else {
		// The router must answer the gateway's first (test) post.
		s.router = newRouter(s.log, s.bucket, functions.RulePatterns(s.bucket, jobQueueList()), nil, "")
		ep.webhook = httptest.NewServer(s.router)
		tb.Cleanup(ep.webhook.Close)
		gw := testpeers.StartVersityGW(tb, testpeers.VersityOptions{Buckets: []string{s.bucket}, EventWebhookURL: ep.webhook.URL})
		fq := testpeers.StartFauxqs(tb, testpeers.FauxqsOptions{})
		s.eb = newEventBridge()
		tb.Cleanup(s.eb.Close)
		s.topic = newSNSTopic()
		tb.Cleanup(s.topic.Close)
		ep.s3, ep.sqs, ep.events, ep.sns = gw.Endpoint, fq.Endpoint, s.eb.URL(), s.topic.URL()
		ep.accessKey, ep.secret = gw.AccessKey, gw.SecretKey
		ep.queueURLs = map[string]string{
			advanceQueue: fq.CreateQueue(tb, advanceQueue, map[string]string{"VisibilityTimeout": visibilityTimeout}),
		}
		s.log.printf("peers: versitygw %s, fauxqs %s, eventbridge double %s", gw.Endpoint, fq.Endpoint, s.eb.URL())
	}
	cfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(ep.accessKey, ep.secret, "")}
	s.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(ep.s3), true })
	s.sqs = sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(ep.sqs) })
	s.events = eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(ep.events) })
	if s.store, err = s3store.Open(ctx, s.bucket, "", s3store.WithClient(s.s3)); err != nil {
		return nil, err
	}
	if s.localstack {
		if ep.queueURLs, err = s.prepareLocalStack(ctx); err != nil {
			return nil, err
		}
		s.router = newRouter(s.log, s.bucket, functions.RulePatterns(s.bucket, jobQueueList()), nil, "")
	}
	s.queueURL = ep.queueURLs[advanceQueue]
	s.router.sqs, s.router.queueURL = s.sqs, s.queueURL

	// The Batch double runs jobs with the real runner, reaching the bucket.
	awsEnv := []string{
		"AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region,
		"AWS_ACCESS_KEY_ID=" + ep.accessKey, "AWS_SECRET_ACCESS_KEY=" + ep.secret, "AWS_SESSION_TOKEN=",
		"AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_S3=" + ep.s3,
	}
	s.batch = batchtest.New(batchtest.Options{
		Runner: filepath.Join(s.bins, "aloft-runner"),
		// Decision 9: the Python with pandas, scikit-learn and xgboost first.
		Env:         append(append([]string{}, awsEnv...), "PATH=/usr/bin:"+os.Getenv("PATH")),
		Log:         lineWriter(s.log.lines("job ")),
		OnEvent:     s.router.batchEvent(ctx),
		Concurrency: 2,
	})
	tb.Cleanup(s.batch.Close)

	fnEnv := append(append([]string{}, awsEnv...),
		"AWS_ENDPOINT_URL_SQS="+ep.sqs, "AWS_ENDPOINT_URL_EVENTBRIDGE="+ep.events, "AWS_ENDPOINT_URL_BATCH="+s.batch.URL,
		"ALOFT_STORE=s3://"+s.bucket, "ALOFT_QUEUE_URL="+s.queueURL,
		"ALOFT_JOB_QUEUE_CPU="+jobQueues.CPU, "ALOFT_JOB_QUEUE_SPOT="+jobQueues.Spot, "ALOFT_JOB_QUEUE_GPU="+jobQueues.GPU,
		"ALOFT_JOB_ROLE_ARN="+jobRoleARN, "ALOFT_EXECUTION_ROLE_ARN="+execRoleARN, "ALOFT_TRIGGER_ARN="+triggerARN,
	)
	if ep.sns != "" {
		fnEnv = append(fnEnv, "AWS_ENDPOINT_URL_SNS="+ep.sns, notify.EnvTopicARN+"="+topicARN)
	}
	for _, f := range []struct{ name, bin string }{
		{"advance", "advance"}, {"sweep", "advance"}, {"trigger", "trigger"}, {"registrar", "registrar"},
	} {
		fn, err := startLambda(rie, f.name, filepath.Join(s.bins, f.bin), s.bins, fnEnv, s.log)
		if err != nil {
			return nil, err
		}
		tb.Cleanup(fn.stop)
		s.fns[f.name] = fn
	}
	r := s.router
	r.advance, r.sweeper = s.fns["advance"], s.fns["sweep"]
	r.trigger, r.registrar = newAsyncTarget(s.fns["trigger"], s.log), newAsyncTarget(s.fns["registrar"], s.log)
	go r.trigger.run(ctx)
	go r.registrar.run(ctx)
	go r.pollQueue(ctx, s.queueURL, r.advanceBatch)
	go r.sweep(ctx, sweepEvery)
	tb.Cleanup(cancel) // runs first: the router stops before what it talks to
	if s.localstack {
		go r.drainQueue(ctx, ep.queueURLs[triggerQueue], r.trigger)
		go r.drainQueue(ctx, ep.queueURLs[registrarQueue], r.registrar)
		go r.countQueue(ctx, ep.queueURLs[uploadsQueue])
	} else {
		go r.routeRecords(ctx)
	}
	s.log.printf("suite ready in %s (%s)", time.Since(s.log.start).Round(time.Millisecond), s.mode())
	return s, nil
}

func (s *suite) mode() string {
	if s.localstack {
		return "LocalStack at " + os.Getenv(envEndpoint)
	}
	return "peers"
}

func jobQueueList() []string { return []string{jobQueues.CPU, jobQueues.Spot, jobQueues.GPU} }

// prepareLocalStack finds the queues localstack/init made, and empties them
// and the bucket of what an earlier run left.
func (s *suite) prepareLocalStack(ctx context.Context) (map[string]string, error) {
	urls := map[string]string{}
	for _, q := range []string{advanceQueue, triggerQueue, registrarQueue, uploadsQueue} {
		out, err := s.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(q)})
		if err != nil {
			return nil, fmt.Errorf("queue %s (did localstack/init/ready.d/aloft.sh run? `make localstack-up`): %w", q, err)
		}
		urls[q] = aws.ToString(out.QueueUrl)
		if _, err := s.sqs.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: out.QueueUrl}); err != nil {
			return nil, fmt.Errorf("purge queue %s: %w", q, err)
		}
	}
	p := s3.NewListObjectsV2Paginator(s.s3, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("bucket %s (did localstack/init/ready.d/aloft.sh run?): %w", s.bucket, err)
		}
		var ids []s3types.ObjectIdentifier
		for _, o := range page.Contents {
			ids = append(ids, s3types.ObjectIdentifier{Key: o.Key})
		}
		if len(ids) > 0 {
			if _, err := s.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(s.bucket), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}}); err != nil {
				return nil, fmt.Errorf("empty bucket %s: %w", s.bucket, err)
			}
		}
	}
	return urls, nil
}

// riePath finds aws-lambda-rie: $ALOFT_LAMBDA_RIE, <repo>/.tools/bin, PATH.
func riePath(root string) (string, error) {
	if p := os.Getenv("ALOFT_LAMBDA_RIE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$ALOFT_LAMBDA_RIE: %w", err)
		}
		return p, nil
	}
	if p := filepath.Join(root, ".tools", "bin", "aws-lambda-rie"); fileExists(p) {
		return p, nil
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	return "", errNoRIE
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// checkPython checks that the diabetes tasks can run (Decision 9).
func checkPython() error {
	out, err := exec.Command("/usr/bin/python3", "-c", "import pandas, sklearn, xgboost").CombinedOutput()
	if err != nil {
		return fmt.Errorf("/usr/bin/python3 cannot import pandas, sklearn and xgboost (examples/diabetes/check_deps.sh installs them): %v\n%s", err, out)
	}
	return nil
}

// buildBinaries builds the three functions (as `make functions` does, for
// this machine) and the runner.
func buildBinaries(tb *mainTB, root string) (string, error) {
	dir := tb.TempDir()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", dir+string(filepath.Separator),
		"./functions/advance", "./functions/trigger", "./functions/registrar", "./cmd/aloft-runner")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the function binaries and aloft-runner: %v\n%s", err, out)
	}
	for _, b := range []string{"advance", "trigger", "registrar", "aloft-runner"} {
		if !fileExists(filepath.Join(dir, b)) {
			return "", errors.New("go build made no " + b)
		}
	}
	return dir, nil
}

// lineWriter is an io.Writer that hands each line to f.
func lineWriter(f func(string)) *tailBuffer { return &tailBuffer{max: 1, tee: f} }

// the one suite, nil under -short.
var env *suite

// need returns the suite, skipping the test under -short.
func need(t *testing.T) *suite {
	t.Helper()
	if env == nil {
		t.Skip("end-to-end suite: skipped under -short")
	}
	return env
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	tb := &mainTB{}
	s, err := startSuite(tb, testing.Verbose())
	if err != nil {
		tb.Fatal(err)
	}
	env = s
	code := m.Run()
	background.Wait()
	if failures := s.router.Failures(); len(failures) > 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "the suite's router failed: %s\n", strings.Join(failures, "\n"))
		code = 1
	}
	if code != 0 {
		tb.setFailed()
		if !testing.Verbose() {
			fmt.Fprintf(os.Stderr, "--- what flowed (last 256 KiB):\n%s", s.log.buf.String())
		}
		for name, fn := range s.fns {
			fmt.Fprintf(os.Stderr, "--- %s output (tail):\n%s\n", name, fn.out.String())
		}
	}
	tb.close()
	os.Exit(code)
}
