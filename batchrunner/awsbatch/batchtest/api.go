package batchtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Shapes of the Batch API, as JSON.

type keyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type resourceRequirement struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type retryStrategy struct {
	Attempts       int              `json:"attempts,omitempty"`
	EvaluateOnExit []evaluateOnExit `json:"evaluateOnExit,omitempty"`
}

type evaluateOnExit struct {
	OnStatusReason string `json:"onStatusReason,omitempty"`
	OnReason       string `json:"onReason,omitempty"`
	OnExitCode     string `json:"onExitCode,omitempty"`
	Action         string `json:"action"`
}

type jobTimeout struct {
	AttemptDurationSeconds int `json:"attemptDurationSeconds"`
}

type containerProperties struct {
	Image                        string                `json:"image"`
	Command                      []string              `json:"command,omitempty"`
	JobRoleArn                   string                `json:"jobRoleArn,omitempty"`
	ExecutionRoleArn             string                `json:"executionRoleArn,omitempty"`
	Environment                  []keyValue            `json:"environment,omitempty"`
	ResourceRequirements         []resourceRequirement `json:"resourceRequirements,omitempty"`
	FargatePlatformConfiguration map[string]any        `json:"fargatePlatformConfiguration,omitempty"`
	NetworkConfiguration         map[string]any        `json:"networkConfiguration,omitempty"`
}

type registerInput struct {
	JobDefinitionName    string               `json:"jobDefinitionName"`
	Type                 string               `json:"type"`
	PlatformCapabilities []string             `json:"platformCapabilities,omitempty"`
	ContainerProperties  *containerProperties `json:"containerProperties,omitempty"`
	PropagateTags        bool                 `json:"propagateTags,omitempty"`
	RetryStrategy        *retryStrategy       `json:"retryStrategy,omitempty"`
	Timeout              *jobTimeout          `json:"timeout,omitempty"`
	Tags                 map[string]string    `json:"tags,omitempty"`
}

// jobDef is a registered job definition revision; it answers
// DescribeJobDefinitions in the API's shape.
type jobDef struct {
	registerInput
	JobDefinitionArn string `json:"jobDefinitionArn"`
	Revision         int    `json:"revision"`
	Status           string `json:"status"`
}

func (d *jobDef) platform() string {
	if len(d.PlatformCapabilities) > 0 {
		return d.PlatformCapabilities[0]
	}
	return "EC2"
}

type submitInput struct {
	JobName         string `json:"jobName"`
	JobQueue        string `json:"jobQueue"`
	JobDefinition   string `json:"jobDefinition"`
	ArrayProperties *struct {
		Size int `json:"size"`
	} `json:"arrayProperties"`
	ContainerOverrides *struct {
		Command              []string              `json:"command"`
		Environment          []keyValue            `json:"environment"`
		ResourceRequirements []resourceRequirement `json:"resourceRequirements"`
	} `json:"containerOverrides"`
	RetryStrategy *retryStrategy    `json:"retryStrategy"`
	Timeout       *jobTimeout       `json:"timeout"`
	Tags          map[string]string `json:"tags"`
	PropagateTags *bool             `json:"propagateTags"`
}

// jobDetail is a job as DescribeJobs and the state-change events show it.
type jobDetail struct {
	JobArn               string            `json:"jobArn"`
	JobName              string            `json:"jobName"`
	JobID                string            `json:"jobId"`
	JobQueue             string            `json:"jobQueue"`
	Status               string            `json:"status"`
	Attempts             []attemptDetail   `json:"attempts"`
	StatusReason         string            `json:"statusReason,omitempty"`
	CreatedAt            int64             `json:"createdAt"`
	RetryStrategy        *retryStrategy    `json:"retryStrategy,omitempty"`
	StartedAt            int64             `json:"startedAt,omitempty"`
	StoppedAt            int64             `json:"stoppedAt,omitempty"`
	DependsOn            []any             `json:"dependsOn"`
	JobDefinition        string            `json:"jobDefinition"`
	Parameters           map[string]string `json:"parameters"`
	Container            *containerDetail  `json:"container,omitempty"`
	Timeout              *jobTimeout       `json:"timeout,omitempty"`
	Tags                 map[string]string `json:"tags,omitempty"`
	PropagateTags        bool              `json:"propagateTags"`
	PlatformCapabilities []string          `json:"platformCapabilities"`
	EksAttempts          []any             `json:"eksAttempts"`
	ArrayProperties      *arrayProperties  `json:"arrayProperties,omitempty"`
}

type attemptDetail struct {
	Container    attemptContainer `json:"container"`
	StartedAt    int64            `json:"startedAt,omitempty"`
	StoppedAt    int64            `json:"stoppedAt,omitempty"`
	StatusReason string           `json:"statusReason,omitempty"`
}

type attemptContainer struct {
	ContainerInstanceArn string `json:"containerInstanceArn,omitempty"`
	TaskArn              string `json:"taskArn,omitempty"`
	LogStreamName        string `json:"logStreamName,omitempty"`
	NetworkInterfaces    []any  `json:"networkInterfaces"`
	ExitCode             *int   `json:"exitCode,omitempty"`
	Reason               string `json:"reason,omitempty"`
}

type containerDetail struct {
	Image                string                `json:"image"`
	Command              []string              `json:"command"`
	JobRoleArn           string                `json:"jobRoleArn,omitempty"`
	ExecutionRoleArn     string                `json:"executionRoleArn,omitempty"`
	Volumes              []any                 `json:"volumes"`
	Environment          []keyValue            `json:"environment"`
	MountPoints          []any                 `json:"mountPoints"`
	Ulimits              []any                 `json:"ulimits"`
	ResourceRequirements []resourceRequirement `json:"resourceRequirements"`
	Secrets              []any                 `json:"secrets"`
	LogStreamName        string                `json:"logStreamName,omitempty"`
	NetworkInterfaces    []any                 `json:"networkInterfaces"`
	ExitCode             *int                  `json:"exitCode,omitempty"`
	Reason               string                `json:"reason,omitempty"`
}

type arrayProperties struct {
	StatusSummary map[string]int `json:"statusSummary,omitempty"`
	Size          int            `json:"size,omitempty"`
	Index         *int           `json:"index,omitempty"`
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)

func (s *Server) arn(kind, name string) string {
	return "arn:aws:batch:" + s.opt.Region + ":" + s.opt.Account + ":" + kind + "/" + name
}

func (s *Server) registerJobDefinition(body []byte) (any, *apiError) {
	var in registerInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	switch {
	case !namePattern.MatchString(in.JobDefinitionName):
		return nil, clientError("jobDefinitionName %q should match valid pattern", in.JobDefinitionName)
	case in.Type != "container":
		return nil, clientError("type %q: batchtest supports container job definitions only", in.Type)
	case in.ContainerProperties == nil || in.ContainerProperties.Image == "":
		return nil, clientError("containerProperties.image is required")
	}
	def := &jobDef{registerInput: in, Status: "ACTIVE"}
	if def.platform() == "FARGATE" {
		if in.ContainerProperties.ExecutionRoleArn == "" {
			return nil, clientError("Fargate job definitions require executionRoleArn")
		}
		if err := checkResources(def.platform(), in.ContainerProperties.ResourceRequirements); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	def.Revision = len(s.defs[in.JobDefinitionName]) + 1
	def.JobDefinitionArn = s.arn("job-definition", in.JobDefinitionName+":"+strconv.Itoa(def.Revision))
	s.defs[in.JobDefinitionName] = append(s.defs[in.JobDefinitionName], def)
	return map[string]any{"jobDefinitionName": in.JobDefinitionName, "jobDefinitionArn": def.JobDefinitionArn, "revision": def.Revision}, nil
}

func (s *Server) describeJobDefinitions(body []byte) (any, *apiError) {
	var in struct {
		JobDefinitionName string   `json:"jobDefinitionName"`
		JobDefinitions    []string `json:"jobDefinitions"`
		Status            string   `json:"status"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*jobDef{}
	for name, revs := range s.defs {
		for _, d := range revs {
			switch {
			case in.JobDefinitionName != "" && name != in.JobDefinitionName:
			case in.Status != "" && d.Status != in.Status:
			case len(in.JobDefinitions) > 0 && !containsDef(in.JobDefinitions, d):
			default:
				out = append(out, d)
			}
		}
	}
	return map[string]any{"jobDefinitions": out}, nil
}

func containsDef(refs []string, d *jobDef) bool {
	for _, r := range refs {
		if r == d.JobDefinitionArn || r == d.JobDefinitionName+":"+strconv.Itoa(d.Revision) {
			return true
		}
	}
	return false
}

// resolveDef finds the definition a SubmitJob names: an ARN, "name:revision"
// or "name" (its newest active revision). Called with s.mu held.
func (s *Server) resolveDef(ref string) *jobDef {
	for _, revs := range s.defs {
		for _, d := range revs {
			if ref == d.JobDefinitionArn || ref == d.JobDefinitionName+":"+strconv.Itoa(d.Revision) {
				return d
			}
		}
	}
	revs := s.defs[ref]
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].Status == "ACTIVE" {
			return revs[i]
		}
	}
	return nil
}

func (s *Server) submitJob(body []byte) (any, *apiError) {
	var in submitInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttled < s.opt.ThrottleSubmits {
		s.throttled++
		return nil, &apiError{status: 429, code: "TooManyRequestsException", message: "Too Many Requests"}
	}
	if s.closed {
		return nil, &apiError{status: 503, code: "ServerException", message: "batchtest is closing"}
	}
	def := s.resolveDef(in.JobDefinition)
	switch {
	case !namePattern.MatchString(in.JobName):
		return nil, clientError("Job name should match valid pattern: %q", in.JobName)
	case in.JobQueue == "":
		return nil, clientError("jobQueue is required")
	case def == nil:
		return nil, clientError("Job definition %s does not exist", in.JobDefinition)
	case in.ArrayProperties != nil && (in.ArrayProperties.Size < 2 || in.ArrayProperties.Size > 10000):
		return nil, clientError("array size %d: must be between 2 and 10000", in.ArrayProperties.Size)
	case in.Timeout != nil && in.Timeout.AttemptDurationSeconds < 60:
		return nil, clientError("attemptDurationSeconds %d: the minimum is 60", in.Timeout.AttemptDurationSeconds)
	case len(in.Tags) > 50:
		return nil, clientError("%d tags: at most 50", len(in.Tags))
	}
	for k, v := range in.Tags {
		if len(k) > 128 || len(v) > 256 || strings.HasPrefix(k, "aws:") {
			return nil, clientError("invalid tag %q=%q", k, v)
		}
	}
	cp := def.ContainerProperties
	command := cp.Command
	env := append([]keyValue(nil), cp.Environment...)
	reqs := append([]resourceRequirement(nil), cp.ResourceRequirements...)
	if o := in.ContainerOverrides; o != nil {
		if o.Command != nil {
			command = o.Command
		}
		env = append(env, o.Environment...)
		reqs = overrideResources(reqs, o.ResourceRequirements)
	}
	if err := checkResources(def.platform(), reqs); err != nil {
		return nil, err
	}
	retry := def.RetryStrategy
	if in.RetryStrategy != nil {
		retry = in.RetryStrategy
	}
	timeout := def.Timeout
	if in.Timeout != nil {
		timeout = in.Timeout
	}
	propagate := def.PropagateTags
	if in.PropagateTags != nil {
		propagate = *in.PropagateTags
	}
	queue := in.JobQueue
	if !strings.HasPrefix(queue, "arn:") {
		queue = s.arn("job-queue", queue)
	}
	id := newUUID()
	now := time.Now().UnixMilli()
	d := jobDetail{
		JobArn: s.arn("job", id), JobName: in.JobName, JobID: id, JobQueue: queue,
		Status: "SUBMITTED", Attempts: []attemptDetail{}, CreatedAt: now,
		RetryStrategy: retry, DependsOn: []any{}, JobDefinition: def.JobDefinitionArn,
		Parameters: map[string]string{}, Timeout: timeout, PropagateTags: propagate,
		PlatformCapabilities: []string{def.platform()}, EksAttempts: []any{},
		Container: &containerDetail{
			Image: cp.Image, Command: command, JobRoleArn: cp.JobRoleArn, ExecutionRoleArn: cp.ExecutionRoleArn,
			Volumes: []any{}, Environment: env, MountPoints: []any{}, Ulimits: []any{},
			ResourceRequirements: reqs, Secrets: []any{}, NetworkInterfaces: []any{},
		},
		Tags: map[string]string{},
	}
	if d.Container.Environment == nil {
		d.Container.Environment = []keyValue{}
	}
	for k, v := range in.Tags {
		d.Tags[k] = v
	}
	d.Tags["resourceArn"] = d.JobArn
	j := &job{d: d}
	s.jobs[id] = j
	s.order = append(s.order, j)
	if in.ArrayProperties != nil {
		n := in.ArrayProperties.Size
		j.d.ArrayProperties = &arrayProperties{Size: n, StatusSummary: map[string]int{"SUBMITTED": n}}
		for i := 0; i < n; i++ {
			c := &job{d: j.d, parent: j, index: i}
			c.d.JobID = id + ":" + strconv.Itoa(i)
			c.d.JobArn = j.d.JobArn + ":" + strconv.Itoa(i)
			c.d.ArrayProperties = &arrayProperties{Index: &c.index}
			c.d.Container = ptr(*j.d.Container)
			c.d.Attempts = []attemptDetail{}
			c.d.Tags = j.d.Tags
			j.children = append(j.children, c)
			s.jobs[c.d.JobID] = c
			s.order = append(s.order, c)
		}
	}
	s.start(j)
	return map[string]any{"jobArn": j.d.JobArn, "jobName": j.d.JobName, "jobId": id}, nil
}

func ptr[T any](v T) *T { return &v }

// overrideResources replaces the definition's requirements by type.
func overrideResources(base, over []resourceRequirement) []resourceRequirement {
	out := append([]resourceRequirement(nil), base...)
	for _, o := range over {
		replaced := false
		for i := range out {
			if out[i].Type == o.Type {
				out[i], replaced = o, true
			}
		}
		if !replaced {
			out = append(out, o)
		}
	}
	return out
}

// fargateMemory lists, for each Fargate vCPU value, the memory sizes (MiB)
// AWS accepts with it.
var fargateMemory = map[string]func(mib int) bool{
	"0.25": func(m int) bool { return m == 512 || m == 1024 || m == 2048 },
	"0.5":  func(m int) bool { return m >= 1024 && m <= 4096 && m%1024 == 0 },
	"1":    func(m int) bool { return m >= 2048 && m <= 8192 && m%1024 == 0 },
	"2":    func(m int) bool { return m >= 4096 && m <= 16384 && m%1024 == 0 },
	"4":    func(m int) bool { return m >= 8192 && m <= 30720 && m%1024 == 0 },
	"8":    func(m int) bool { return m >= 16384 && m <= 61440 && m%4096 == 0 },
	"16":   func(m int) bool { return m >= 32768 && m <= 122880 && m%8192 == 0 },
}

// checkResources rejects requirements AWS Batch rejects on platform.
func checkResources(platform string, reqs []resourceRequirement) *apiError {
	var vcpu, mem string
	for _, r := range reqs {
		switch r.Type {
		case "VCPU":
			vcpu = r.Value
		case "MEMORY":
			mem = r.Value
		case "GPU":
			if platform == "FARGATE" {
				return clientError("GPU resources are not supported on Fargate")
			}
			if n, err := strconv.Atoi(r.Value); err != nil || n < 1 {
				return clientError("GPU value %q: a positive integer", r.Value)
			}
		default:
			return clientError("resource type %q is not supported", r.Type)
		}
	}
	m, err := strconv.Atoi(mem)
	if err != nil || m < 4 {
		return clientError("MEMORY %q: an integer number of MiB, at least 4", mem)
	}
	if platform == "FARGATE" {
		ok := fargateMemory[vcpu]
		if ok == nil || !ok(m) {
			return clientError("Fargate resource requirements invalid: VCPU %q with MEMORY %q is not a supported combination", vcpu, mem)
		}
		return nil
	}
	if n, err := strconv.Atoi(vcpu); err != nil || n < 1 {
		return clientError("VCPU %q: a positive integer on EC2", vcpu)
	}
	return nil
}

func (s *Server) describeJobs(body []byte) (any, *apiError) {
	var in struct {
		Jobs []string `json:"jobs"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Jobs) > 100 {
		return nil, clientError("%d jobs: at most 100 in one request", len(in.Jobs))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []jobDetail{}
	for _, id := range in.Jobs {
		if j := s.jobs[id]; j != nil {
			out = append(out, j.snapshot())
		}
	}
	return map[string]any{"jobs": out}, nil
}

func (s *Server) terminateJob(body []byte) (any, *apiError) {
	var in struct {
		JobID  string `json:"jobId"`
		Reason string `json:"reason"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.JobID == "" || in.Reason == "" {
		return nil, clientError("jobId and reason are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Like AWS, an unknown or finished job is answered with success.
	if j := s.jobs[in.JobID]; j != nil {
		for _, t := range append([]*job{j}, j.children...) {
			if !t.finished() && t.stopReason == "" {
				t.stopReason = in.Reason
				close(t.stop)
			}
		}
	}
	return map[string]any{}, nil
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
