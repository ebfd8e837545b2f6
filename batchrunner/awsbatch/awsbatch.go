package awsbatch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/batch"
	"golang.org/x/time/rate"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/store"
)

var (
	_ batchrunner.Dispatcher     = (*Dispatcher)(nil)
	_ batchrunner.ArraySubmitter = (*Dispatcher)(nil)
	_ Client                     = (*batch.Client)(nil)
)

// RunnerPath is where a task image holds aloft-runner; it is the image's
// ENTRYPOINT, so a job's command is only the runner's arguments.
const RunnerPath = "/aloft/bin/aloft-runner"

// runnerContract names the way jobs call the runner (the ENTRYPOINT above,
// then --store and --attempt or --array). It is part of the job definitions'
// content address: changing it makes new definitions.
const runnerContract = "aloft-runner/v1 " + RunnerPath + " --store STORE (--attempt PREFIX | --array MANIFEST)"

// Client is the part of the AWS Batch API the dispatcher calls; *batch.Client
// satisfies it.
type Client interface {
	RegisterJobDefinition(ctx context.Context, in *batch.RegisterJobDefinitionInput, optFns ...func(*batch.Options)) (*batch.RegisterJobDefinitionOutput, error)
	DescribeJobDefinitions(ctx context.Context, in *batch.DescribeJobDefinitionsInput, optFns ...func(*batch.Options)) (*batch.DescribeJobDefinitionsOutput, error)
	SubmitJob(ctx context.Context, in *batch.SubmitJobInput, optFns ...func(*batch.Options)) (*batch.SubmitJobOutput, error)
	DescribeJobs(ctx context.Context, in *batch.DescribeJobsInput, optFns ...func(*batch.Options)) (*batch.DescribeJobsOutput, error)
	TerminateJob(ctx context.Context, in *batch.TerminateJobInput, optFns ...func(*batch.Options)) (*batch.TerminateJobOutput, error)
}

// Queues are the job queues (names or ARNs) a job is sent to by its task's
// needs.
type Queues struct {
	CPU  string // on-demand CPU: every task that needs neither of the others
	Spot string // interruptible tasks; default CPU
	GPU  string // tasks that request GPUs (always EC2); none: such tasks fail with a permanent error
	// GPUSpot takes interruptible GPU tasks (EC2 spot); default GPU.
	GPUSpot string
}

// Defaults of the naming settings.
const (
	DefaultJobDefinitionPrefix = "aloft-"
	DefaultManagedTag          = "true"
)

// Config is what a Dispatcher needs. Client, Bucket, Store and Queues.CPU are
// required; the rest have defaults.
type Config struct {
	Client Client
	// Bucket is the store: the dispatcher reads each attempt's inputs.json
	// (for the project and domain tags), writes array manifests, and writes
	// error.json for attempts no job could run.
	Bucket store.Store
	// Store is the bucket as the runner opens it: its --store argument,
	// "s3://bucket[/prefix]".
	Store            string
	Queues           Queues
	JobRoleARN       string // the role task containers run as
	ExecutionRoleARN string // the ECS execution role (image pulls, logs); required on Fargate
	// Platform runs CPU and spot jobs on Fargate (default) or EC2. GPU jobs
	// always run on EC2.
	Platform string
	// AssignPublicIP is the Fargate jobs' assignPublicIp: ENABLED (default:
	// public subnets without NAT need it to pull images) or DISABLED
	// (private subnets with a NAT gateway or VPC endpoints).
	AssignPublicIP string
	// LogGroup is the CloudWatch log group task containers write to (the
	// stack's, with a retention); empty leaves Batch's default
	// /aws/batch/job, which never expires.
	LogGroup string
	// JobDefinitionPrefix names the job definitions this dispatcher
	// registers (the stack's IAM grants are scoped to it); default
	// DefaultJobDefinitionPrefix.
	JobDefinitionPrefix string
	// ManagedTag is the value of the TagManaged tag on every job and job
	// definition (the stack conditions TerminateJob and CancelJob on it);
	// default DefaultManagedTag.
	ManagedTag string

	// Limiter paces SubmitJob calls from this process; default 40 a second
	// with bursts of 10 (AWS allows about 50 a second per account and region).
	Limiter *rate.Limiter
	// MaxRetries is how many times a throttled or failed-on-the-server call is
	// retried with exponential backoff and full jitter; default 8.
	MaxRetries int
	// Backoff is the first retry's ceiling, doubled for each further retry up
	// to MaxBackoff; defaults 100ms and 5s.
	Backoff, MaxBackoff time.Duration
	// Sleep waits between retries; default a timer that gives up when ctx ends.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// The values of Config.AssignPublicIP.
const (
	PublicIPEnabled  = "ENABLED"
	PublicIPDisabled = "DISABLED"
)

// withNameDefaults fills in the settings that names and tags depend on.
func (cfg Config) withNameDefaults() Config {
	if cfg.JobDefinitionPrefix == "" {
		cfg.JobDefinitionPrefix = DefaultJobDefinitionPrefix
	}
	if cfg.ManagedTag == "" {
		cfg.ManagedTag = DefaultManagedTag
	}
	if cfg.AssignPublicIP == "" {
		cfg.AssignPublicIP = PublicIPEnabled
	}
	return cfg
}

// Dispatcher submits attempts as AWS Batch jobs. It is safe for concurrent use.
type Dispatcher struct {
	cfg Config

	mu      sync.Mutex
	defs    map[string]string // job definition name -> ARN of its active revision
	defLock map[string]*sync.Mutex
}

// New checks cfg, fills in its defaults and makes a Dispatcher.
func New(cfg Config) (*Dispatcher, error) {
	switch {
	case cfg.Client == nil:
		return nil, errors.New("awsbatch: Config.Client is required")
	case cfg.Bucket == nil:
		return nil, errors.New("awsbatch: Config.Bucket is required")
	case cfg.Store == "":
		return nil, errors.New("awsbatch: Config.Store (the runner's --store, s3://bucket[/prefix]) is required")
	case cfg.Queues.CPU == "":
		return nil, errors.New("awsbatch: Config.Queues.CPU is required")
	}
	cfg = cfg.withNameDefaults()
	if cfg.Platform == "" {
		cfg.Platform = Fargate
	}
	switch cfg.AssignPublicIP {
	case "":
		cfg.AssignPublicIP = PublicIPEnabled
	case PublicIPEnabled, PublicIPDisabled:
	default:
		return nil, fmt.Errorf("awsbatch: assign public IP %q: want %s or %s", cfg.AssignPublicIP, PublicIPEnabled, PublicIPDisabled)
	}
	if cfg.Platform != Fargate && cfg.Platform != EC2 {
		return nil, fmt.Errorf("awsbatch: platform %q: want %s or %s", cfg.Platform, Fargate, EC2)
	}
	if cfg.Platform == Fargate && cfg.ExecutionRoleARN == "" {
		return nil, errors.New("awsbatch: Fargate jobs need Config.ExecutionRoleARN")
	}
	if cfg.Queues.Spot == "" {
		cfg.Queues.Spot = cfg.Queues.CPU
	}
	if cfg.Queues.GPUSpot == "" {
		cfg.Queues.GPUSpot = cfg.Queues.GPU
	}
	if cfg.Limiter == nil {
		cfg.Limiter = rate.NewLimiter(40, 10)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 8
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Dispatcher{cfg: cfg, defs: map[string]string{}, defLock: map[string]*sync.Mutex{}}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// call runs fn, retrying throttled and server-side failures with exponential
// backoff and full jitter. Submissions first wait for the limiter.
func (d *Dispatcher) call(ctx context.Context, op string, paced bool, fn func(context.Context) error) error {
	for retry := 0; ; retry++ {
		if paced {
			if err := d.cfg.Limiter.Wait(ctx); err != nil {
				return fmt.Errorf("%s: wait for the submission rate limit: %w", op, err)
			}
		}
		err := fn(ctx)
		if err == nil {
			return nil
		}
		e := apiError(op, err)
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
		if !e.Temporary() || retry >= d.cfg.MaxRetries {
			return e
		}
		ceiling := d.cfg.Backoff << min(retry, 30)
		if ceiling <= 0 || ceiling > d.cfg.MaxBackoff {
			ceiling = d.cfg.MaxBackoff
		}
		if err := d.cfg.Sleep(ctx, rand.N(ceiling)+1); err != nil {
			return fmt.Errorf("%s: %w (after %v)", op, err, e)
		}
	}
}
