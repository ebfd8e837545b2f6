package orchestrator

import "time"

// Event is a fact a shell feeds to Step. Every event is idempotent: a stale
// or duplicate one changes nothing.
type Event interface{ isEvent() }

// ExecutionRequested starts an execution. Inputs are already resolved
// (defaults applied, external files ingested).
//
// Reuse, when set, recovers an earlier execution of the same compiled
// workflow with the same inputs: it holds that execution's node states
// (one per node). A task node, or a map item, that ended there with
// outputs (succeeded or cached) is not run again: when it becomes ready it
// ends succeeded with those outputs and is marked Recovered. Everything
// else runs as in a new execution.
type ExecutionRequested struct {
	Inputs map[string]Literal
	Reuse  []NodeState
}

// CacheResult answers a LookupCache. Hit false means a miss.
type CacheResult struct {
	Node    int32
	Item    int // -1 for a node that is not a map item
	Hit     bool
	Outputs map[string]Literal
}

// Reserved answers a Reserve: Taken when this execution now holds the
// reservation of the node's cache key (created, found already its own, or
// taken over from a holder whose lease ran out); otherwise another holder's
// lease runs until Until. Try is the Reserve's. A shell that finds the
// catalog entry meanwhile answers with a CacheResult hit instead.
type Reserved struct {
	Node  int32
	Item  int
	Try   int
	Taken bool
	Until time.Time
}

// Dispatched acknowledges that a Dispatch was submitted (JobID names the
// job, Target the dispatcher that runs it: local, aws-batch, gcp-batch).
type Dispatched struct {
	Node    int32
	Item    int
	Attempt int
	JobID   string
	Target  string
}

// AttemptStarted reports that the attempt's task began running.
type AttemptStarted struct {
	Node    int32
	Item    int
	Attempt int
	// Reclaims counts the hosts the attempt's job lost (spot reclaims)
	// that the batch service retried by itself; a later report with a
	// higher count updates a running attempt.
	Reclaims int
}

// AttemptSucceeded reports outputs.json of an attempt.
type AttemptSucceeded struct {
	Node    int32
	Item    int
	Attempt int
	Outputs map[string]Literal
}

// ErrorKind classifies a failed attempt.
type ErrorKind string

// Error kinds. User errors (including timeouts and OOM) spend the task's
// retries; system errors (spot reclaim, lost host) spend a separate budget.
const (
	ErrUser    ErrorKind = "user"
	ErrTimeout ErrorKind = "timeout"
	ErrOOM     ErrorKind = "oom"
	ErrSystem  ErrorKind = "system"
	ErrNoRetry ErrorKind = "permanent" // a user error that must not be retried (bad outputs are retried; a bad spec is not)
)

// AttemptFailed reports error.json of an attempt, or a death the shell saw.
type AttemptFailed struct {
	Node    int32
	Item    int
	Attempt int
	Kind    ErrorKind
	Message string
}

// CancelRequested aborts the execution.
type CancelRequested struct {
	Reason string
}

// Tick lets time pass: retries whose backoff has elapsed are dispatched.
type Tick struct{}

func (ExecutionRequested) isEvent() {}
func (CacheResult) isEvent()        {}
func (Reserved) isEvent()           {}
func (Dispatched) isEvent()         {}
func (AttemptStarted) isEvent()     {}
func (AttemptSucceeded) isEvent()   {}
func (AttemptFailed) isEvent()      {}
func (CancelRequested) isEvent()    {}
func (Tick) isEvent()               {}

// Backoff is the delay before retry number n (1-based): 1s, 2s, 4s, ... capped at 5m.
func Backoff(n int) time.Duration {
	d := time.Second
	for i := 1; i < n && d < 5*time.Minute; i++ {
		d *= 2
	}
	if d > 5*time.Minute {
		d = 5 * time.Minute
	}
	return d
}
