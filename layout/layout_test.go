package layout_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/layout"
)

// The builders spell the table of the package documentation.
func TestBuilders(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	catEntry, err := layout.CatalogEntryKey("p", "d", "fit", "v1", "ab12")
	require.NoError(t, err)
	catRes, err := layout.CatalogReservationKey("p", "d", "fit", "v1", "ab12")
	require.NoError(t, err)
	for _, tc := range []struct{ got, want string }{
		{layout.WorkflowKey("p", "d", "wc", "v1"), "registry/p/d/workflows/wc/v1.json"},
		{layout.LaunchPlanDir("p", "d", "daily"), "registry/p/d/launchplans/daily/"},
		{layout.LaunchPlanKey("p", "d", "daily", "v1"), "registry/p/d/launchplans/daily/v1.json"},
		{layout.PlanPointerKey("p", "d", "daily"), "registry/p/d/launchplans/daily/active.json"},
		{layout.RequestPrefix(layout.RequestLaunch), "requests/launch/"},
		{layout.LaunchRequestKey("r1"), "requests/launch/r1.json"},
		{layout.CancelRequestKey("r1"), "requests/cancel/r1.json"},
		{layout.RecoverRequestKey("r2"), "requests/recover/r2.json"},
		{layout.RelaunchRequestKey("r3"), "requests/relaunch/r3.json"},
		{layout.ExecutionPrefix("p", "d", "r1"), "executions/p/d/r1/"},
		{layout.StateKey("p", "d", "r1"), "executions/p/d/r1/state.json"},
		{layout.ExecWorkflowKey("p", "d", "r1"), "executions/p/d/r1/workflow.json"},
		{layout.RejectionKey("p", "d", "r1"), "executions/p/d/r1/rejected.json"},
		{layout.OwnerKey("p", "d", "r1"), "executions/p/d/r1/owner.json"},
		{layout.ItemKey("p", "d", "r1", "chunk-0"), "executions/p/d/r1/items/chunk-0"},
		{layout.NotifiedKey("p", "d", "r1", "failed"), "executions/p/d/r1/notified-failed"},
		{layout.DeploymentKey, "deployment.json"},
		{layout.IndexPrefix("p", "d"), "index/p/d/"},
		{layout.IndexKey("p", "d", at, "r1"), "index/p/d/9223370264488375807-r1"},
		{layout.ExecDataPrefix("r1"), "data/r1/"},
		{layout.ExecRefKey("r1"), "data/r1/execution.json"},
		{layout.InputPrefix("r1", "csv"), "data/r1/inputs/csv"},
		{layout.AttemptPrefix("r1", "fit", -1, 1), "data/r1/fit/1/"},
		{layout.AttemptPrefix("r1", "fit", 3, 2), "data/r1/fit.3/2/"},
		{layout.AttemptKey("r1", "fit", -1, 1, layout.OutputsFile), "data/r1/fit/1/outputs.json"},
		{layout.ArrayManifestKey("r1", "m", []string{"data/r1/m.0/1/", "data/r1/m.1/1/"}), "data/r1/m/array-" + hashOf("data/r1/m.0/1/\ndata/r1/m.1/1/") + ".json"},
		{catEntry, "catalog/p/d/fit/v1/ab12.json"},
		{catRes, "catalog/p/d/fit/v1/ab12.reservation"},
		{layout.IncomingKey("diabetes/pima.csv"), "incoming/diabetes/pima.csv"},
		{layout.TriggeredKey("diabetes/pima.csv", "ab12"), "triggered/diabetes/pima.csv/ab12.json"},
		{layout.LiveMarkerKey("p", "d", "r1"), "active/p/d/r1"},
		{layout.QuarantineKey("data/r1/fit/1/outputs/model"), "quarantine/data/r1/fit/1/outputs/model"},
	} {
		assert.Equal(t, tc.want, tc.got)
	}
}

// hashOf is the manifest hash the key of a prefix list has (recomputed
// from the documented rule by a second route: the first 12 hex digits).
func hashOf(s string) string {
	return sha256Hex(s)[:12]
}

func TestIndexKeyNewestFirst(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	older := layout.IndexKey("p", "d", at, "a")
	newer := layout.IndexKey("p", "d", at.Add(time.Millisecond), "b")
	assert.Less(t, newer, older, "a newer execution lists first")
}

func TestCatalogDir(t *testing.T) {
	for _, tc := range []struct {
		segs []string
		want string
		err  string
	}{
		{[]string{"p", "d"}, "catalog/p/d/", ""},
		{[]string{"p", "d", "fit"}, "catalog/p/d/fit/", ""},
		{[]string{"p", "d", "fit", "v1"}, "catalog/p/d/fit/v1/", ""},
		{[]string{"p", ""}, "", `domain "" cannot name a catalog folder`},
		{[]string{"p", "d", ".."}, "", `task ".." cannot name a catalog folder`},
		{[]string{"p", "d", "t", "a/b"}, "", `cache version "a/b" cannot name a catalog folder`},
		{[]string{"p", "d", "t", "v", "x"}, "", "at most 4"},
	} {
		got, err := layout.CatalogDir(tc.segs...)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, "%q", tc.segs)
			continue
		}
		require.NoError(t, err, "%q", tc.segs)
		assert.Equal(t, tc.want, got)
	}
	_, err := layout.CatalogEntryKey("p", "d", ".", "v1", "ab")
	assert.ErrorContains(t, err, `task "." cannot name a catalog folder`)
	_, err = layout.CatalogReservationKey("", "d", "t", "v1", "ab")
	assert.ErrorContains(t, err, `project "" cannot name a catalog folder`)
}

func TestPlanPointerKey(t *testing.T) {
	for _, tc := range []struct {
		key                 string
		project, domain, lp string
		ok                  bool
	}{
		{layout.PlanPointerKey("p", "d", "n"), "p", "d", "n", true},
		{layout.LaunchPlanKey("p", "d", "n", "v1"), "", "", "", false},
		{"registry/p/d/workflows/n/active.json", "", "", "", false},
		{"registry/p/d/launchplans/n/x/active.json", "", "", "", false},
		{"active/p/d/n", "", "", "", false},
	} {
		p, d, n, ok := layout.ParsePlanPointerKey(tc.key)
		assert.Equal(t, []any{tc.project, tc.domain, tc.lp, tc.ok}, []any{p, d, n, ok}, tc.key)
	}
}

func TestLaunchPlanKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want [4]string
		ok   bool
	}{
		{layout.LaunchPlanKey("p", "d", "n", "v1.2"), [4]string{"p", "d", "n", "v1.2"}, true},
		{layout.PlanPointerKey("p", "d", "n"), [4]string{}, false},
		{layout.WorkflowKey("p", "d", "n", "v1"), [4]string{}, false},
		{"registry/p/d/launchplans/n/v1.yaml", [4]string{}, false},
		{"registry/p/d/launchplans/n/.json", [4]string{}, false},
		{"registry/p/d/launchplans/n/x/v1.json", [4]string{}, false},
		{"registry/p//launchplans/n/v1.json", [4]string{}, false},
	} {
		p, d, n, v, ok := layout.ParseLaunchPlanKey(tc.key)
		assert.Equal(t, tc.ok, ok, tc.key)
		assert.Equal(t, tc.want, [4]string{p, d, n, v}, tc.key)
	}
}

func TestWorkflowKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want [4]string
		ok   bool
	}{
		{layout.WorkflowKey("p", "d", "n", "v1.2"), [4]string{"p", "d", "n", "v1.2"}, true},
		{layout.LaunchPlanKey("p", "d", "n", "v1"), [4]string{}, false},
		{"registry/p/d/workflows/n/v1.yaml", [4]string{}, false},
		{"registry/p/d/workflows/n/x/v1.json", [4]string{}, false},
		{"registry/p//workflows/n/v1.json", [4]string{}, false},
	} {
		p, d, n, v, ok := layout.ParseWorkflowKey(tc.key)
		assert.Equal(t, tc.ok, ok, tc.key)
		assert.Equal(t, tc.want, [4]string{p, d, n, v}, tc.key)
	}
}

func TestRequestKey(t *testing.T) {
	for _, tc := range []struct{ key, kind, id string }{
		{layout.LaunchRequestKey("r1abc"), "launch", "r1abc"},
		{layout.CancelRequestKey("r1abc"), "cancel", "r1abc"},
		{layout.RecoverRequestKey("r2"), "recover", "r2"},
		{layout.RelaunchRequestKey("r3"), "relaunch", "r3"},
		{"requests/launch/a/b.json", "", ""},
		{"requests/launch/x.txt", "", ""},
		{"requests/other/x.json", "", ""},
		{"requests/launch.json", "", ""},
	} {
		kind, id, ok := layout.ParseRequestKey(tc.key)
		assert.Equal(t, []any{tc.kind, tc.id, tc.kind != ""}, []any{kind, id, ok}, tc.key)
	}
}

func TestIndexKey(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		key  string
		want [3]string
		ok   bool
	}{
		{layout.IndexKey("p", "d", at, "r1"), [3]string{"p", "d", "r1"}, true},
		{layout.IndexKey("p", "d", at, "my-run"), [3]string{"p", "d", "my-run"}, true},
		{"index/p/d/9223370264488375807", [3]string{}, false},
		{"index/p/d/9223370264488375807-", [3]string{}, false},
		{"index/p/d/x/9223370264488375807-r1", [3]string{}, false},
		{"active/p/d/9223370264488375807-r1", [3]string{}, false},
	} {
		p, d, e, ok := layout.ParseIndexKey(tc.key)
		assert.Equal(t, tc.ok, ok, tc.key)
		assert.Equal(t, tc.want, [3]string{p, d, e}, tc.key)
	}
}

func TestLiveMarkerKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want [3]string
		ok   bool
	}{
		{layout.LiveMarkerKey("p", "d", "r1"), [3]string{"p", "d", "r1"}, true},
		{"active/p/d", [3]string{}, false},
		{"active/p/d/r1/x", [3]string{}, false},
		{"active/p//r1", [3]string{}, false},
		{"active/p/d/", [3]string{}, false},
		{"index/p/d/r1", [3]string{}, false},
		{layout.PlanPointerKey("p", "d", "n"), [3]string{}, false},
	} {
		p, d, e, ok := layout.ParseLiveMarkerKey(tc.key)
		assert.Equal(t, tc.ok, ok, tc.key)
		assert.Equal(t, tc.want, [3]string{p, d, e}, tc.key)
	}
}

func TestQuarantineKey(t *testing.T) {
	orig, ok := layout.ParseQuarantineKey(layout.QuarantineKey("data/r1/fit/1/outputs/m"))
	assert.True(t, ok)
	assert.Equal(t, "data/r1/fit/1/outputs/m", orig)
	for _, k := range []string{"quarantine/", "data/r1/x", "quarantinex/a", layout.QuarantineReasonKey("data/r1/x")} {
		_, ok := layout.ParseQuarantineKey(k)
		assert.False(t, ok, k)
	}
	orig, ok = layout.ParseQuarantineReasonKey(layout.QuarantineReasonKey("data/r1/fit/1/outputs/m"))
	assert.True(t, ok)
	assert.Equal(t, "data/r1/fit/1/outputs/m", orig)
	for _, k := range []string{"quarantine/~reason.json", "data/r1/x~reason.json", layout.QuarantineKey("data/r1/x")} {
		_, ok := layout.ParseQuarantineReasonKey(k)
		assert.False(t, ok, k)
	}
}

func TestIncomingKey(t *testing.T) {
	for _, tc := range []struct {
		key, rel string
		ok       bool
	}{
		{layout.IncomingKey("diabetes/pima.csv"), "diabetes/pima.csv", true},
		{layout.IncomingKey("a.csv"), "a.csv", true},
		{layout.IncomingKey("d/.hidden/a.csv"), "d/.hidden/a.csv", true}, // only the name counts
		{layout.IncomingKey("d/.pima.csv"), "", false},
		{layout.IncomingKey("d/pima.csv.tmp"), "", false},
		{layout.IncomingKey(".tmp"), "", false},
		{layout.IncomingKey("d/"), "", false},
		{"incoming/", "", false},
		{"data/x/incoming/a.csv", "", false},
		{"incomingx/a.csv", "", false},
	} {
		rel, ok := layout.ParseIncomingKey(tc.key)
		assert.Equal(t, tc.ok, ok, tc.key)
		assert.Equal(t, tc.rel, rel, tc.key)
	}
}

func TestCatalogEntryKey(t *testing.T) {
	k, err := layout.CatalogEntryKey("p", "d", "fit", "v1", "ab12")
	require.NoError(t, err)
	res, err := layout.CatalogReservationKey("p", "d", "fit", "v1", "ab12")
	require.NoError(t, err)
	for _, tc := range []struct {
		key  string
		want [5]string
		ok   bool
	}{
		{k, [5]string{"p", "d", "fit", "v1", "ab12"}, true},
		{res, [5]string{}, false},
		{"catalog/p/d/fit/ab12.json", [5]string{}, false},
		{"catalog/p/d/fit/v1/x/ab12.json", [5]string{}, false},
		{"catalog/p/d/fit/v1/.json", [5]string{}, false},
		{"data/p/d/fit/v1/ab12.json", [5]string{}, false},
	} {
		p, d, task, v, key, ok := layout.ParseCatalogEntryKey(tc.key)
		assert.Equal(t, tc.ok, ok, tc.key)
		assert.Equal(t, tc.want, [5]string{p, d, task, v, key}, tc.key)
	}
}

func TestExecDataKey(t *testing.T) {
	for _, tc := range []struct {
		key, exec string
		ok        bool
	}{
		{layout.ExecRefKey("r1"), "r1", true},
		{layout.AttemptKey("r1", "fit", 2, 1, layout.ErrorFile), "r1", true},
		{layout.InputPrefix("r1", "csv"), "r1", true},
		{"data/r1", "", false},
		{"data//x", "", false},
		{"executions/p/d/r1/state.json", "", false},
	} {
		exec, ok := layout.ParseExecDataKey(tc.key)
		assert.Equal(t, tc.ok, ok, tc.key)
		assert.Equal(t, tc.exec, exec, tc.key)
	}
}

func TestAttemptSeg(t *testing.T) {
	for _, tc := range []struct {
		node string
		item int
	}{{"fit", -1}, {"fit", 0}, {"fit", 12}, {"a.b", -1}, {"a.b", 3}} {
		seg := layout.AttemptSeg(tc.node, tc.item)
		node, item := layout.ParseAttemptSeg(seg)
		if strings.Contains(tc.node, ".") && tc.item < 0 {
			assert.Equal(t, tc.node, seg) // a dotted name without item is ambiguous: the engine knows its names
			continue
		}
		assert.Equal(t, tc.node, node, seg)
		assert.Equal(t, tc.item, item, seg)
	}
	node, item := layout.ParseAttemptSeg("map.x")
	assert.Equal(t, "map.x", node)
	assert.Equal(t, -1, item)
}

func TestAttemptKey(t *testing.T) {
	type parts struct {
		exec, seg string
		attempt   int
		file      string
	}
	for _, tc := range []struct {
		key  string
		want parts
		ok   bool
	}{
		{layout.AttemptKey("r1", "fit", -1, 1, layout.OutputsFile), parts{"r1", "fit", 1, "outputs.json"}, true},
		{layout.AttemptKey("r1", "m", 4, 2, layout.ClaimFile), parts{"r1", "m.4", 2, "claim.json"}, true},
		{layout.AttemptKey("r1", "fit", -1, 1, layout.OutputsDir+"model"), parts{}, false},
		{"data/r1/fit/x/outputs.json", parts{}, false},
		{"data/r1/fit/01/outputs.json", parts{}, false},
		{"data/r1/fit/-1/outputs.json", parts{}, false},
		{"data/r1/fit/1/", parts{}, false},
		{"data/r1/execution.json", parts{}, false},
		{"executions/r1/fit/1/outputs.json", parts{}, false},
	} {
		exec, seg, attempt, file, ok := layout.ParseAttemptKey(tc.key)
		assert.Equal(t, tc.ok, ok, tc.key)
		assert.Equal(t, tc.want, parts{exec, seg, attempt, file}, tc.key)
	}
}

func TestAttemptPrefix(t *testing.T) {
	type parts struct {
		exec, seg string
		attempt   int
	}
	for _, tc := range []struct {
		prefix string
		want   parts
		ok     bool
	}{
		{layout.AttemptPrefix("r1", "fit", -1, 1), parts{"r1", "fit", 1}, true},
		{layout.AttemptPrefix("r1", "m", 7, 3), parts{"r1", "m.7", 3}, true},
		{"data/r1/fit/2", parts{"r1", "fit", 2}, true}, // the trailing "/" may be missing
		{"data/r1/fit/0/", parts{}, false},
		{"data/r1/fit/x/", parts{}, false},
		{"data/r1/fit/", parts{}, false},
		{"data/r1/fit/1/outputs.json", parts{}, false},
		{"catalog/r1/fit/1/", parts{}, false},
	} {
		exec, seg, attempt, ok := layout.ParseAttemptPrefix(tc.prefix)
		assert.Equal(t, tc.ok, ok, tc.prefix)
		assert.Equal(t, tc.want, parts{exec, seg, attempt}, tc.prefix)
	}
	require.NoError(t, layout.CheckAttemptPrefix(layout.AttemptPrefix("r1", "fit", -1, 1)))
	for _, p := range []string{"data/r1/fit/1", "runs/r1/fit/1/", ""} {
		assert.ErrorContains(t, layout.CheckAttemptPrefix(p), "want data/<exec>/<node>/<attempt>/", p)
	}
}

func TestIsAttemptSignal(t *testing.T) {
	for key, want := range map[string]bool{
		layout.AttemptKey("r1", "fit", -1, 1, layout.OutputsFile): true,
		layout.AttemptKey("r1", "fit", 2, 1, layout.ErrorFile):    true,
		layout.AttemptKey("r1", "fit", -1, 1, layout.ClaimFile):   true,
		layout.AttemptKey("r1", "fit", -1, 1, layout.InputsFile):  false,
		layout.AttemptKey("r1", "fit", -1, 1, layout.LogFile):     false,
		layout.ExecRefKey("r1"):                                   false,
		"data/r1/fit/1/outputs/x/outputs.json":                    true, // as the stack's wildcard rule matches
		"executions/p/d/r1/outputs.json":                          false,
		"data/outputs.json":                                       false,
	} {
		assert.Equal(t, want, layout.IsAttemptSignal(key), key)
	}
}

// The EventBridge patterns match the keys the builders make.
func TestPatterns(t *testing.T) {
	assert.True(t, wildcard(layout.PlanPointerPattern, layout.PlanPointerKey("p", "d", "n")))
	assert.False(t, wildcard(layout.PlanPointerPattern, layout.LaunchPlanKey("p", "d", "n", "v1")))
	assert.True(t, wildcard(layout.ResultPatterns[0], layout.AttemptKey("r1", "fit", 2, 1, layout.OutputsFile)))
	assert.True(t, wildcard(layout.ResultPatterns[1], layout.AttemptKey("r1", "fit", -1, 1, layout.ErrorFile)))
	assert.False(t, wildcard(layout.ResultPatterns[0], layout.AttemptKey("r1", "fit", -1, 1, layout.ErrorFile)))
}

// wildcard matches EventBridge's wildcard syntax ("*" matches any run of
// characters, "/" included).
func wildcard(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return s == ""
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
