package engine_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
	"github.com/aloft-run/aloft/store/s3store"
)

// queueDispatcher records submissions the way a cloud batch service takes
// them: nothing runs until the test runs it.
type queueDispatcher struct {
	mu      sync.Mutex
	n       int
	jobs    []batchrunner.Job
	ids     []string
	perPath map[string]int // submissions per attempt prefix
	cancels []string
}

func (d *queueDispatcher) Submit(_ context.Context, j batchrunner.Job) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n++
	id := fmt.Sprintf("job-%d", d.n)
	d.jobs = append(d.jobs, j)
	d.ids = append(d.ids, id)
	if d.perPath == nil {
		d.perPath = map[string]int{}
	}
	d.perPath[j.Prefix]++
	return id, nil
}

func (d *queueDispatcher) Cancel(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cancels = append(d.cancels, id)
	return nil
}

// take hands over the jobs submitted since the last take.
func (d *queueDispatcher) take() ([]batchrunner.Job, []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	j, ids := d.jobs, d.ids
	d.jobs, d.ids = nil, nil
	return j, ids
}

type eventFixture struct {
	st  store.Store
	eng *engine.Engine
	d   *queueDispatcher
	ran map[string]int // task runs to completion per attempt prefix
}

func newEventFixture(t *testing.T) *eventFixture {
	t.Helper()
	st, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	require.NoError(t, err)
	return newEventFixtureOn(t, st)
}

// newEventFixtureOn is the fixture over a given bucket.
func newEventFixtureOn(t *testing.T, st store.Store) *eventFixture {
	t.Helper()
	d := &queueDispatcher{}
	var n int
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d,
		NewID: func() string { n++; return fmt.Sprintf("x%d", n) },
		Now:   func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) },
	})
	require.NoError(t, err)
	return &eventFixture{st: st, eng: eng, d: d, ran: map[string]int{}}
}

// runJob runs a job with the real runner, as a container would; it returns
// the keys of the objects a store would announce.
func (f *eventFixture) runJob(t *testing.T, j batchrunner.Job, id string) []string {
	t.Helper()
	ctx := context.Background()
	before, _ := f.st.Head(ctx, j.Prefix+batchrunner.OutputsFile)
	err := batchrunner.Run(ctx, f.st, j.Prefix, batchrunner.RunOptions{JobID: id, WorkDir: t.TempDir(), Memory: batchrunner.MemoryOff})
	require.NoError(t, err, "run %s", j.Prefix)
	// A run to completion writes outputs.json anew (a new ETag).
	if after, err := f.st.Head(ctx, j.Prefix+batchrunner.OutputsFile); err == nil && after.ETag != before.ETag {
		f.ran[j.Prefix]++
	}
	return []string{j.Prefix + batchrunner.ClaimFile, j.Prefix + batchrunner.OutputsFile}
}

func (f *eventFixture) start(t *testing.T) engine.Ref {
	t.Helper()
	wf := compile(t, "testdata/fanin.yaml", "fanin")
	ref, err := f.eng.Start(context.Background(), wf, nil, engine.StartOptions{Swept: true})
	require.NoError(t, err)
	// The first advance of a started execution acts on its saved
	// intentions, as the advance function does after a launch request.
	_, err = f.eng.Sweep(context.Background(), ref, nil)
	require.NoError(t, err)
	return ref
}

func TestAdvanceDuplicatedAndReorderedEvents(t *testing.T) {
	ctx := context.Background()
	f := newEventFixture(t)
	ref := f.start(t)
	for round := 0; round < 3; round++ {
		jobs, ids := f.d.take()
		if len(jobs) == 0 {
			break
		}
		var signals []engine.Signal
		for i, j := range jobs {
			keys := f.runJob(t, j, ids[i])
			node, item := engine.ParseAttemptSeg(strings.Split(j.Prefix, "/")[2])
			// Results before claims, every key twice, and the batch
			// service's stale news after the result.
			signals = append(signals, engine.ObjectCreated{Key: keys[1]}, engine.ObjectCreated{Key: keys[0]}, engine.ObjectCreated{Key: keys[1]},
				engine.JobUpdate{Node: node, Item: item, Attempt: j.Attempt, Started: true},
				engine.JobUpdate{Node: node, Item: item, Attempt: j.Attempt, Failed: true, Message: "Host EC2 terminated"})
		}
		// Delivered in reverse, then again in order.
		rev := make([]engine.Signal, len(signals))
		for i := range signals {
			rev[len(signals)-1-i] = signals[i]
		}
		_, err := f.eng.Advance(ctx, ref, rev)
		require.NoError(t, err)
		_, err = f.eng.Advance(ctx, ref, signals)
		require.NoError(t, err)
		// A duplicate dispatch after a crash between save and act is
		// harmless: the job finds its attempt claimed and runs nothing.
		for i, j := range jobs {
			f.runJob(t, j, ids[i]+"-duplicate")
		}
	}
	s, err := f.eng.Load(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase, "error %q", s.Error)
	assert.Equal(t, "hi1 hi2 hi3 hi4 hi5 hi6 hi7 hi8", s.Outputs["all"].Str)
	assert.Len(t, f.d.perPath, 9, "attempts submitted: one per node")
	for p, n := range f.d.perPath {
		assert.Equal(t, 1, n, "submissions of attempt %s", p)
	}
	for p, n := range f.ran {
		assert.Equal(t, 1, n, "runs of attempt %s", p)
	}
	refs, _ := f.eng.ActiveExecutions(ctx)
	assert.Empty(t, refs, "active markers left after the end")
}

func TestAdvanceConcurrentInvocations(t *testing.T) {
	testConcurrentInvocations(t, newEventFixture(t))
}

// On S3, the race is lost with HTTP 412 (If-Match) answers: the same
// invariants hold through the S3 store (gofakes3 keeps If-Match atomic).
func TestAdvanceConcurrentInvocationsS3(t *testing.T) {
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket("aloft"))
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	defer srv.Close()
	st, err := s3store.Open(context.Background(), "aloft", "", s3store.WithEndpoint(srv.URL), s3store.WithRegion("us-east-1"),
		s3store.WithCredentials(credentials.NewStaticCredentialsProvider("aloft", "aloft-secret", "")))
	require.NoError(t, err)
	testConcurrentInvocations(t, newEventFixtureOn(t, st))
}

// raceStore makes the first n loads of a state wait for each other, so
// that n concurrent invocations all read the same version and all but one
// lose the conditional write; it counts the lost writes.
type raceStore struct {
	store.Store
	mu        sync.Mutex
	n         int
	release   chan struct{}
	conflicts int
}

func (r *raceStore) Get(ctx context.Context, key string) (io.ReadCloser, store.Object, error) {
	if !strings.HasSuffix(key, "/state.json") {
		return r.Store.Get(ctx, key)
	}
	b, obj, err := store.ReadAll(ctx, r.Store, key) // read first, then wait
	r.mu.Lock()
	if r.n > 0 {
		r.n--
		if r.n == 0 {
			close(r.release)
		}
		r.mu.Unlock()
		<-r.release
	} else {
		r.mu.Unlock()
	}
	return io.NopCloser(bytes.NewReader(b)), obj, err
}

func (r *raceStore) Put(ctx context.Context, key string, body io.Reader, o store.PutOptions) (store.Object, error) {
	obj, err := r.Store.Put(ctx, key, body, o)
	if errors.Is(err, store.ErrConflict) && strings.HasSuffix(key, "/state.json") {
		r.mu.Lock()
		r.conflicts++
		r.mu.Unlock()
	}
	return obj, err
}

func testConcurrentInvocations(t *testing.T, f *eventFixture) {
	ctx := context.Background()
	ref := f.start(t)
	race := &raceStore{Store: f.st, n: 8, release: make(chan struct{})}
	eng, err := engine.New(engine.Config{Store: race, Dispatcher: f.d, Now: func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }})
	require.NoError(t, err)
	defer func() {
		assert.GreaterOrEqual(t, race.conflicts, 7, "lost races: the invocations did not race")
	}()
	jobs, ids := f.d.take()
	require.Len(t, jobs, 8, "jobs dispatched at the start")
	keys := make([]string, len(jobs))
	for i, j := range jobs {
		keys[i] = f.runJob(t, j, ids[i])[1]
	}
	// Eight invocations at once, each with one result: they race on the
	// state's conditional write; the losers reload and apply again.
	var wg sync.WaitGroup
	errs := make([]error, len(keys))
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = eng.Advance(ctx, ref, []engine.Signal{engine.ObjectCreated{Key: keys[i]}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	s, err := f.eng.Load(ctx, ref)
	require.NoError(t, err)
	var done []string
	for i, n := range s.Compiled().Nodes {
		if s.Nodes[i].Phase == orchestrator.Succeeded {
			done = append(done, n.Name)
		}
	}
	sort.Strings(done)
	require.Equal(t, "a,b,c,d,e,f,g,h", strings.Join(done, ","), "succeeded after the race (an event was lost?)")
	join, jids := f.d.take()
	require.Len(t, join, 1, "dispatches after the fan-in: want join once")
	require.Contains(t, join[0].Prefix, "/join/")
	keys = f.runJob(t, join[0], jids[0])
	s, err = f.eng.Advance(ctx, ref, []engine.Signal{engine.ObjectCreated{Key: keys[1]}})
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase)
}

func TestSweepPicksUpLostResultsAndStaleMarkers(t *testing.T) {
	ctx := context.Background()
	f := newEventFixture(t)
	ref := f.start(t)
	jobs, ids := f.d.take()
	for i, j := range jobs {
		f.runJob(t, j, ids[i]) // no notification reaches the engine
	}
	_, err := f.eng.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	join, jids := f.d.take()
	require.Len(t, join, 1, "the sweep dispatches the join")
	f.runJob(t, join[0], jids[0])
	s, err := f.eng.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase, "after the second sweep")
	// A marker whose execution never got a state (a crash in Start) goes
	// once it is old.
	ghost := engine.Ref{Project: "default", Domain: "development", Exec: "ghost1"}
	_, err = store.PutBytes(ctx, f.st, engine.LiveMarkerKey(ghost), []byte("ghost1"), store.PutOptions{})
	require.NoError(t, err)
	_, err = f.eng.Sweep(ctx, ghost, nil)
	require.Error(t, err, "sweep of an execution without state")
	// The fixture's clock is fixed at 2026-11-28; the marker was written
	// now, so it is "in the future" and young: kept.
	refs, _ := f.eng.ActiveExecutions(ctx)
	require.Len(t, refs, 1, "young marker removed")
}

// arrayDispatcher takes the items of a map node as array jobs.
type arrayDispatcher struct {
	queueDispatcher
	arrays [][]batchrunner.Job
}

func (d *arrayDispatcher) SubmitArray(_ context.Context, jobs []batchrunner.Job) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.arrays = append(d.arrays, jobs)
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = fmt.Sprintf("array-%d:%d", len(d.arrays), i)
		d.jobs = append(d.jobs, j)
		d.ids = append(d.ids, ids[i])
	}
	return ids, nil
}

func TestAdvanceSubmitsMapItemsAsArrays(t *testing.T) {
	ctx := context.Background()
	st, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	require.NoError(t, err)
	d := &arrayDispatcher{}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, NewID: func() string { return "m1" }})
	require.NoError(t, err)
	f := &eventFixture{st: st, eng: eng, ran: map[string]int{}}
	ref, err := eng.Start(ctx, compile(t, "testdata/map.yaml", "squares"), nil, engine.StartOptions{})
	require.NoError(t, err)
	s, err := eng.Sweep(ctx, ref, nil)
	for round := 0; err == nil && !s.Phase.Terminal() && round < 10; round++ {
		jobs, ids := d.take()
		var signals []engine.Signal
		for i, j := range jobs {
			signals = append(signals, engine.ObjectCreated{Key: f.runJob(t, j, ids[i])[1]})
		}
		s, err = eng.Advance(ctx, ref, signals)
	}
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecSucceeded, s.Phase)
	assert.Contains(t, fmt.Sprint(s.Outputs["squares"]), "1")
	assert.Len(t, s.Outputs["squares"].List, 5)
	// Two items at a time: the first two go as one array job; later items
	// come one by one as slots free up.
	require.NotEmpty(t, d.arrays)
	require.Len(t, d.arrays[0], 2, "want the first two items in one array")
	for _, a := range d.arrays {
		assert.LessOrEqual(t, len(a), 2, "an array exceeds the concurrency of 2")
	}
}

func TestLocalRunsLeaveNoMarker(t *testing.T) {
	ctx := context.Background()
	f := newEventFixture(t)
	_, err := f.eng.Start(ctx, compile(t, "testdata/fanin.yaml", "fanin"), nil, engine.StartOptions{})
	require.NoError(t, err)
	// aloft run drives its own execution: the sweeps of aloft dev or the
	// advance function must not take it over (after a kill, --resume does).
	refs, _ := f.eng.ActiveExecutions(ctx)
	require.Empty(t, refs, "markers for an execution nobody sweeps")
}

func TestSweepReissuesCancelsOfAnAbortedRun(t *testing.T) {
	ctx := context.Background()
	f := newEventFixture(t)
	ref := f.start(t)
	jobs, _ := f.d.take()
	s, err := f.eng.Advance(ctx, ref, []engine.Signal{engine.CancelRequest{Reason: "stop"}})
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecAborted, s.Phase)
	require.Len(t, f.d.cancels, len(jobs), "a cancel per job")
	// Say the advance that saved the abort died before its cancels reached
	// the batch service: the next sweep sends them again.
	f.d.cancels = nil
	_, err = store.PutBytes(ctx, f.st, engine.LiveMarkerKey(ref), []byte(ref.Exec), store.PutOptions{})
	require.NoError(t, err)
	_, err = f.eng.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	require.Len(t, f.d.cancels, len(jobs), "cancels the sweep re-sent")
	refs, _ := f.eng.ActiveExecutions(ctx)
	assert.Empty(t, refs, "marker left")
}

func TestSweepFailsAttemptsPastTheirTimeout(t *testing.T) {
	ctx := context.Background()
	st, err := dirstore.Open(filepath.Join(t.TempDir(), "bucket"))
	require.NoError(t, err)
	d := &queueDispatcher{}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, NewID: func() string { return "slow1" }, Now: func() time.Time { return now }})
	require.NoError(t, err)
	ref, err := eng.Start(ctx, compile(t, "testdata/timeout.yaml", "slow"), nil, engine.StartOptions{Swept: true})
	require.NoError(t, err)
	_, err = eng.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	jobs, ids := d.take()
	require.Len(t, jobs, 1)
	_, err = eng.Advance(ctx, ref, []engine.Signal{engine.JobUpdate{Node: "wait", Item: -1, Attempt: 1, Started: true}})
	require.NoError(t, err)
	// Within the timeout and its grace: nothing happens.
	now = now.Add(5 * time.Minute)
	s, err := eng.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecRunning, s.Phase, "at 5m")
	require.Empty(t, d.cancels, "cancels at 5m")
	// Past 1m + 5m of grace with no result: the job is cancelled and the
	// attempt fails as timed out.
	now = now.Add(2 * time.Minute)
	s, err = eng.Sweep(ctx, ref, nil)
	require.NoError(t, err)
	require.Equal(t, orchestrator.ExecFailed, s.Phase, "at 7m")
	require.Contains(t, s.Nodes[0].Err, "timed out")
	require.NotEmpty(t, d.cancels)
	assert.Equal(t, ids[0], d.cancels[0], "the job cancelled")
}
