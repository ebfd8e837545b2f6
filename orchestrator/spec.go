package orchestrator

import "time"

// APIVersion is the apiVersion every spec document must declare.
const APIVersion = "aloft/v1"

// Spec is a set of parsed and validated spec documents (from one or more
// files): workflows, standalone tasks and launch plans. Get one from Parse
// or ParseFiles; Compile and ResolveLaunchPlan read it.
type Spec struct {
	Workflows   []*WorkflowSpec
	Tasks       []*TaskSpec // standalone tasks (kind: Task)
	LaunchPlans []*LaunchPlanSpec

	workflows   map[string]*WorkflowSpec
	tasks       map[string]*TaskSpec
	launchPlans map[string]*LaunchPlanSpec
	checked     *checked // validation results, reused by Compile
}

// Workflow returns the named workflow, or nil.
func (s *Spec) Workflow(name string) *WorkflowSpec { return s.workflows[name] }

// Task returns the named standalone task, or nil.
func (s *Spec) Task(name string) *TaskSpec { return s.tasks[name] }

// LaunchPlan returns the named launch plan as written, or nil. See
// ResolveLaunchPlan for its validated, typed form.
func (s *Spec) LaunchPlan(name string) *LaunchPlanSpec { return s.launchPlans[name] }

// Str is a string written in a spec, with where it was written.
type Str struct {
	Value string
	Pos   Pos
}

// WorkflowSpec is a `kind: Workflow` document.
type WorkflowSpec struct {
	Name          string
	Pos           Pos    // of the name
	File          string // the spec file, as given to Parse
	Description   string
	Inputs        []*ParamSpec
	Outputs       []*OutputSpec
	Defaults      Settings    // applied to the inline tasks unless they say otherwise
	Tasks         []*TaskSpec // inline tasks
	Nodes         []*NodeSpec
	FailurePolicy FailurePolicy
}

// ParamSpec is a declared input or output: `x: file` or
// `x: {type: file, default: ..., description: ...}`.
type ParamSpec struct {
	Name        string
	Pos         Pos  // of the name
	Type        Type // Kind is KindNone when the written type was invalid
	TypePos     Pos
	Default     *Literal // nil: no default
	Description string
}

// OutputSpec is a workflow output: `name: "{{node.output}}"`.
type OutputSpec struct {
	Name string
	Pos  Pos // of the name
	Ref  Ref
}

// Ref is a `{{...}}` reference in a binding: `{{inputs.x}}` (Node is "")
// or `{{node.output}}`.
type Ref struct {
	Node string // "" for a workflow input
	Name string // the input or output name
	Text string // as written, e.g. "{{split.x_train}}"
	Pos  Pos
}

// BindingSpec binds one input of a node: a reference or a literal.
type BindingSpec struct {
	Input    string
	Pos      Pos // of the input name
	ValuePos Pos
	Ref      *Ref // nil for a literal
	Value    any  // the decoded YAML value of a literal (see ParseValue)

	lit Literal // the literal typed for its target, set by validation
	bad bool    // malformed; already reported
}

// NodeSpec is one node of a workflow. Exactly one of Task, Workflow, Map or
// Branches is set.
type NodeSpec struct {
	Name     string
	Pos      Pos // of the name
	Task     Str // task call
	Workflow Str // subworkflow call
	Map      Str // map over a task
	Inputs   []*BindingSpec
	After    []Str

	// Map nodes.
	Over               []*BindingSpec
	Concurrency        int     // 0: unbounded
	MinSuccessRatio    float64 // 0: unset (all items must succeed)
	MinSuccessRatioPos Pos

	// Conditional nodes.
	Branches []*BranchSpec
}

// BranchSpec is one branch of a conditional node; When is nil for the
// `otherwise` branch.
type BranchSpec struct {
	Pos    Pos
	When   *CondSpec
	Task   Str
	Inputs []*BindingSpec
}

// CondSpec is a branch condition `A OP B`.
type CondSpec struct {
	Text        string
	Pos         Pos
	Left, Right Operand
	Op          string // == != < <= > >=
}

// Operand is one side of a condition: a reference or a literal number,
// quoted string, true or false.
type Operand struct {
	Ref   *Ref
	Value any // int64, float64, string or bool when Ref is nil
	Text  string
	Pos   Pos

	lit Literal // typed by validation
}

// TaskSpec is a task: inline in a workflow's `tasks:` or a standalone
// `kind: Task` document.
type TaskSpec struct {
	Name        string
	Pos         Pos    // of the name
	File        string // the spec file, as given to Parse
	Dir         string // absolute directory of File (the local working directory)
	Workflow    string // the workflow it is inline in; "" for a standalone task
	Description string
	Inputs      []*ParamSpec
	Outputs     []*ParamSpec
	Command     []Str
	CommandPos  Pos
	Settings

	refs []templateRef // {{inputs.x}} / {{outputs.y}} in Command
}

// templateRef is a {{...}} in a command element.
type templateRef struct {
	kind string // "inputs" or "outputs"
	name string
	text string
	pos  Pos
}

// Settings are the run settings of a task that a workflow's `defaults:` may
// supply. A nil field is unset.
type Settings struct {
	Image         *Str
	Build         *BuildSpec
	Resources     *ResourcesSpec
	Cache         *CacheSpec
	Retries       *int
	Timeout       *time.Duration
	Interruptible *bool
	Env           map[string]string
	Target        *Str
}

// BuildSpec asks aloft to build the task image: the base image plus the
// code directory as a layer.
type BuildSpec struct {
	Base string
	Code string
	Pos  Pos
}

// ResourcesSpec is a task's resource requests, parsed. A nil field is unset.
type ResourcesSpec struct {
	CPUMilli       *int64
	MemoryBytes    *int64
	GPU            *int
	Accelerator    *string
	EphemeralBytes *int64
	Pos            Pos
}

// CacheSpec is a cache policy as written: `cache: {version, ignore,
// serialize}`, `cache: false`, or `cache: {enabled: false}`.
type CacheSpec struct {
	Enabled   *bool // nil: on when there is a version
	Version   *string
	Ignore    []Str
	Serialize *bool
	Pos       Pos
}

// LaunchPlanSpec is a `kind: LaunchPlan` document.
type LaunchPlanSpec struct {
	Name          string
	Pos           Pos // of the name
	File          string
	Description   string
	Workflow      Str
	FixedInputs   []*BindingSpec // literals only
	DefaultInputs []*BindingSpec // literals only
	Schedule      *ScheduleSpec
	Triggers      []*TriggerSpec
	Notifications []*NotificationSpec
	Active        bool // default true
}

// ScheduleSpec is `schedule: {cron: EXPR}` or `{rate: EXPR}`, with an
// optional kickoff_time_input.
type ScheduleSpec struct {
	Kind         string // "cron" or "rate"
	Expr         string
	Canonical    string // schedule.Parse(Expr).String()
	KickoffInput Str
	Pos          Pos // of the expression
}

// TriggerSpec starts a run when an object lands under Prefix with Suffix,
// passing it as the file input Input.
type TriggerSpec struct {
	Prefix, Suffix string
	Input          Str
	Pos            Pos
}

// NotificationSpec sends a message to Target when a run ends in one of On.
type NotificationSpec struct {
	On     []Str
	Target string
	Pos    Pos
}

// LaunchPlan is a validated launch plan with typed input values.
type LaunchPlan struct {
	Name          string             `json:"name"`
	Workflow      string             `json:"workflow"`
	Fixed         map[string]Literal `json:"fixed,omitempty"`         // inputs callers cannot change
	Defaults      map[string]Literal `json:"defaults,omitempty"`      // inputs callers may override
	Schedule      string             `json:"schedule,omitempty"`      // canonical cron(...) or rate(...); "" for none
	KickoffInput  string             `json:"kickoff_input,omitempty"` // datetime input given the scheduled time
	Triggers      []Trigger          `json:"triggers,omitempty"`
	Notifications []Notification     `json:"notifications,omitempty"`
	Active        bool               `json:"active,omitempty"`
}

// Trigger starts a run of a launch plan when an object lands in the store
// under Prefix and ending in Suffix; the object is passed as Input.
type Trigger struct {
	Prefix string `json:"prefix"`
	Suffix string `json:"suffix,omitempty"`
	Input  string `json:"input"`
}

// Notification sends a message to Target when a run ends in one of the
// phases On (failed, succeeded, aborted).
type Notification struct {
	On     []string `json:"on"`
	Target string   `json:"target"`
}
