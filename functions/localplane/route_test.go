package localplane

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/aloft-run/aloft/functions"
)

func TestS3Target(t *testing.T) {
	for _, c := range []struct {
		typ, key string
		want     target
	}{
		{functions.TypeObjectCreated, "incoming/diabetes/pima.csv", toTrigger},
		{functions.TypeObjectDeleted, "incoming/diabetes/pima.csv", noTarget},
		{functions.TypeObjectCreated, "registry/default/development/launchplans/nightly/active.json", toRegistrar},
		{functions.TypeObjectDeleted, "registry/default/development/launchplans/nightly/active.json", toRegistrar},
		{functions.TypeObjectCreated, "registry/default/development/launchplans/nightly/v1.json", noTarget},
		{functions.TypeObjectCreated, "requests/launch/r1.json", toAdvance},
		{functions.TypeObjectCreated, "data/r1/train/1/outputs.json", toAdvance},
		{functions.TypeObjectCreated, "data/r1/train/1/error.json", toAdvance},
		{functions.TypeObjectCreated, "data/r1/train/1/claim.json", toAdvance},
		{functions.TypeObjectCreated, "data/r1/train/1/outputs/model", noTarget},
		{functions.TypeObjectCreated, "executions/default/development/r1/state.json", noTarget},
	} {
		assert.Equal(t, c.want, s3Target(c.typ, c.key), "%s %s", c.typ, c.key)
	}
}

// TestGroupJoinsOnStop: stop waits for running goroutines, ends pending
// timers without running them, and refuses new work.
func TestGroupJoinsOnStop(t *testing.T) {
	var g group
	release := make(chan struct{})
	var ran, fired bool
	assert.True(t, g.goFunc(func() { <-release; ran = true }))
	assert.True(t, g.after(1<<40, func() { fired = true }))
	stopped := make(chan struct{})
	go func() { g.stop(); close(stopped) }()
	<-g.doneChan() // stop has begun
	select {
	case <-stopped:
		t.Fatal("stop returned while a goroutine was running")
	default:
	}
	close(release)
	<-stopped
	assert.True(t, ran, "the running goroutine was joined")
	assert.False(t, fired, "a pending timer fired on stop")
	assert.False(t, g.goFunc(func() {}), "a goroutine started after stop")
	assert.False(t, g.after(0, func() {}), "a timer started after stop")
}
