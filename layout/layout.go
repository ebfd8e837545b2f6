package layout

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// The bucket's top-level prefixes, each ending in "/", and its one root
// object.
const (
	RegistryRoot   = "registry/"
	RequestsRoot   = "requests/"
	ExecutionsRoot = "executions/"
	IndexRoot      = "index/"
	DataRoot       = "data/"
	CatalogRoot    = "catalog/"
	IncomingRoot   = "incoming/"
	ActiveRoot     = "active/"
	QuarantineRoot = "quarantine/"
	TriggeredRoot  = "triggered/"

	DeploymentKey = "deployment.json" // what the deployment offers (Decision 31)
)

// jsonExt ends every JSON document named by an id or version.
const jsonExt = ".json"

// ---- registry/

const (
	workflowsDir   = "workflows"
	launchPlansDir = "launchplans"
	pointerFile    = "active.json"
)

// PlanPointerPattern is the EventBridge wildcard matching every launch
// plan's active.json pointer (PlanPointerKey).
const PlanPointerPattern = RegistryRoot + "*/*/" + launchPlansDir + "/*/" + pointerFile

func registryPrefix(project, domain string) string {
	return RegistryRoot + project + "/" + domain + "/"
}

// WorkflowKey is registry/<project>/<domain>/workflows/<name>/<version>.json.
func WorkflowKey(project, domain, name, version string) string {
	return registryPrefix(project, domain) + workflowsDir + "/" + name + "/" + version + jsonExt
}

// ParseWorkflowKey is the inverse of WorkflowKey; ok is false for other
// keys.
func ParseWorkflowKey(key string) (project, domain, name, version string, ok bool) {
	p := strings.Split(key, "/")
	if len(p) != 6 || p[0]+"/" != RegistryRoot || p[3] != workflowsDir {
		return "", "", "", "", false
	}
	version, ok = strings.CutSuffix(p[5], jsonExt)
	if !ok || nonEmpty(p[1], p[2], p[4], version) != nil {
		return "", "", "", "", false
	}
	return p[1], p[2], p[4], version, true
}

// LaunchPlanDir is registry/<project>/<domain>/launchplans/<name>/: the
// launch plan's versions and its pointer.
func LaunchPlanDir(project, domain, name string) string {
	return registryPrefix(project, domain) + launchPlansDir + "/" + name + "/"
}

// LaunchPlanKey is registry/<project>/<domain>/launchplans/<name>/<version>.json.
func LaunchPlanKey(project, domain, name, version string) string {
	return LaunchPlanDir(project, domain, name) + version + jsonExt
}

// ParseLaunchPlanKey is the inverse of LaunchPlanKey; ok is false for
// other keys, the pointer (active.json) among them.
func ParseLaunchPlanKey(key string) (project, domain, name, version string, ok bool) {
	p := strings.Split(key, "/")
	if len(p) != 6 || p[0]+"/" != RegistryRoot || p[3] != launchPlansDir || p[5] == pointerFile {
		return "", "", "", "", false
	}
	version, ok = strings.CutSuffix(p[5], jsonExt)
	if !ok || nonEmpty(p[1], p[2], p[4], version) != nil {
		return "", "", "", "", false
	}
	return p[1], p[2], p[4], version, true
}

// PlanPointerKey is the launch plan's active pointer,
// registry/<project>/<domain>/launchplans/<name>/active.json (not to be
// confused with LiveMarkerKey, the marker of a live execution).
func PlanPointerKey(project, domain, name string) string {
	return LaunchPlanDir(project, domain, name) + pointerFile
}

// ParsePlanPointerKey is the inverse of PlanPointerKey; ok is false for
// other keys.
func ParsePlanPointerKey(key string) (project, domain, name string, ok bool) {
	p := strings.Split(key, "/")
	if len(p) != 6 || p[0]+"/" != RegistryRoot || p[3] != launchPlansDir || p[5] != pointerFile {
		return "", "", "", false
	}
	return p[1], p[2], p[4], true
}

// ---- requests/

// Request kinds: the folder under requests/ each kind of request lives in.
const (
	RequestLaunch   = "launch"
	RequestCancel   = "cancel"
	RequestRecover  = "recover"
	RequestRelaunch = "relaunch"
)

var requestKinds = [...]string{RequestLaunch, RequestCancel, RequestRecover, RequestRelaunch}

// RequestPrefix is requests/<kind>/, the folder of one kind of request.
func RequestPrefix(kind string) string { return RequestsRoot + kind + "/" }

// RequestKey is requests/<kind>/<id>.json (for a cancel, the id is the
// execution's).
func RequestKey(kind, id string) string { return RequestPrefix(kind) + id + jsonExt }

// LaunchRequestKey is requests/launch/<id>.json.
func LaunchRequestKey(id string) string { return RequestKey(RequestLaunch, id) }

// CancelRequestKey is requests/cancel/<exec>.json.
func CancelRequestKey(exec string) string { return RequestKey(RequestCancel, exec) }

// RecoverRequestKey is requests/recover/<id>.json (Decision 25).
func RecoverRequestKey(id string) string { return RequestKey(RequestRecover, id) }

// RelaunchRequestKey is requests/relaunch/<id>.json (Decision 25).
func RelaunchRequestKey(id string) string { return RequestKey(RequestRelaunch, id) }

// ParseRequestKey is the inverse of RequestKey: ok is false for other keys
// and for kinds other than the four above.
func ParseRequestKey(key string) (kind, id string, ok bool) {
	for _, k := range requestKinds {
		rest, found := strings.CutPrefix(key, RequestPrefix(k))
		if !found || strings.Contains(rest, "/") {
			continue
		}
		if id, found := strings.CutSuffix(rest, jsonExt); found {
			return k, id, true
		}
	}
	return "", "", false
}

// ---- executions/

// ExecutionPrefix is executions/<project>/<domain>/<exec>/.
func ExecutionPrefix(project, domain, exec string) string {
	return ExecutionsRoot + project + "/" + domain + "/" + exec + "/"
}

// StateKey is the execution's state header, .../<exec>/state.json.
func StateKey(project, domain, exec string) string {
	return ExecutionPrefix(project, domain, exec) + "state.json"
}

// ExecWorkflowKey is the execution's compiled workflow, .../<exec>/workflow.json.
func ExecWorkflowKey(project, domain, exec string) string {
	return ExecutionPrefix(project, domain, exec) + "workflow.json"
}

// OwnerKey is the owner marker of an execution that one `aloft run`
// process drives, .../<exec>/owner.json (Decision 22): its pid, boot id and
// heartbeat. Shells that sweep never adopt such an execution.
func OwnerKey(project, domain, exec string) string {
	return ExecutionPrefix(project, domain, exec) + "owner.json"
}

// RejectionKey is why a launch request started nothing, .../<exec>/rejected.json.
func RejectionKey(project, domain, exec string) string {
	return ExecutionPrefix(project, domain, exec) + "rejected.json"
}

// ItemKey is a state chunk or delta object, .../<exec>/items/<name>
// (Decision 30).
func ItemKey(project, domain, exec, name string) string {
	return ExecutionPrefix(project, domain, exec) + "items/" + name
}

// NotifiedKey is the if-absent marker of a notification sent for phase,
// .../<exec>/notified-<phase> (Decision 26).
func NotifiedKey(project, domain, exec, phase string) string {
	return ExecutionPrefix(project, domain, exec) + "notified-" + phase
}

// ---- index/

// IndexPrefix is index/<project>/<domain>/: one project and domain's listing.
func IndexPrefix(project, domain string) string {
	return IndexRoot + project + "/" + domain + "/"
}

// IndexKey is the newest-first listing entry of an execution created at t:
// index/<project>/<domain>/<inverted-time>-<exec>, the inverted time being
// 2^63-1 minus t in Unix milliseconds, in 19 digits.
func IndexKey(project, domain string, t time.Time, exec string) string {
	inv := uint64(1<<63-1) - uint64(t.UnixMilli())
	return fmt.Sprintf("%s%019d-%s", IndexPrefix(project, domain), inv, exec)
}

// ParseIndexKey is the inverse of IndexKey (less the time); ok is false for
// other keys.
func ParseIndexKey(key string) (project, domain, exec string, ok bool) {
	p := strings.Split(key, "/")
	if len(p) != 4 || p[0]+"/" != IndexRoot {
		return "", "", "", false
	}
	_, exec, ok = strings.Cut(p[3], "-")
	if !ok || nonEmpty(p[1], p[2], exec) != nil {
		return "", "", "", false
	}
	return p[1], p[2], exec, true
}

// ---- active/

// LiveMarkerKey is the marker of an execution that has not ended,
// active/<project>/<domain>/<exec>: written when it starts, deleted when it
// ends, listed by sweeps (not to be confused with PlanPointerKey).
func LiveMarkerKey(project, domain, exec string) string {
	return ActiveRoot + project + "/" + domain + "/" + exec
}

// ParseLiveMarkerKey is the inverse of LiveMarkerKey; ok is false for other
// keys.
func ParseLiveMarkerKey(key string) (project, domain, exec string, ok bool) {
	p := strings.Split(key, "/")
	if len(p) != 4 || p[0]+"/" != ActiveRoot || nonEmpty(p[1], p[2], p[3]) != nil {
		return "", "", "", false
	}
	return p[1], p[2], p[3], true
}

// ---- quarantine/

// QuarantineKey is where a blob whose bytes failed their digest is moved:
// quarantine/<key> (Decision 23).
func QuarantineKey(key string) string { return QuarantineRoot + key }

// ParseQuarantineKey is the inverse of QuarantineKey: the blob's original key.
// A reason record (QuarantineReasonKey) is not a quarantined blob.
func ParseQuarantineKey(key string) (orig string, ok bool) {
	orig, ok = strings.CutPrefix(key, QuarantineRoot)
	return orig, ok && orig != "" && !strings.HasSuffix(orig, quarantineReasonExt)
}

// quarantineReasonExt ends a quarantine reason record's key.
const quarantineReasonExt = "~reason.json"

// QuarantineReasonKey is the record of why the blob at key was quarantined:
// quarantine/<key>~reason.json, beside the blob's QuarantineKey.
func QuarantineReasonKey(key string) string { return QuarantineRoot + key + quarantineReasonExt }

// ParseQuarantineReasonKey is the inverse of QuarantineReasonKey.
func ParseQuarantineReasonKey(key string) (orig string, ok bool) {
	rest, ok := strings.CutPrefix(key, QuarantineRoot)
	if !ok {
		return "", false
	}
	orig, ok = strings.CutSuffix(rest, quarantineReasonExt)
	return orig, ok && orig != ""
}

// ---- incoming/

// IncomingKey is incoming/<rel>, a user's drop-zone object.
func IncomingKey(rel string) string { return IncomingRoot + rel }

// ParseIncomingKey is the inverse of IncomingKey for the objects that may
// trigger runs: ok is false outside incoming/ and for temporary names (a
// last path element starting with "." or ending in ".tmp", Decisions 4
// and 27).
func ParseIncomingKey(key string) (rel string, ok bool) {
	rel, ok = strings.CutPrefix(key, IncomingRoot)
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	if !ok || base == "" || strings.HasPrefix(base, ".") || strings.HasSuffix(base, ".tmp") {
		return "", false
	}
	return rel, true
}

// ---- triggered/

// TriggeredKey is the marker of one triggered version of a drop-zone object,
// triggered/<rel>/<version>.json, rel as ParseIncomingKey returns it and
// version its ETag (the directory store's is the content's sha256 hex):
// written if absent once the trigger has handled that version, so that a
// version is triggered once, also when it arrived while nothing listened
// (Decision 27). It lies outside incoming/, so it never triggers.
func TriggeredKey(rel, version string) string {
	return TriggeredRoot + rel + "/" + version + jsonExt
}

// ---- catalog/

// CatalogDir is catalog/<project>/<domain>/<task>/<cache-version>/, or the
// folder above it for fewer segments (project, domain, task, cache
// version, in that order, at most four). Every segment must be non-empty,
// without "/", and not "." or "..".
func CatalogDir(segs ...string) (string, error) {
	names := [...]string{"project", "domain", "task", "cache version"}
	if len(segs) > len(names) {
		return "", fmt.Errorf("catalog folder: %d segments, want at most %d", len(segs), len(names))
	}
	var b strings.Builder
	b.WriteString(CatalogRoot)
	for i, s := range segs {
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\x00") {
			return "", fmt.Errorf("%s %q cannot name a catalog folder", names[i], s)
		}
		b.WriteString(s)
		b.WriteByte('/')
	}
	return b.String(), nil
}

// CatalogEntryKey is catalog/<project>/<domain>/<task>/<cache-version>/<key>.json,
// the memoized outputs for a cache key (its hex digest).
func CatalogEntryKey(project, domain, task, cacheVersion, key string) (string, error) {
	return catalogKey(project, domain, task, cacheVersion, key+jsonExt)
}

// CatalogReservationKey is .../<cache-version>/<key>.reservation, written
// if-absent by the first of concurrent identical attempts (Decision 33).
func CatalogReservationKey(project, domain, task, cacheVersion, key string) (string, error) {
	return catalogKey(project, domain, task, cacheVersion, key+".reservation")
}

// ParseCatalogEntryKey is the inverse of CatalogEntryKey; ok is false for
// other keys (reservations among them).
func ParseCatalogEntryKey(k string) (project, domain, task, cacheVersion, key string, ok bool) {
	p := strings.Split(k, "/")
	if len(p) != 6 || p[0]+"/" != CatalogRoot {
		return "", "", "", "", "", false
	}
	key, ok = strings.CutSuffix(p[5], jsonExt)
	if !ok || nonEmpty(p[1], p[2], p[3], p[4], key) != nil {
		return "", "", "", "", "", false
	}
	return p[1], p[2], p[3], p[4], key, true
}

func catalogKey(project, domain, task, cacheVersion, name string) (string, error) {
	dir, err := CatalogDir(project, domain, task, cacheVersion)
	if err != nil {
		return "", err
	}
	return dir + name, nil
}

// nonEmpty is an error when a part is empty.
func nonEmpty(parts ...string) error {
	for _, s := range parts {
		if s == "" {
			return fmt.Errorf("empty key part")
		}
	}
	return nil
}

// hash12 is 12 hex digits of the SHA-256 of s.
func hash12(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}
