package functions

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestS3Target(t *testing.T) {
	for _, c := range []struct {
		typ, key string
		want     target
	}{
		{TypeObjectCreated, "incoming/diabetes/pima.csv", toTrigger},
		{TypeObjectCreated, "incoming/diabetes/.pima.csv", noTarget},    // being written (Decision 27)
		{TypeObjectCreated, "incoming/diabetes/pima.csv.tmp", noTarget}, // being written
		{TypeObjectCreated, "triggered/diabetes/pima.csv/ab12.json", noTarget},
		{TypeObjectCreated, "data/r1/inputs/dataset/pima.csv", noTarget}, // a trigger's snapshot
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
		assert.Equal(t, c.want, s3Target(c.typ, c.key), "%s %s", c.typ, c.key)
	}
}
