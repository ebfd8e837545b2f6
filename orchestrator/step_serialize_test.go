package orchestrator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serializedPair is cachedPair with `cache: {version: "1", serialize: true}`.
func serializedPair() *builder {
	b := cachedPair()
	b.c.Tasks["c"].Cache.Serialize = true
	return b
}

// serialStep applies events in order, one second apart after t0, and
// returns the state and the commands of the last one.
func serialStep(s State, evs ...Event) (State, []Command) {
	var cmds []Command
	for i, ev := range evs {
		s, cmds = Step(s, ev, t0.Add(time.Duration(i+1)*time.Second))
	}
	return s, cmds
}

func TestStepSerialize(t *testing.T) {
	miss := CacheResult{Node: 0, Item: -1}
	until := t0.Add(time.Minute)
	busy := Reserved{Node: 0, Item: -1, Try: 1, Until: until}
	hit := CacheResult{Node: 0, Item: -1, Hit: true, Outputs: ys(9)}
	cases := []struct {
		name   string
		events []Event
		want   []string
		phase  Phase
		tries  int
		held   bool
	}{
		{name: "a miss asks for the reservation", events: []Event{miss},
			want: []string{"reserve 0 #1"}, phase: CacheLookup, tries: 1},
		{name: "a repeated miss asks nothing more", events: []Event{miss, miss},
			want: nil, phase: CacheLookup, tries: 1},
		{name: "the reservation taken dispatches", events: []Event{miss, Reserved{Node: 0, Item: -1, Try: 1, Taken: true}},
			want: []string{"dispatch a #1"}, phase: Queued, tries: 1, held: true},
		{name: "a reservation held elsewhere waits until its lease ends", events: []Event{miss, busy},
			want: []string{"wake +1m0s"}, phase: Waiting, tries: 1},
		{name: "a duplicate busy answer changes nothing", events: []Event{miss, busy, busy},
			want: nil, phase: Waiting, tries: 1},
		{name: "the holder's entry wakes the waiting node as a hit", events: []Event{miss, busy, hit},
			want: []string{"lookup 1"}, phase: Cached, tries: 1},
		{name: "a miss does not wake a waiting node", events: []Event{miss, busy, miss},
			want: nil, phase: Waiting, tries: 1},
		{name: "a tick before the lease ends keeps waiting", events: []Event{miss, busy, Tick{}},
			want: []string{"wake +1m0s"}, phase: Waiting, tries: 1},
		{name: "success writes the catalog, then releases", events: []Event{miss, Reserved{Node: 0, Item: -1, Try: 1, Taken: true},
			AttemptSucceeded{Node: 0, Item: -1, Attempt: 1, Outputs: ys(9)}},
			want: []string{"write-catalog 0", "release 0", "lookup 1"}, phase: Succeeded, tries: 1, held: true},
		{name: "a failure keeps the reservation for the retry", events: []Event{miss, Reserved{Node: 0, Item: -1, Try: 1, Taken: true},
			AttemptFailed{Node: 0, Item: -1, Attempt: 1, Kind: ErrSystem}},
			want: []string{"wake +4s"}, phase: Retrying, tries: 1, held: true},
		{name: "a final failure releases", events: []Event{miss, Reserved{Node: 0, Item: -1, Try: 1, Taken: true},
			AttemptFailed{Node: 0, Item: -1, Attempt: 1, Kind: ErrNoRetry}},
			want: []string{"release 0", "finish failed", "notify failed"}, phase: Failed, tries: 1, held: true},
		{name: "cancel releases a held reservation", events: []Event{miss, Reserved{Node: 0, Item: -1, Try: 1, Taken: true}, CancelRequested{}},
			want: []string{"cancel 0", "release 0", "finish aborted", "notify aborted"}, phase: Aborted, tries: 1, held: true},
		{name: "cancel ends a waiting node", events: []Event{miss, busy, CancelRequested{}},
			want: []string{"finish aborted", "notify aborted"}, phase: Aborted, tries: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := serializedPair().start(t, Options{})
			s, cmds := serialStep(s, tc.events...)
			assert.Equal(t, tc.want, kinds(cmds))
			ns := s.Nodes[0]
			assert.Equal(t, tc.phase, ns.Phase)
			assert.Equal(t, tc.tries, ns.Tries)
			assert.Equal(t, tc.held, ns.Held)
			if s.Phase == ExecRunning {
				want := 0
				if ns.Phase == Waiting || ns.Phase == Retrying {
					want = 1
				}
				assert.Equal(t, want, s.Retrying, "waiting nodes are counted with retrying ones")
			}
		})
	}
}

// A waiting node whose holder's lease ran out asks again (the shell then
// takes the reservation over); an answer to the first request is stale.
func TestStepSerializeTakeover(t *testing.T) {
	s, _ := serializedPair().start(t, Options{})
	s, _ = Step(s, CacheResult{Node: 0, Item: -1}, t0)
	s, _ = Step(s, Reserved{Node: 0, Item: -1, Try: 1, Until: t0.Add(5 * time.Minute)}, t0)
	require.Equal(t, Waiting, s.Nodes[0].Phase)
	assert.Equal(t, []Command{Wake{At: t0.Add(5 * time.Minute).UTC()}}, PendingCommands(s), "a saved waiting node implies its timer")

	s, cmds := Step(s, Tick{}, t0.Add(5*time.Minute))
	assert.Equal(t, []string{"reserve 0 #2"}, kinds(cmds))
	require.Equal(t, CacheLookup, s.Nodes[0].Phase)
	assert.Equal(t, 0, s.Retrying)
	assert.Equal(t, []string{"reserve 0 #2"}, kinds(PendingCommands(s)), "a crash before acting asks again")

	seq := s.Seq
	s, cmds = Step(s, Reserved{Node: 0, Item: -1, Try: 1, Taken: true}, t0.Add(5*time.Minute))
	assert.Empty(t, cmds, "an answer to the first request is stale")
	assert.Equal(t, seq, s.Seq)

	s, cmds = Step(s, Reserved{Node: 0, Item: -1, Try: 2, Taken: true}, t0.Add(5*time.Minute))
	assert.Equal(t, []string{"dispatch a #1"}, kinds(cmds))
	assert.True(t, s.Nodes[0].Held)
}

// Without serialize a miss dispatches at once, as before.
func TestStepUnserializedMissDispatches(t *testing.T) {
	s, _ := cachedPair().start(t, Options{})
	_, cmds := Step(s, CacheResult{Node: 0, Item: -1}, t0)
	assert.Equal(t, []string{"dispatch a #1"}, kinds(cmds))
}
