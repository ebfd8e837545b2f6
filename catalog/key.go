package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aloft-run/aloft/orchestrator"
)

// keyFormat names the layout of the pre-image below. Bump it when the meaning
// of a key changes while its bytes might not (every key then changes).
const keyFormat = 1

// preimage is the document Key hashes. encoding/json writes struct fields in
// declaration order and map keys sorted, so the fields are declared in
// alphabetical order to keep the whole document sorted (Decision 6).
type preimage struct {
	CacheVersion string            `json:"cache_version"`
	Domain       string            `json:"domain"`
	Format       int               `json:"format"`
	Inputs       map[string]string `json:"inputs"`    // non-ignored input name -> literal hash
	Interface    taskInterface     `json:"interface"` // every declared input and output
	Project      string            `json:"project"`
	Task         string            `json:"task"`
}

// taskInterface is the typed interface of a task: names and type strings,
// sorted by name (as JSON object keys).
type taskInterface struct {
	Inputs  map[string]string `json:"inputs"`
	Outputs map[string]string `json:"outputs"`
}

// Key returns the cache key of a call of task with inputs in project/domain:
// "sha256:<hex>" of the canonical pre-image that Preimage returns.
//
// The key covers the project, domain, task name, cache version, the task's
// typed interface (every input and output name with its type, ignored inputs
// included), and the literal hash of every input that the cache policy
// does not ignore. An input left out of inputs takes its declared default
// (so a default spelled out and a default omitted give the same key), or none
// if its type is optional. Values are coerced to the declared type first (an
// int bound to a float input keys as that float). Files and directories key
// by content digest, not URI.
//
// Key fails when the task has no cache version, when project or domain is
// empty, when an input is missing, undeclared or of the wrong type, and when
// a file or directory has no digest (an external value that has not been
// ingested into the store yet).
func Key(project, domain string, task *orchestrator.TaskTemplate, inputs map[string]orchestrator.Literal) (string, error) {
	key, _, err := KeyAndHashes(project, domain, task, inputs)
	return key, err
}

// KeyAndHashes returns the key and the input hashes that went into it (what
// InputHashes returns), computing the hashes once: a catalog write needs
// both.
func KeyAndHashes(project, domain string, task *orchestrator.TaskTemplate, inputs map[string]orchestrator.Literal) (string, map[string]string, error) {
	b, hashes, err := preimageOf(project, domain, task, inputs)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), hashes, nil
}

// Preimage returns the canonical document whose SHA-256 is the key: compact
// JSON with sorted keys, for example
//
//	{"cache_version":"1","domain":"development","format":1,"inputs":{"n":"sha256:…"},"interface":{"inputs":{"n":"int"},"outputs":{"model":"file"}},"project":"default","task":"train"}
//
// It is exported so that tools can show why two keys differ.
func Preimage(project, domain string, task *orchestrator.TaskTemplate, inputs map[string]orchestrator.Literal) ([]byte, error) {
	b, _, err := preimageOf(project, domain, task, inputs)
	return b, err
}

// preimageOf is Preimage and the input hashes in it.
func preimageOf(project, domain string, task *orchestrator.TaskTemplate, inputs map[string]orchestrator.Literal) ([]byte, map[string]string, error) {
	version, err := cacheVersion(task)
	if err != nil {
		return nil, nil, err
	}
	if project == "" || domain == "" {
		return nil, nil, fmt.Errorf("cache key of task %s: empty project or domain", task.Name)
	}
	iface, err := interfaceOf(task)
	if err != nil {
		return nil, nil, err
	}
	hashes, err := InputHashes(task, inputs)
	if err != nil {
		return nil, nil, err
	}
	p := preimage{
		CacheVersion: version,
		Domain:       domain,
		Format:       keyFormat,
		Inputs:       hashes,
		Interface:    iface,
		Project:      project,
		Task:         task.Name,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "list<int>" readable; the bytes are pinned by testdata/keys.golden
	if err := enc.Encode(p); err != nil {
		return nil, nil, fmt.Errorf("encode cache key of task %s: %w", task.Name, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), hashes, nil
}

// InputHashes returns, for every input of task that its cache policy does not
// ignore, the literal hash that goes into the key (after defaults and
// coercion). It fails as Key does; Entry.Inputs holds its result.
func InputHashes(task *orchestrator.TaskTemplate, inputs map[string]orchestrator.Literal) (map[string]string, error) {
	if _, err := cacheVersion(task); err != nil {
		return nil, err
	}
	declared := make(map[string]bool, len(task.Inputs))
	for _, p := range task.Inputs {
		declared[p.Name] = true
	}
	ignored := make(map[string]bool, len(task.Cache.Ignore))
	for _, name := range task.Cache.Ignore {
		if !declared[name] {
			return nil, fmt.Errorf("task %s: cache ignores %q, which is not an input", task.Name, name)
		}
		ignored[name] = true
	}
	for name := range inputs {
		if !declared[name] {
			return nil, fmt.Errorf("task %s: no input named %q", task.Name, name)
		}
	}
	hashes := make(map[string]string, len(task.Inputs))
	for _, p := range task.Inputs {
		if ignored[p.Name] {
			continue
		}
		lit, err := inputValue(task.Name, p, inputs)
		if err != nil {
			return nil, err
		}
		hashes[p.Name] = lit.Hash()
	}
	return hashes, nil
}

// inputValue is the value of input p as the task sees it: given, else the
// default, else none for an optional type; coerced to the declared type.
func inputValue(task string, p orchestrator.Param, inputs map[string]orchestrator.Literal) (orchestrator.Literal, error) {
	lit, ok := inputs[p.Name]
	switch {
	case ok:
	case p.Default != nil:
		lit = *p.Default
	case p.Type.Optional:
		lit = orchestrator.Literal{}
	default:
		return lit, fmt.Errorf("task %s: input %s has no value and no default", task, p.Name)
	}
	if !lit.Conforms(p.Type) {
		return lit, fmt.Errorf("task %s: input %s: a %s value does not conform to %s", task, p.Name, lit.Kind, p.Type)
	}
	if err := checkDigests(lit); err != nil {
		return lit, fmt.Errorf("task %s: input %s: %w", task, p.Name, err)
	}
	return coerce(lit, p.Type), nil
}

// coerce converts l to t where aloft allows it (int -> float), also inside
// lists and maps. It returns a new literal and leaves l alone.
func coerce(l orchestrator.Literal, t orchestrator.Type) orchestrator.Literal {
	switch {
	case t.Kind == orchestrator.KindList && l.Kind == orchestrator.KindList && t.Elem != nil:
		out := make([]orchestrator.Literal, len(l.List))
		for i, e := range l.List {
			out[i] = coerce(e, *t.Elem)
		}
		return orchestrator.List(out...)
	case t.Kind == orchestrator.KindMap && l.Kind == orchestrator.KindMap && t.Elem != nil:
		out := make(map[string]orchestrator.Literal, len(l.Map))
		for k, e := range l.Map {
			out[k] = coerce(e, *t.Elem)
		}
		return orchestrator.Map(out)
	}
	return l.Coerce(t)
}

// checkDigests fails if a file or directory anywhere in l has no content
// digest: its key would name a URL, not content.
func checkDigests(l orchestrator.Literal) error {
	switch l.Kind {
	case orchestrator.KindFile, orchestrator.KindDirectory:
		if l.Blob == nil {
			return fmt.Errorf("%s value has no location", l.Kind)
		}
		if l.Blob.Digest == "" {
			return fmt.Errorf("%s %s has no digest: it is external and has not been ingested into the store, so it cannot be keyed by content", l.Kind, l.Blob.URI)
		}
	case orchestrator.KindList:
		for _, e := range l.List {
			if err := checkDigests(e); err != nil {
				return err
			}
		}
	case orchestrator.KindMap:
		for _, e := range l.Map {
			if err := checkDigests(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// interfaceOf gives the task's typed interface, refusing duplicate names
// (they would silently merge in the key).
func interfaceOf(task *orchestrator.TaskTemplate) (taskInterface, error) {
	names := func(what string, ps []orchestrator.Param) (map[string]string, error) {
		m := make(map[string]string, len(ps))
		for _, p := range ps {
			if _, dup := m[p.Name]; dup {
				return nil, fmt.Errorf("task %s: %s %q declared twice", task.Name, what, p.Name)
			}
			m[p.Name] = p.Type.String()
		}
		return m, nil
	}
	in, err := names("input", task.Inputs)
	if err != nil {
		return taskInterface{}, err
	}
	out, err := names("output", task.Outputs)
	if err != nil {
		return taskInterface{}, err
	}
	return taskInterface{Inputs: in, Outputs: out}, nil
}

// cacheVersion is the task's cache version, or an error if caching is off.
func cacheVersion(task *orchestrator.TaskTemplate) (string, error) {
	switch {
	case task == nil:
		return "", fmt.Errorf("no task")
	case task.Cache == nil || task.Cache.Version == "":
		return "", fmt.Errorf("task %s has no cache version: caching is off for it", task.Name)
	}
	return task.Cache.Version, nil
}

// keyHex checks that key has the form Key returns and gives its hex part.
func keyHex(key string) (string, error) {
	h, ok := strings.CutPrefix(key, "sha256:")
	if !ok || len(h) != 2*sha256.Size || strings.Trim(h, "0123456789abcdef") != "" {
		return "", fmt.Errorf("cache key %q is not sha256:<64 lower-case hex digits>", key)
	}
	return h, nil
}
