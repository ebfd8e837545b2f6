package layout

import (
	"fmt"
	"strconv"
	"strings"
)

// The objects of one attempt, relative to its prefix (AttemptPrefix).
const (
	InputsFile  = "inputs.json"  // the Attempt; written by the engine before dispatch
	ClaimFile   = "claim.json"   // the Claim; created if absent by the runner that runs the attempt
	LogFile     = "log.txt"      // the task's combined stdout and stderr
	OutputsFile = "outputs.json" // the Outputs; the last object of a successful attempt
	ErrorFile   = "error.json"   // the Failure; the last object of a failed attempt
	OutputsDir  = "outputs/"     // uploaded file and directory outputs
)

// ResultPatterns are the EventBridge wildcards matching attempts' results
// (outputs.json and error.json at any depth under data/, as the stack's
// rule has them).
var ResultPatterns = [...]string{DataRoot + "*/" + OutputsFile, DataRoot + "*/" + ErrorFile}

// ExecDataPrefix is data/<exec>/: everything an execution's attempts read
// and write.
func ExecDataPrefix(exec string) string { return DataRoot + exec + "/" }

// ParseExecDataKey returns the execution an object under data/<exec>/
// belongs to.
func ParseExecDataKey(key string) (exec string, ok bool) {
	rest, found := strings.CutPrefix(key, DataRoot)
	if !found {
		return "", false
	}
	exec, _, ok = strings.Cut(rest, "/")
	if !ok || exec == "" {
		return "", false
	}
	return exec, true
}

// ExecRefKey is data/<exec>/execution.json: the execution's project and
// domain kept beside its data, so that a shell that hears about
// data/<exec>/... finds the execution's state.
func ExecRefKey(exec string) string { return ExecDataPrefix(exec) + "execution.json" }

// InputPrefix is data/<exec>/inputs/<name>: where an external input of the
// execution is ingested (objects below it for lists, maps, directories).
func InputPrefix(exec, name string) string { return ExecDataPrefix(exec) + "inputs/" + name }

// AttemptSeg is an attempt's node segment: "<node>", or "<node>.<item>" for
// a map item (item >= 0; -1 means not a map item).
func AttemptSeg(node string, item int) string {
	if item < 0 {
		return node
	}
	return node + "." + strconv.Itoa(item)
}

// ParseAttemptSeg splits "<node>" or "<node>.<item>" when the node name is
// not known (a node name may itself contain dots: the longest known name
// wins in the engine; this is for shells that only route by execution).
func ParseAttemptSeg(seg string) (node string, item int) {
	dot := strings.LastIndexByte(seg, '.')
	if dot < 0 {
		return seg, -1
	}
	n, err := strconv.Atoi(seg[dot+1:])
	if err != nil {
		return seg, -1
	}
	return seg[:dot], n
}

// AttemptPrefix is the key prefix of one attempt, ending in "/":
// data/<exec>/<seg>/<attempt>/ with seg as AttemptSeg makes it.
func AttemptPrefix(exec, node string, item, attempt int) string {
	return ExecDataPrefix(exec) + AttemptSeg(node, item) + "/" + strconv.Itoa(attempt) + "/"
}

// CheckAttemptPrefix checks that prefix looks like an attempt prefix.
func CheckAttemptPrefix(prefix string) error {
	if !strings.HasPrefix(prefix, DataRoot) || !strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("attempt prefix %q: want %s<exec>/<node>/<attempt>/", prefix, DataRoot)
	}
	return nil
}

// ParseAttemptPrefix is the inverse of AttemptPrefix (the trailing "/"
// may be missing); the segment stays whole (ParseAttemptSeg splits it). ok
// is false for other keys and for attempts below 1.
func ParseAttemptPrefix(prefix string) (exec, seg string, attempt int, ok bool) {
	p := strings.Split(strings.TrimSuffix(prefix, "/"), "/")
	if len(p) != 4 || p[0]+"/" != DataRoot {
		return "", "", 0, false
	}
	attempt, err := strconv.Atoi(p[3])
	if err != nil || attempt < 1 {
		return "", "", 0, false
	}
	return p[1], p[2], attempt, true
}

// AttemptKey is one object of an attempt: AttemptPrefix + file.
func AttemptKey(exec, node string, item, attempt int, file string) string {
	return AttemptPrefix(exec, node, item, attempt) + file
}

// ParseAttemptKey is the inverse of AttemptKey for an object directly in
// the attempt's folder (data/<exec>/<seg>/<attempt>/<file>); the segment
// stays whole (ParseAttemptSeg splits it). ok is false for other keys.
func ParseAttemptKey(key string) (exec, seg string, attempt int, file string, ok bool) {
	p := strings.Split(key, "/")
	if len(p) != 5 || p[0]+"/" != DataRoot || nonEmpty(p[1], p[2], p[4]) != nil {
		return "", "", 0, "", false
	}
	attempt, err := strconv.Atoi(p[3])
	if err != nil || attempt < 0 || strconv.Itoa(attempt) != p[3] {
		return "", "", 0, "", false
	}
	return p[1], p[2], attempt, p[4], true
}

// IsAttemptSignal reports whether key is an object whose creation advances
// an execution: an outputs.json, error.json or claim.json under
// data/<exec>/ (at any depth, as the stack's wildcard rule matches; the
// engine ignores those not directly in an attempt's folder).
func IsAttemptSignal(key string) bool {
	if _, ok := ParseExecDataKey(key); !ok {
		return false
	}
	for _, f := range [...]string{OutputsFile, ErrorFile, ClaimFile} {
		if strings.HasSuffix(key, "/"+f) {
			return true
		}
	}
	return false
}

// ArrayManifestKey is where an array job's manifest of attempt prefixes
// lives: data/<exec>/<node>/array-<12 hex digits of the SHA-256 of the
// prefix list, joined by newlines>.json. The same list always gets the same
// key.
func ArrayManifestKey(exec, node string, prefixes []string) string {
	return ExecDataPrefix(exec) + node + "/array-" + hash12(strings.Join(prefixes, "\n")) + jsonExt
}
