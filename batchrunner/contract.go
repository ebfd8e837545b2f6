package batchrunner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// The objects of one attempt, relative to its prefix (AttemptPrefix).
// They are layout's names, repeated here for the runner's callers.
const (
	InputsFile  = layout.InputsFile  // the Attempt; written by the engine before dispatch
	ClaimFile   = layout.ClaimFile   // the Claim; created if absent by the runner that runs the attempt
	LogFile     = layout.LogFile     // the task's combined stdout and stderr; none when it printed nothing (read a missing one as empty)
	OutputsFile = layout.OutputsFile // the Outputs; the last object of a successful attempt
	ErrorFile   = layout.ErrorFile   // the Failure; the last object of a failed attempt
	OutputsDir  = layout.OutputsDir  // uploaded file and directory outputs
)

// ErrClaimed is returned by Claim when another job already claimed the
// attempt. The caller must do nothing more for the attempt: the other job
// runs it.
var ErrClaimed = errors.New("batchrunner: attempt claimed by another job")

// ErrNoResult is returned by ReadResult while an attempt has written neither
// outputs.json nor error.json. It wraps store.ErrNotFound.
var ErrNoResult = fmt.Errorf("batchrunner: attempt has no result yet: %w", store.ErrNotFound)

// AttemptPrefix is the key prefix of one attempt, ending in "/":
// "data/<exec>/<node>/<attempt>/", with "<node>.<item>" for a map item
// (item >= 0; item -1 means not a map item).
func AttemptPrefix(exec, node string, item, attempt int) string {
	return layout.AttemptPrefix(exec, node, item, attempt)
}

// Attempt is inputs.json: everything the runner needs to run one attempt.
type Attempt struct {
	Project string                          `json:"project"`
	Domain  string                          `json:"domain"`
	Exec    string                          `json:"exec"`
	Node    string                          `json:"node"`
	Item    int                             `json:"item"` // -1 unless a map item
	Attempt int                             `json:"attempt"`
	Task    orchestrator.TaskTemplate       `json:"task"`
	Inputs  map[string]orchestrator.Literal `json:"inputs"`
}

// Prefix is the attempt's key prefix.
func (a *Attempt) Prefix() string { return AttemptPrefix(a.Exec, a.Node, a.Item, a.Attempt) }

// Label names the attempt in logs: the node, with ".<item>" for a map item.
func (a *Attempt) Label() string {
	if a.Item >= 0 {
		return a.Node + "." + strconv.Itoa(a.Item)
	}
	return a.Node
}

// WriteAttempt writes a's inputs.json if it is absent and returns the
// attempt prefix. An existing identical document is fine (a shell delivering
// a saved Dispatch again after a crash); a different one is an error wrapping
// store.ErrConflict.
func WriteAttempt(ctx context.Context, st store.Store, a *Attempt) (string, error) {
	prefix := a.Prefix()
	key := prefix + InputsFile
	_, err := store.PutJSON(ctx, st, key, a, store.PutOptions{IfAbsent: true})
	if err == nil || !errors.Is(err, store.ErrConflict) {
		if err != nil {
			return "", fmt.Errorf("write attempt %s: %w", key, err)
		}
		return prefix, nil
	}
	var old Attempt
	if _, err := store.GetJSON(ctx, st, key, &old); err != nil {
		return "", fmt.Errorf("write attempt %s: read existing: %w", key, err)
	}
	ob, err1 := json.Marshal(&old)
	nb, err2 := json.Marshal(a)
	if err1 != nil || err2 != nil || string(ob) != string(nb) {
		return "", fmt.Errorf("write attempt %s: a different attempt is already there: %w", key, store.ErrConflict)
	}
	return prefix, nil
}

// ReadAttempt reads an attempt's inputs.json.
func ReadAttempt(ctx context.Context, st store.Store, prefix string) (*Attempt, error) {
	var a Attempt
	if _, err := store.GetJSON(ctx, st, prefix+InputsFile, &a); err != nil {
		return nil, fmt.Errorf("read attempt: %w", err)
	}
	return &a, nil
}

// ClaimRecord is claim.json. Its creation also tells watchers that the
// attempt started (the engine's AttemptStarted).
type ClaimRecord struct {
	JobID     string    `json:"job_id"`
	ClaimedAt time.Time `json:"claimed_at"`
	// Process is the local process that runs the attempt (the local
	// executor's); none for jobs of a batch service or a container.
	Process *ProcessID `json:"process,omitempty"`
}

// ReadClaim reads an attempt's claim.json; an error wrapping
// store.ErrNotFound while it is unclaimed.
func ReadClaim(ctx context.Context, st store.Store, prefix string) (*ClaimRecord, error) {
	var c ClaimRecord
	if _, err := store.GetJSON(ctx, st, prefix+ClaimFile, &c); err != nil {
		return nil, fmt.Errorf("read claim of %s: %w", prefix, err)
	}
	return &c, nil
}

// Claim claims the attempt at prefix for jobID with a create-if-absent write
// of claim.json. It returns nil when the claim is new or already belongs to
// jobID (the same job retried by Batch after a host or spot reclaim), and
// ErrClaimed when another job holds it.
func Claim(ctx context.Context, st store.Store, prefix, jobID string, now time.Time) error {
	_, err := claim(ctx, st, prefix, ClaimRecord{JobID: jobID, ClaimedAt: now.UTC()})
	return err
}

// claim is Claim that also reports whether this call made the claim (so
// the attempt cannot have a result yet).
func claim(ctx context.Context, st store.Store, prefix string, rec ClaimRecord) (fresh bool, err error) {
	jobID := rec.JobID
	if jobID == "" {
		return false, fmt.Errorf("claim %s: empty job id", prefix)
	}
	key := prefix + ClaimFile
	_, err = store.PutJSON(ctx, st, key, rec, store.PutOptions{IfAbsent: true})
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, store.ErrConflict) {
		return false, fmt.Errorf("claim %s: %w", prefix, err)
	}
	var held ClaimRecord
	if _, err := store.GetJSON(ctx, st, key, &held); err != nil {
		return false, fmt.Errorf("claim %s: read existing claim: %w", prefix, err)
	}
	if held.JobID == jobID {
		return false, nil
	}
	return false, fmt.Errorf("%w: %s is held by job %s, not %s", ErrClaimed, prefix, held.JobID, jobID)
}

// Outputs is outputs.json: the attempt's output literals. Its creation is
// the completion event.
type Outputs struct {
	Outputs  map[string]orchestrator.Literal `json:"outputs"`
	PeakRSS  int64                           `json:"peak_rss_bytes,omitempty"` // measured where a memory limit applied
	JobID    string                          `json:"job_id"`
	Started  time.Time                       `json:"started"`
	Finished time.Time                       `json:"finished"`
}

// Failure is error.json: why the attempt failed. Its creation is the
// completion event of a failed attempt.
type Failure struct {
	Kind     orchestrator.ErrorKind `json:"kind"`
	ExitCode int                    `json:"exit_code"`        // -1 when the task did not exit by itself (or never started)
	Signal   string                 `json:"signal,omitempty"` // "SIGKILL", when a signal ended the task
	Message  string                 `json:"message"`
	LogTail  string                 `json:"log_tail,omitempty"` // the last few KiB of the combined output
	PeakRSS  int64                  `json:"peak_rss_bytes,omitempty"`
	JobID    string                 `json:"job_id"`
	Started  time.Time              `json:"started"`
	Finished time.Time              `json:"finished"`
}

// Error makes a Failure readable as an error: "<kind>: <message>".
func (f *Failure) Error() string { return string(f.Kind) + ": " + f.Message }

// WriteOutputs writes outputs.json if no result exists yet. It returns
// false when the attempt already had a result (outputs.json or error.json),
// which is then left as it was.
func WriteOutputs(ctx context.Context, st store.Store, prefix string, o *Outputs) (bool, error) {
	return writeResult(ctx, st, prefix, OutputsFile, o)
}

// WriteFailure writes error.json if no result exists yet. It returns false
// when the attempt already had a result, which is then left as it was.
func WriteFailure(ctx context.Context, st store.Store, prefix string, f *Failure) (bool, error) {
	return writeResult(ctx, st, prefix, ErrorFile, f)
}

func writeResult(ctx context.Context, st store.Store, prefix, name string, v any) (bool, error) {
	if _, _, err := ReadResult(ctx, st, prefix); !errors.Is(err, ErrNoResult) {
		if err != nil {
			return false, err
		}
		return false, nil
	}
	return writeNewResult(ctx, st, prefix, name, v)
}

// writeNewResult is writeResult for a writer that knows the attempt has no
// result of either kind: the runner whose claim is new (the claim keeps
// every other job out, and this job has not written one).
func writeNewResult(ctx context.Context, st store.Store, prefix, name string, v any) (bool, error) {
	if err := syncStore(ctx, st); err != nil {
		return false, err
	}
	_, err := store.PutJSON(ctx, st, prefix+name, v, store.PutOptions{IfAbsent: true})
	if errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("write %s%s: %w", prefix, name, err)
	}
	return true, syncStore(ctx, st)
}

// ReadResult reads an attempt's outcome: outputs.json, or error.json, or
// ErrNoResult while it has neither. Should both exist (a result written by
// a second runner of the same job), outputs.json wins.
func ReadResult(ctx context.Context, st store.Store, prefix string) (*Outputs, *Failure, error) {
	var o Outputs
	_, err := store.GetJSON(ctx, st, prefix+OutputsFile, &o)
	if err == nil {
		return &o, nil, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("read result of %s: %w", prefix, err)
	}
	var f Failure
	_, err = store.GetJSON(ctx, st, prefix+ErrorFile, &f)
	if err == nil {
		return nil, &f, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("read result of %s: %w", prefix, err)
	}
	return nil, nil, ErrNoResult
}

// syncStore makes the store's acknowledged writes durable where it groups
// fsyncs (Decision 5).
func syncStore(ctx context.Context, st store.Store) error {
	if s, ok := st.(store.Syncer); ok {
		if err := s.Sync(ctx); err != nil {
			return fmt.Errorf("sync store: %w", err)
		}
	}
	return nil
}

// validPrefix checks that prefix looks like an attempt prefix.
func validPrefix(prefix string) error {
	return layout.CheckAttemptPrefix(prefix)
}
