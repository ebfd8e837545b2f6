package orchestrator

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// StateVersion is the version of the encoded execution state.
const StateVersion = 1

// MaxSystemRetries bounds retries after system errors (spot reclaims, lost
// hosts, an interrupted local engine). They do not spend the task's retries.
const MaxSystemRetries = 3

// ExecPhase is the phase of an execution.
type ExecPhase uint8

// Execution phases.
const (
	ExecPending ExecPhase = iota
	ExecRunning
	ExecSucceeded
	ExecFailed
	ExecAborted
)

var execPhaseNames = [...]string{"pending", "running", "succeeded", "failed", "aborted"}

func (p ExecPhase) String() string {
	if int(p) < len(execPhaseNames) {
		return execPhaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", p)
}

// Terminal reports whether the execution has ended.
func (p ExecPhase) Terminal() bool { return p >= ExecSucceeded }

// Phase is the phase of a node (or of one map item).
type Phase uint8

// Node phases: pending -> cache_lookup -> queued -> running -> succeeded,
// with retrying between attempts, and the terminal phases cached, failed,
// skipped and aborted.
const (
	Pending Phase = iota
	CacheLookup
	Queued
	Running
	Retrying
	Succeeded
	Cached
	Failed
	Skipped
	Aborted
	// Waiting: a serialized node (cache: {serialize: true}) found another
	// execution's reservation of its cache key; it waits for the catalog
	// entry (a CacheResult hit) or for the holder's lease to run out
	// (RetryAt), then tries to take the reservation over. It comes last so
	// that stored phase numbers keep their meaning.
	Waiting
)

var phaseNames = [...]string{"pending", "cache_lookup", "queued", "running", "retrying", "succeeded", "cached", "failed", "skipped", "aborted", "waiting"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", p)
}

// Terminal reports whether the node has ended.
func (p Phase) Terminal() bool { return p >= Succeeded && p <= Aborted }

// Done reports whether the node ended with outputs (ran or was cached).
func (p Phase) Done() bool { return p == Succeeded || p == Cached }

// Active reports whether an attempt may be running.
func (p Phase) Active() bool { return p == Queued || p == Running }

// NodeState is the progress of one node, or of one item of a map node. Field
// names are short because state is stored for every node of every execution.
type NodeState struct {
	Phase    Phase              `json:"p,omitempty"`
	Waiting  int32              `json:"w,omitempty"`  // upstream nodes not yet terminal
	Attempt  int                `json:"a,omitempty"`  // current attempt, 1-based
	UserErrs int                `json:"ue,omitempty"` // failed attempts that spend retries
	SysErrs  int                `json:"se,omitempty"` // failed attempts that spend the system budget
	RetryAt  int64              `json:"r,omitempty"`  // unix ms; when phase is retrying, or waiting (the holder's lease ends)
	Tries    int                `json:"rt,omitempty"` // reservations asked for (serialized caching), 1-based
	Held     bool               `json:"h,omitempty"`  // the node holds its cache key's reservation
	Start    int64              `json:"s,omitempty"`  // unix ms
	End      int64              `json:"e,omitempty"`  // unix ms
	JobID    string             `json:"j,omitempty"`
	Target   string             `json:"t,omitempty"`  // where the current attempt's job runs: local, aws-batch, gcp-batch
	Reclaims int                `json:"rc,omitempty"` // hosts lost (spot reclaims) that the batch service retried within this attempt
	Outputs  map[string]Literal `json:"o,omitempty"`
	Err      string             `json:"x,omitempty"`
	Missed   bool               `json:"m,omitempty"` // cache looked up and missed (map items waiting for a slot)
	Choice   int32              `json:"c,omitempty"` // select nodes: 1 + index of the branch that ran
	Items    []NodeState        `json:"i,omitempty"` // map nodes
	Active   int32              `json:"n,omitempty"` // map nodes: items queued or running
	Ended    int32              `json:"d,omitempty"` // map nodes: items terminal
	// Recovered marks outputs taken from the execution this one recovers
	// (ExecutionRequested.Reuse): on a pending node or item they wait to be
	// used when it becomes ready; on a succeeded one they were.
	Recovered bool `json:"rv,omitempty"`
	// Times are every attempt's queued, started and ended times (unix ms,
	// 0 where not reached), three per attempt in attempt order: the
	// timeline (Decision 34).
	Times []int64 `json:"tm,omitempty"`
}

// State is everything Step knows about one execution. Step takes ownership
// of the State it is given and updates its Nodes in place: the State it
// returns shares storage with it. Shells that need an older state keep a
// Clone or its encoding (as persisting does).
type State struct {
	Version        int                `json:"v"`
	Exec           string             `json:"exec"`
	Project        string             `json:"project"`
	Domain         string             `json:"domain"`
	Workflow       string             `json:"workflow"` // name
	WorkflowDigest string             `json:"workflow_digest"`
	LaunchPlan     string             `json:"launch_plan,omitempty"`
	RecoveredFrom  string             `json:"recovered_from,omitempty"`  // the execution whose outputs this one reuses
	RelaunchedFrom string             `json:"relaunched_from,omitempty"` // the execution this one reruns
	Notifications  []Notification     `json:"notifications,omitempty"`   // whom to tell of the end (Decision 26)
	Phase          ExecPhase          `json:"phase"`
	NoCache        bool               `json:"no_cache,omitempty"`
	OverwriteCache bool               `json:"overwrite_cache,omitempty"`
	Inputs         map[string]Literal `json:"inputs,omitempty"`
	Outputs        map[string]Literal `json:"outputs,omitempty"`
	Error          string             `json:"error,omitempty"`
	Created        int64              `json:"created,omitempty"` // unix ms
	Started        int64              `json:"started,omitempty"`
	Ended          int64              `json:"ended,omitempty"`
	Done           int                `json:"done"`               // terminal nodes
	Retrying       int                `json:"retrying,omitempty"` // nodes or items waiting out a backoff or another execution's reservation
	Seq            int64              `json:"seq"`                // events applied
	Nodes          []NodeState        `json:"nodes"`

	wf *Compiled
}

// Options are per-execution settings fixed when it is created.
type Options struct {
	Exec, Project, Domain, LaunchPlan string
	NoCache, OverwriteCache           bool
	// RecoveredFrom or RelaunchedFrom name the execution this one recovers
	// or reruns (Decision 25).
	RecoveredFrom, RelaunchedFrom string
	Notifications                 []Notification
}

// NewState makes the pending state of a new execution of wf.
func NewState(wf *Compiled, digest string, opt Options, now time.Time) State {
	return State{
		Version:        StateVersion,
		Exec:           opt.Exec,
		Project:        opt.Project,
		Domain:         opt.Domain,
		Workflow:       wf.Name,
		WorkflowDigest: digest,
		LaunchPlan:     opt.LaunchPlan,
		RecoveredFrom:  opt.RecoveredFrom,
		RelaunchedFrom: opt.RelaunchedFrom,
		Notifications:  opt.Notifications,
		NoCache:        opt.NoCache,
		OverwriteCache: opt.OverwriteCache,
		Created:        now.UnixMilli(),
		Nodes:          make([]NodeState, len(wf.Nodes)),
		wf:             wf,
	}
}

// Compiled returns the compiled workflow the state executes.
func (s *State) Compiled() *Compiled { return s.wf }

// Clone returns a deep copy of s: its maps, slices, node states, map items
// and literals are copied, so neither Step nor any other change to the
// clone shows in s, or the other way round. The compiled workflow, which
// never changes, is shared.
func (s *State) Clone() State {
	c := *s
	c.Inputs = cloneLiterals(s.Inputs)
	c.Outputs = cloneLiterals(s.Outputs)
	c.Nodes = cloneNodeStates(s.Nodes)
	c.Notifications = cloneNotifications(s.Notifications)
	return c
}

func cloneNotifications(ns []Notification) []Notification {
	if ns == nil {
		return nil
	}
	out := make([]Notification, len(ns))
	for i, n := range ns {
		out[i] = Notification{On: append([]string(nil), n.On...), Target: n.Target}
	}
	return out
}

func cloneNodeStates(ns []NodeState) []NodeState {
	if ns == nil {
		return nil
	}
	out := make([]NodeState, len(ns))
	for i := range ns {
		out[i] = ns[i]
		out[i].Outputs = cloneLiterals(ns[i].Outputs)
		out[i].Items = cloneNodeStates(ns[i].Items)
		out[i].Times = slices.Clone(ns[i].Times)
	}
	return out
}

func cloneLiterals(m map[string]Literal) map[string]Literal {
	if m == nil {
		return nil
	}
	out := make(map[string]Literal, len(m))
	for k, l := range m {
		out[k] = l.clone()
	}
	return out
}

// Encode gives the stored form of the state.
func (s *State) Encode() ([]byte, error) { return json.Marshal(s) }

// DecodeState reads a stored state and attaches the compiled workflow it
// executes (the caller loads it by s.WorkflowDigest).
func DecodeState(b []byte, wf *Compiled) (State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("decode state: %w", err)
	}
	if s.Version != StateVersion {
		return State{}, fmt.Errorf("decode state: version %d, want %d", s.Version, StateVersion)
	}
	if len(s.Nodes) != len(wf.Nodes) {
		return State{}, fmt.Errorf("decode state: %d nodes, workflow %q has %d", len(s.Nodes), wf.Name, len(wf.Nodes))
	}
	s.wf = wf
	return s, nil
}

// Attach sets the compiled workflow of a state decoded by other means.
func (s *State) Attach(wf *Compiled) { s.wf = wf }

// Attempt times: the slots of NodeState.Times.
const (
	TimeQueued = iota
	TimeStarted
	TimeEnded
	timeSlots
)

// AttemptTime is attempt's (1-based) time in slot (TimeQueued, TimeStarted,
// TimeEnded); 0 when not recorded.
func (ns *NodeState) AttemptTime(attempt, slot int) int64 {
	i := (attempt-1)*timeSlots + slot
	if attempt < 1 || i >= len(ns.Times) {
		return 0
	}
	return ns.Times[i]
}

// setTime records the current attempt's time in slot.
func (ns *NodeState) setTime(slot int, now int64) {
	if ns.Attempt < 1 {
		return
	}
	for len(ns.Times) < ns.Attempt*timeSlots {
		ns.Times = append(ns.Times, 0)
	}
	ns.Times[(ns.Attempt-1)*timeSlots+slot] = now
}
