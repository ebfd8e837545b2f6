package orchestrator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// CompiledVersion is the version of the compiled-workflow document format.
const CompiledVersion = 1

// Compiled is a workflow ready to execute: subworkflows inlined, conditionals
// lowered to guarded branch nodes plus a select node, every binding resolved
// to a Source, nodes in topological order with dependents precomputed. It is
// the document Step reads; its JSON encoding is deterministic (the same spec
// always gives the same bytes) and Digest names it.
//
// A Compiled from Compile or DecodeCompiled is never changed afterwards (its
// node index is built there), so one value may be shared by any number of
// goroutines and states. Callers must not modify its fields either.
type Compiled struct {
	Version       int                      `json:"version"`
	Name          string                   `json:"name"`
	Inputs        []Param                  `json:"inputs,omitempty"`
	Outputs       []Output                 `json:"outputs,omitempty"`
	Tasks         map[string]*TaskTemplate `json:"tasks"`
	Nodes         []Node                   `json:"nodes"` // topological order; a node's index is its id in State
	FailurePolicy FailurePolicy            `json:"failure_policy,omitempty"`
	// Source names the files the workflow was compiled from (not part of
	// semantics; kept for messages).
	Source string `json:"source,omitempty"`

	index map[string]int32 // node name -> index; built by Compile and DecodeCompiled, read only
}

// FailurePolicy says what happens to the rest of a run when a node fails.
type FailurePolicy string

// Failure policies.
const (
	FailFast             FailurePolicy = ""                  // abort everything on the first permanent failure (the default)
	RunToCompletion      FailurePolicy = "run_to_completion" // run every node that does not depend on a failed one
	failurePolicyAllowed               = "fail_fast, run_to_completion"
)

// Param is a named, typed input or output, with an optional default.
type Param struct {
	Name        string   `json:"name"`
	Type        Type     `json:"type"`
	Default     *Literal `json:"default,omitempty"`
	Description string   `json:"description,omitempty"`
}

// Output is a workflow output and where its value comes from.
type Output struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
	From Source `json:"from"`
}

// TaskTemplate is everything a dispatcher needs to run a task, except the
// input values.
type TaskTemplate struct {
	Name          string            `json:"name"`
	Image         string            `json:"image,omitempty"`
	Build         *Build            `json:"build,omitempty"`
	Command       []string          `json:"command"` // argv template with {{inputs.x}} / {{outputs.y}}
	Inputs        []Param           `json:"inputs,omitempty"`
	Outputs       []Param           `json:"outputs,omitempty"`
	Resources     Resources         `json:"resources"`
	Cache         *CachePolicy      `json:"cache,omitempty"` // nil: caching off
	Retries       int               `json:"retries,omitempty"`
	Timeout       time.Duration     `json:"timeout,omitempty"`
	Interruptible bool              `json:"interruptible,omitempty"`
	Env           map[string]string `json:"env,omitempty"`
	Target        string            `json:"target,omitempty"` // local, aws-batch, gcp-batch
	Dir           string            `json:"dir,omitempty"`    // the workflow file's directory (local working directory)
}

// Resources are a task's requests, parsed ("500m" -> 500 milli-CPU).
type Resources struct {
	CPUMilli       int64  `json:"cpu_milli,omitempty"`
	MemoryBytes    int64  `json:"memory_bytes,omitempty"`
	GPU            int    `json:"gpu,omitempty"`
	Accelerator    string `json:"accelerator,omitempty"`
	EphemeralBytes int64  `json:"ephemeral_bytes,omitempty"`
}

// CachePolicy turns memoization on for a task.
type CachePolicy struct {
	Version   string   `json:"version"`
	Ignore    []string `json:"ignore,omitempty"` // input names left out of the key
	Serialize bool     `json:"serialize,omitempty"`
}

// NodeKind says how Step runs a node.
type NodeKind uint8

// Node kinds after lowering.
const (
	NodeTask   NodeKind = iota // one task call (also a branch of a conditional, with a Guard)
	NodeMap                    // a task fanned out over zipped lists
	NodeSelect                 // the join of a conditional: takes the outputs of the branch that ran
)

// Node is one executable node.
type Node struct {
	Name       string   `json:"name"` // unique; inlined subworkflow nodes are "outer.inner"
	Kind       NodeKind `json:"kind,omitempty"`
	Task       string   `json:"task,omitempty"`   // key into Compiled.Tasks (task and map nodes)
	Inputs     []Bind   `json:"inputs,omitempty"` // one per task input that is bound
	Deps       []int32  `json:"deps,omitempty"`   // upstream nodes (bindings, guards and after:), sorted, unique
	Dependents []int32  `json:"dependents,omitempty"`
	Outputs    []Param  `json:"outputs,omitempty"` // output interface (lists for map nodes)

	// Map nodes.
	Over            []string `json:"over,omitempty"` // input names whose list values are zipped
	Concurrency     int      `json:"concurrency,omitempty"`
	MinSuccessRatio float64  `json:"min_success_ratio,omitempty"` // 0 means 1.0

	// Branch nodes of a conditional: the node runs only when every condition
	// in Unless is false and When is true (When nil: the otherwise branch).
	Guard *Guard `json:"guard,omitempty"`
	// Select nodes: the branch nodes, in order.
	Choices []int32 `json:"choices,omitempty"`
}

// Bind gives a task input its value.
type Bind struct {
	Input string `json:"input"`
	From  Source `json:"from"`
}

// SourceKind says where a value comes from.
type SourceKind uint8

// Source kinds.
const (
	FromLiteral SourceKind = iota
	FromInput              // a workflow input
	FromNode               // another node's output
)

// Source is a resolved binding.
type Source struct {
	Kind   SourceKind `json:"kind,omitempty"`
	Lit    *Literal   `json:"lit,omitempty"`
	Input  string     `json:"input,omitempty"`
	Node   int32      `json:"node,omitempty"`
	Output string     `json:"output,omitempty"`
}

// Guard is the condition under which a branch node runs.
type Guard struct {
	Unless []Cond `json:"unless,omitempty"`
	When   *Cond  `json:"when,omitempty"`
}

// Cond compares two primitive values: == != < <= > >=.
type Cond struct {
	Left  Source `json:"left"`
	Op    string `json:"op"`
	Right Source `json:"right"`
}

// NodeIndex returns the index of the named node. It only reads c, so
// concurrent calls on a shared Compiled are safe.
func (c *Compiled) NodeIndex(name string) (int32, bool) {
	if c.index != nil {
		i, ok := c.index[name]
		return i, ok
	}
	// A Compiled written as a literal (tests) has no index: scan.
	for i := range c.Nodes {
		if c.Nodes[i].Name == name {
			return int32(i), true
		}
	}
	return 0, false
}

// buildIndex makes the node-name index; Compile and DecodeCompiled call it
// before the Compiled is returned, so it is never written once shared.
func (c *Compiled) buildIndex() {
	c.index = make(map[string]int32, len(c.Nodes))
	for i := range c.Nodes {
		c.index[c.Nodes[i].Name] = int32(i)
	}
}

// Encode gives the deterministic JSON document (map keys sorted by
// encoding/json, slices in compiler order).
func (c *Compiled) Encode() ([]byte, error) { return json.Marshal(c) }

// Digest is "sha256:<hex>" of Encode.
func (c *Compiled) Digest() (string, error) {
	b, err := c.Encode()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// DecodeCompiled reads a compiled workflow document.
func DecodeCompiled(b []byte) (*Compiled, error) {
	var c Compiled
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	c.buildIndex()
	return &c, nil
}
