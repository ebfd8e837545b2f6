package orchestrator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDispatchedRecordsTheTarget: an attempt records the target its job
// runs on (for the sweep's Liveness); a new attempt starts without one, and
// ActiveAttempts says when it was queued.
func TestDispatchedRecordsTheTarget(t *testing.T) {
	wf := chainN(1)
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	s := NewState(wf, "d", Options{Exec: "e"}, now)
	s, _ = Step(s, ExecutionRequested{}, now)
	s, _ = Step(s, CacheResult{Node: 0, Item: -1}, now)
	s, _ = Step(s, Dispatched{Node: 0, Item: -1, Attempt: 1, JobID: "j1", Target: "local"}, now)
	require.Equal(t, "local", s.Nodes[0].Target)
	active := ActiveAttempts(s)
	require.Len(t, active, 1)
	assert.Equal(t, "local", active[0].Target)
	assert.Equal(t, now.UnixMilli(), active[0].Since)

	s, _ = Step(s, AttemptFailed{Node: 0, Item: -1, Attempt: 1, Kind: ErrSystem, Message: "reclaimed"}, now)
	later := now.Add(time.Hour)
	s, _ = Step(s, Tick{}, later)
	require.Equal(t, 2, s.Nodes[0].Attempt)
	assert.Empty(t, s.Nodes[0].Target, "a new attempt has no job yet")
	active = ActiveAttempts(s)
	require.Len(t, active, 1)
	assert.Equal(t, s.Nodes[0].RetryAt, active[0].Since, "a retry was queued when it was due")
	assert.Greater(t, active[0].Since, now.UnixMilli())
}
