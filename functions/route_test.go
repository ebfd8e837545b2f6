package functions

import "testing"

func TestS3Target(t *testing.T) {
	for _, c := range []struct {
		typ, key string
		want     target
	}{
		{TypeObjectCreated, "incoming/diabetes/pima.csv", toTrigger},
		{TypeObjectDeleted, "incoming/diabetes/pima.csv", noTarget},
		{TypeObjectCreated, "registry/default/development/launchplans/nightly/active.json", toRegistrar},
		{TypeObjectDeleted, "registry/default/development/launchplans/nightly/active.json", toRegistrar},
		{TypeObjectCreated, "registry/default/development/launchplans/nightly/v1.json", noTarget},
		{TypeObjectCreated, "requests/launch/r1.json", toAdvance},
		{TypeObjectCreated, "data/r1/train/1/outputs.json", toAdvance},
		{TypeObjectCreated, "data/r1/train/1/error.json", toAdvance},
		{TypeObjectCreated, "data/r1/train/1/claim.json", toAdvance},
		{TypeObjectCreated, "data/r1/train/1/outputs/model", noTarget},
		{TypeObjectCreated, "executions/default/development/r1/state.json", noTarget},
	} {
		if got := s3Target(c.typ, c.key); got != c.want {
			t.Errorf("%s %s: %d, want %d", c.typ, c.key, got, c.want)
		}
	}
}
