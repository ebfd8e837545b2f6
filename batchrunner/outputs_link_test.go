package batchrunner_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
)

// TestRunOutputLinks: a symbolic link in a task's outputs that resolves
// outside the attempt's work directory fails the attempt, naming the
// output and the link's target; one inside it is followed.
func TestRunOutputLinks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		typ    string
		script string // $1 is the output's path; the work directory is $ALOFT_OUTPUT_DIR/..
		want   string // the failure's message contains it; "": success
		check  func(t *testing.T, o *batchrunner.Outputs)
	}{
		{name: "file linking outside", typ: "file", script: `ln -s /etc/passwd "$1"`,
			want: "output out: "},
		{name: "file linking outside through a link inside", typ: "file", script: `ln -s /etc/passwd "$ALOFT_OUTPUT_DIR/../hop"; ln -s ../hop "$1"`,
			want: "is a symbolic link to ../hop, outside the attempt's work directory"},
		{name: "directory with a link outside", typ: "directory", script: `mkdir "$1"; echo a > "$1/a"; mkdir "$1/sub"; ln -s /etc/passwd "$1/sub/p"`,
			want: "output out/sub/p: "},
		{name: "directory linking outside", typ: "directory", script: `ln -s /etc "$1"`,
			want: "is a symbolic link to /etc, outside"},
		{name: "file linking inside", typ: "file", script: `echo inside > "$ALOFT_OUTPUT_DIR/../real"; ln -s ../real "$1"`,
			check: func(t *testing.T, o *batchrunner.Outputs) {
				assert.Equal(t, int64(len("inside\n")), o.Outputs["out"].Blob.Size)
			}},
		{name: "directory with a link inside", typ: "directory", script: `mkdir "$1"; echo a > "$1/a"; ln -s a "$1/b"`,
			check: func(t *testing.T, o *batchrunner.Outputs) {
				assert.Equal(t, int64(4), o.Outputs["out"].Blob.Size, "a and b, 2 bytes each")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			task := orchestrator.TaskTemplate{
				Command: []string{"sh", "-c", c.script, "sh", "{{outputs.out}}"},
				Outputs: []orchestrator.Param{param("out", c.typ)},
			}
			r := run(t, st, attempt(t, st, task, nil), batchrunner.RunOptions{})
			if c.want == "" {
				c.check(t, r.ok(t))
				return
			}
			f := wantKind(t, r.failed(t), orchestrator.ErrUser)
			require.Contains(t, f.Message, c.want)
			assert.Contains(t, f.Message, "outside the attempt's work directory")
			t.Log(f.Message)
		})
	}
}
