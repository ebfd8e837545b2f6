package orchestrator

import "time"

// Command is an intention Step asks its shell to carry out after it has
// persisted the new state. Commands are plain data.
type Command interface{ isCommand() }

// LookupCache asks the shell to look the node (or map item) up in the
// catalog; the answer comes back as CacheResult.
type LookupCache struct {
	Node   int32
	Item   int
	Task   *TaskTemplate
	Inputs map[string]Literal
}

// Reserve asks the shell to take the reservation of a serialized node's
// cache key (Decision 33): create it if absent with a lease, or take it over
// if its holder's lease ran out, then renew it while the node runs. The
// answer is Reserved, or a CacheResult hit when the entry exists by then.
type Reserve struct {
	Node   int32
	Item   int
	Try    int
	Task   *TaskTemplate
	Inputs map[string]Literal
}

// Release asks the shell to give up a reservation Step's execution holds:
// the node ended (after its WriteCatalog, which comes first). Shells carry
// commands out in order.
type Release struct {
	Node   int32
	Item   int
	Task   *TaskTemplate
	Inputs map[string]Literal
}

// Dispatch asks the shell to run one attempt. It carries everything a
// dispatcher needs. Step emits exactly one Dispatch per attempt.
type Dispatch struct {
	Node     int32
	NodeName string
	Item     int // -1 unless a map item
	Attempt  int // 1-based
	Task     *TaskTemplate
	Inputs   map[string]Literal
}

// WriteCatalog asks the shell to memoize a node's outputs.
type WriteCatalog struct {
	Node    int32
	Item    int
	Task    *TaskTemplate
	Inputs  map[string]Literal
	Outputs map[string]Literal
}

// Cancel asks the shell to stop a running attempt.
type Cancel struct {
	Node    int32
	Item    int
	Attempt int
	JobID   string
}

// Notify asks the shell to tell someone about the execution's end (kept for
// launch-plan notifications).
type Notify struct {
	Phase ExecPhase
}

// Finish says the execution reached a terminal phase.
type Finish struct {
	Phase   ExecPhase
	Outputs map[string]Literal
	Error   string
}

// Wake asks the shell to deliver a Tick at or after At (a retry's backoff).
type Wake struct {
	At time.Time
}

func (LookupCache) isCommand()  {}
func (Reserve) isCommand()      {}
func (Release) isCommand()      {}
func (Dispatch) isCommand()     {}
func (WriteCatalog) isCommand() {}
func (Cancel) isCommand()       {}
func (Notify) isCommand()       {}
func (Finish) isCommand()       {}
func (Wake) isCommand()         {}
