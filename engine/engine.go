package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/catalog"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// Config holds the engine's dependencies. Now and NewID are injected so that
// tests are deterministic.
type Config struct {
	Store      store.Store
	Dispatcher batchrunner.Dispatcher
	Now        func() time.Time
	NewID      func() string
	// Observe, if set, sees the state after every persisted batch. It must
	// not keep or modify it.
	Observe func(*orchestrator.State)
	// Warn, if set, hears about problems that do not stop a run: a cache
	// lookup or catalog write that failed (the node runs, or the next run
	// recomputes it).
	Warn func(msg string)
	// Finished, if set, hears of each execution's end once, after the state
	// that records it is saved.
	Finished func(*orchestrator.State)
	// Wake, if set, arranges for the execution to be advanced with a tick
	// at (or soon after) at: the advance function sends itself a delayed
	// message. Event-driven shells without it rely on their sweep.
	Wake func(ctx context.Context, ref Ref, at time.Time) error
	// Liveness, if set, is asked by sweeps whether the jobs of attempts
	// older than LivenessGrace (default DefaultLivenessGrace) still run;
	// those that ended without a result are failed or reclaimed.
	Liveness      Liveness
	LivenessGrace time.Duration
	// Notifier, if set, delivers the notifications an execution asks for
	// when it ends (Decision 26); without it they are logged as unsent.
	Notifier Notifier
	// ReservationLease is how long a reservation of a serialized cache key
	// (cache: {serialize: true}) holds without renewal: a holder that died
	// blocks identical attempts at most this long. Zero means 5 minutes.
	ReservationLease time.Duration
	// ReservationRenew is how often a holder renews its lease while its
	// node runs. Zero means every minute.
	ReservationRenew time.Duration
	// HTTPGet fetches https:// inputs at ingestion; nil uses net/http.
	HTTPGet func(ctx context.Context, url string) (body []byte, err error)
}

// Notifier is the port through which the engine tells a target (a
// notification's Target, already validated) that execution s ended.
type Notifier interface {
	Notify(ctx context.Context, target string, s *orchestrator.State) error
}

// Engine runs executions.
type Engine struct {
	cfg Config
	cat *catalog.Catalog
}

// New makes an engine; Store and Dispatcher are required.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, errors.New("engine: no store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = NewExecID(cfg.Now)
	}
	if cfg.ReservationLease <= 0 {
		cfg.ReservationLease = DefaultReservationLease
	}
	if cfg.ReservationRenew <= 0 {
		cfg.ReservationRenew = DefaultReservationRenew
	}
	return &Engine{cfg: cfg, cat: catalog.New(cfg.Store)}, nil
}

func (e *Engine) warnf(format string, args ...any) {
	if e.cfg.Warn != nil {
		e.cfg.Warn(fmt.Sprintf(format, args...))
	}
}

// Ref names an execution.
type Ref struct {
	Project string `json:"project"`
	Domain  string `json:"domain"`
	Exec    string `json:"execution"`
}

// RefKey is where an execution's Ref is kept beside its data, so that a
// shell that hears about data/<exec>/... finds the execution's state.
func RefKey(exec string) string { return layout.ExecRefKey(exec) }

// FindRef reads the Ref of an execution from its data.
func (e *Engine) FindRef(ctx context.Context, exec string) (Ref, error) {
	var ref Ref
	if _, err := store.GetJSON(ctx, e.cfg.Store, RefKey(exec), &ref); err != nil {
		return Ref{}, fmt.Errorf("execution %s: %w", exec, err)
	}
	return ref, nil
}

// StateKey is where the execution's state lives.
func (r Ref) StateKey() string { return layout.StateKey(r.Project, r.Domain, r.Exec) }

// WorkflowKey is where the execution's compiled workflow lives.
func (r Ref) WorkflowKey() string { return layout.ExecWorkflowKey(r.Project, r.Domain, r.Exec) }

// IndexKey is the newest-first listing entry of an execution created at t.
func IndexKey(project, domain string, t time.Time, exec string) string {
	return layout.IndexKey(project, domain, t, exec)
}

// NewExecID returns a generator of execution ids: "r" + base-36 time in
// milliseconds + four random base-36 characters, short and roughly
// time-ordered; two processes starting in the same millisecond still differ.
func NewExecID(now func() time.Time) func() string {
	return func() string {
		var b [4]byte
		_, _ = rand.Read(b[:])
		const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
		suffix := make([]byte, 4)
		for i, c := range b {
			suffix[i] = digits[int(c)%len(digits)]
		}
		return "r" + strings.ToLower(strconv.FormatInt(now().UnixMilli(), 36)) + string(suffix)
	}
}

// loaded is an execution held in memory with the ETag it was read at.
type loaded struct {
	ref   Ref
	state orchestrator.State
	etag  string
}

// Load reads an execution's state and compiled workflow.
func (e *Engine) Load(ctx context.Context, ref Ref) (orchestrator.State, error) {
	l, err := e.load(ctx, ref)
	if err != nil {
		return orchestrator.State{}, err
	}
	return l.state, nil
}

func (e *Engine) load(ctx context.Context, ref Ref) (*loaded, error) {
	wfb, _, err := store.ReadAll(ctx, e.cfg.Store, ref.WorkflowKey())
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", ref.Exec, err)
	}
	wf, err := orchestrator.DecodeCompiled(wfb)
	if err != nil {
		return nil, fmt.Errorf("load execution %s: workflow: %w", ref.Exec, err)
	}
	sb, obj, err := store.ReadAll(ctx, e.cfg.Store, ref.StateKey())
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", ref.Exec, err)
	}
	s, err := orchestrator.DecodeState(sb, wf)
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", ref.Exec, err)
	}
	return &loaded{ref: ref, state: s, etag: obj.ETag}, nil
}

// persist writes the state if nobody else changed it since it was read.
func (e *Engine) persist(ctx context.Context, l *loaded) error {
	b, err := l.state.Encode()
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	obj, err := store.PutBytes(ctx, e.cfg.Store, l.ref.StateKey(), b, store.PutOptions{IfMatch: l.etag})
	if err != nil {
		return fmt.Errorf("save state of %s: %w", l.ref.Exec, err)
	}
	l.etag = obj.ETag
	return nil
}
