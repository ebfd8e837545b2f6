package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aloft-run/aloft/catalog"
	o "github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// memStore is an in-memory catalog.Store that counts lost conditional
// writes and can fail Puts.
type memStore struct {
	mu        sync.Mutex
	objs      map[string][]byte
	conflicts int
	failPut   error // returned by every Put when set
	failHead  error // returned by every Head when set
}

var _ catalog.Store = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{objs: map[string][]byte{}} }

func (m *memStore) Get(_ context.Context, key string) (io.ReadCloser, store.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[key]
	if !ok {
		return nil, store.Object{}, fmt.Errorf("get %s: %w", key, store.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), object(key, b), nil
}

func (m *memStore) Put(_ context.Context, key string, r io.Reader, opts store.PutOptions) (store.Object, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return store.Object{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPut != nil {
		return store.Object{}, m.failPut
	}
	old, exists := m.objs[key]
	if (opts.IfAbsent && exists) || (opts.IfMatch != "" && (!exists || object(key, old).ETag != opts.IfMatch)) {
		m.conflicts++
		return store.Object{}, fmt.Errorf("put %s: %w", key, store.ErrConflict)
	}
	m.objs[key] = b
	return object(key, b), nil
}

func (m *memStore) List(_ context.Context, prefix string) ([]store.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Object
	for k, b := range m.objs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, object(k, b))
		}
	}
	slices.SortFunc(out, func(a, b store.Object) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func (m *memStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
	return nil
}

func (m *memStore) Head(_ context.Context, key string) (store.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failHead != nil {
		return store.Object{}, m.failHead
	}
	b, ok := m.objs[key]
	if !ok {
		return store.Object{}, fmt.Errorf("head %s: %w", key, store.ErrNotFound)
	}
	return object(key, b), nil
}

func (m *memStore) URI(key string) string { return "s3://bucket/" + key }

func (m *memStore) KeyOf(uri string) (string, bool) { return strings.CutPrefix(uri, "s3://bucket/") }

func (m *memStore) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.objs))
}

func object(key string, b []byte) store.Object {
	d := store.Digest(b)
	return store.Object{Key: key, Size: int64(len(b)), ETag: d, Digest: d}
}

var created = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func trainOutputs(model string) map[string]o.Literal {
	return map[string]o.Literal{
		"model": o.File(o.Blob{URI: "s3://bucket/data/exec1/train/1/outputs/" + model, Digest: digest(model[:1]), Size: 7}),
		"score": o.Float(0.93),
	}
}

func trainEntry(exec string) *catalog.Entry {
	return &catalog.Entry{
		Outputs: trainOutputs("model.bin"),
		Exec:    exec,
		Node:    "train",
		Created: created,
	}
}

func TestGetMiss(t *testing.T) {
	c := catalog.New(newMemStore())
	task := trainTask()
	k := mustKey(t, "default", "development", task, trainInputs())
	_, err := c.Get(context.Background(), "default", "development", task, k)
	if !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get of a missing entry: %v, want ErrNotFound", err)
	}
}

func TestPutGet(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	c := catalog.New(st)
	task, in := trainTask(), trainInputs()
	k := mustKey(t, "default", "development", task, in)
	hashes, err := catalog.InputHashes(task, in)
	if err != nil {
		t.Fatal(err)
	}
	e := trainEntry("exec1")
	e.Inputs = hashes
	before := *e
	if err := c.Put(ctx, "default", "development", task, k, e); err != nil {
		t.Fatal(err)
	}
	if e.Key != before.Key || e.Project != before.Project {
		t.Error("Put changed the caller's entry")
	}
	wantPath := "catalog/default/development/train/1/" + strings.TrimPrefix(k, "sha256:") + ".json"
	if got := st.keys(); !slices.Equal(got, []string{wantPath}) {
		t.Errorf("store holds %q, want %q", got, wantPath)
	}

	got, err := c.Get(ctx, "default", "development", task, k)
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != k || got.Project != "default" || got.Domain != "development" || got.Task != "train" || got.CacheVersion != "1" {
		t.Errorf("entry names %s %s/%s %s v%s", got.Key, got.Project, got.Domain, got.Task, got.CacheVersion)
	}
	if got.Exec != "exec1" || got.Node != "train" || !got.Created.Equal(created) {
		t.Errorf("entry producer %s/%s at %v", got.Exec, got.Node, got.Created)
	}
	if !maps.Equal(got.Inputs, hashes) {
		t.Errorf("entry inputs %v, want %v", got.Inputs, hashes)
	}
	for name, want := range e.Outputs {
		if !got.Outputs[name].Equal(want) {
			t.Errorf("output %s = %s, want %s", name, got.Outputs[name].Canonical(), want.Canonical())
		}
	}
	// A hit points at the original objects: same URI, no copy.
	if uri := got.Outputs["model"].Blob.URI; uri != e.Outputs["model"].Blob.URI {
		t.Errorf("model URI %s, want the original %s", uri, e.Outputs["model"].Blob.URI)
	}

	// Other projects, domains, versions and keys miss.
	other := trainTask()
	other.Cache.Version = "2"
	for name, get := range map[string]func() error{
		"project": func() error { _, err := c.Get(ctx, "other", "development", task, k); return err },
		"domain":  func() error { _, err := c.Get(ctx, "default", "production", task, k); return err },
		"version": func() error { _, err := c.Get(ctx, "default", "development", other, k); return err },
		"key":     func() error { _, err := c.Get(ctx, "default", "development", task, digest("0")); return err },
	} {
		if err := get(); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("other %s: %v, want ErrNotFound", name, err)
		}
	}
}

func TestPutKeepsFirstOverwriteReplaces(t *testing.T) {
	ctx := context.Background()
	c := catalog.New(newMemStore())
	task := trainTask()
	k := mustKey(t, "default", "development", task, trainInputs())
	get := func() string {
		t.Helper()
		e, err := c.Get(ctx, "default", "development", task, k)
		if err != nil {
			t.Fatal(err)
		}
		return e.Exec
	}
	if err := c.Put(ctx, "default", "development", task, k, trainEntry("first")); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, "default", "development", task, k, trainEntry("second")); err != nil {
		t.Fatalf("Put over an existing entry: %v, want nil", err)
	}
	if exec := get(); exec != "first" {
		t.Errorf("after a second Put the entry is from %s, want first", exec)
	}
	if err := c.Overwrite(ctx, "default", "development", task, k, trainEntry("third")); err != nil {
		t.Fatal(err)
	}
	if exec := get(); exec != "third" {
		t.Errorf("after Overwrite the entry is from %s, want third", exec)
	}
}

func TestConcurrentPut(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	c := catalog.New(st)
	task := trainTask()
	k := mustKey(t, "default", "development", task, trainInputs())
	const n = 32
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = c.Put(ctx, "default", "development", task, k, trainEntry(fmt.Sprint("exec", i)))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if got := st.keys(); len(got) != 1 {
		t.Errorf("store holds %d objects, want 1: %q", len(got), got)
	}
	if st.conflicts != n-1 {
		t.Errorf("%d writes lost the race, want %d", st.conflicts, n-1)
	}
	e, err := c.Get(ctx, "default", "development", task, k)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.Exec, "exec") {
		t.Errorf("entry from %q", e.Exec)
	}
}

func TestPutErrors(t *testing.T) {
	ctx := context.Background()
	task := trainTask()
	k := mustKey(t, "default", "development", task, trainInputs())
	cases := []struct {
		name   string
		change func(task *o.TaskTemplate, key *string, e *catalog.Entry)
		want   string
	}{
		{"nil entry", nil, "no entry"},
		{"no cache", func(task *o.TaskTemplate, _ *string, _ *catalog.Entry) { task.Cache = nil }, "caching is off"},
		{"bad key", func(_ *o.TaskTemplate, key *string, _ *catalog.Entry) { *key = "sha256:../../x" }, "is not sha256:<64 lower-case hex digits>"},
		{"upper-case key", func(_ *o.TaskTemplate, key *string, _ *catalog.Entry) { *key = strings.ToUpper(*key) }, "is not sha256"},
		{"task name with a slash", func(task *o.TaskTemplate, _ *string, _ *catalog.Entry) { task.Name = "a/b" }, `task "a/b" cannot name a catalog folder`},
		{"version dot-dot", func(task *o.TaskTemplate, _ *string, _ *catalog.Entry) { task.Cache.Version = ".." }, `cache version ".." cannot name`},
		{"entry for another project", func(_ *o.TaskTemplate, _ *string, e *catalog.Entry) { e.Project = "other" }, `entry names project "other", not "default"`},
		{"entry for another key", func(_ *o.TaskTemplate, _ *string, e *catalog.Entry) { e.Key = digest("0") }, "entry names key"},
		{"missing output", func(_ *o.TaskTemplate, _ *string, e *catalog.Entry) { delete(e.Outputs, "score") }, "output score is missing"},
		{"extra output", func(_ *o.TaskTemplate, _ *string, e *catalog.Entry) { e.Outputs["rmse"] = o.Float(1) }, `task train has no output "rmse"`},
		{"wrong output type", func(_ *o.TaskTemplate, _ *string, e *catalog.Entry) { e.Outputs["score"] = o.String("high") }, "output score: a string value does not conform to float"},
	}
	for _, tc := range cases {
		task, key, e := trainTask(), k, trainEntry("x")
		if tc.change != nil {
			tc.change(task, &key, e)
		} else {
			e = nil
		}
		c := catalog.New(newMemStore())
		err := c.Put(ctx, "default", "development", task, key, e)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Put error %v, want one containing %q", tc.name, err, tc.want)
		}
	}

	// An optional output may be left out.
	opt := trainTask()
	opt.Outputs = append(opt.Outputs, param("report", "file?"))
	ko := mustKey(t, "default", "development", opt, trainInputs())
	if err := catalog.New(newMemStore()).Put(ctx, "default", "development", opt, ko, trainEntry("x")); err != nil {
		t.Errorf("entry without an optional output: %v", err)
	}

	// Store failures other than a lost race are errors, and not ErrNotFound.
	st := newMemStore()
	boom := errors.New("bucket on fire")
	st.failPut = boom
	if err := catalog.New(st).Put(ctx, "default", "development", task, k, trainEntry("x")); !errors.Is(err, boom) {
		t.Errorf("Put on a failing store: %v, want it to wrap %v", err, boom)
	}
}

func TestGetCorrupt(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	c := catalog.New(st)
	task := trainTask()
	k := mustKey(t, "default", "development", task, trainInputs())
	path := "catalog/default/development/train/1/" + strings.TrimPrefix(k, "sha256:") + ".json"

	st.objs[path] = []byte("{not json")
	if _, err := c.Get(ctx, "default", "development", task, k); err == nil || errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Get of a corrupt entry: %v, want a decode error", err)
	}
	st.objs[path] = []byte(`{"key":"` + digest("0") + `","outputs":{}}`)
	if _, err := c.Get(ctx, "default", "development", task, k); err == nil || !strings.Contains(err.Error(), "holds key") {
		t.Errorf("Get of an entry stored under the wrong name: %v", err)
	}
	if _, err := c.Get(ctx, "default", "development", task, "md5:abc"); err == nil || errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Get with a malformed key: %v, want an error other than ErrNotFound", err)
	}
}

// fill puts one entry per (task, version, key seed) and returns the keys by
// "task/version/seed".
func fill(t *testing.T, c *catalog.Catalog, project string, calls ...string) map[string]string {
	t.Helper()
	keys := map[string]string{}
	for _, call := range calls {
		name, rest, _ := strings.Cut(call, "/")
		version, seed, _ := strings.Cut(rest, "/")
		task := trainTask()
		task.Name, task.Cache.Version = name, version
		in := trainInputs()
		in["rate"] = o.Float(float64(len(seed)))
		in["rounds"] = o.Int(int64(seed[0]))
		k := mustKey(t, project, "development", task, in)
		if err := c.Put(context.Background(), project, "development", task, k, trainEntry(call)); err != nil {
			t.Fatal(err)
		}
		keys[call] = k
	}
	return keys
}

func execs(es []catalog.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Exec)
	}
	return out
}

func TestList(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	c := catalog.New(st)
	fill(t, c, "default", "train/1/a", "train/2/b", "train/1/c", "trainer/1/a", "eval/1/a")
	fill(t, c, "other", "train/1/a")
	st.objs["catalog/default/development/train/1/README"] = []byte("not an entry")
	st.objs["catalog/default/development/train/notes.json"] = []byte("not an entry either")

	all, err := c.List(ctx, "default", "development", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Errorf("List all: %d entries %q, want 5", len(all), execs(all))
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.Task > b.Task || (a.Task == b.Task && a.CacheVersion > b.CacheVersion) {
			t.Errorf("List not sorted by task and version: %q", execs(all))
		}
	}
	train, err := c.List(ctx, "default", "development", "train")
	if err != nil {
		t.Fatal(err)
	}
	got := execs(train)
	slices.Sort(got)
	if want := []string{"train/1/a", "train/1/c", "train/2/b"}; !slices.Equal(got, want) {
		t.Errorf("List train: %q, want %q (not trainer's)", got, want)
	}
	for _, e := range train {
		if e.Project != "default" || e.Task != "train" || len(e.Outputs) != 2 {
			t.Errorf("listed entry %+v", e)
		}
	}
	none, err := c.List(ctx, "default", "development", "nosuch")
	if err != nil || len(none) != 0 {
		t.Errorf("List of a task with no entries: %v, %v", none, err)
	}
	if _, err := c.List(ctx, "", "development", ""); err == nil {
		t.Error("List with no project: no error")
	}
}

func TestEvict(t *testing.T) {
	ctx := context.Background()
	calls := []string{"train/1/a", "train/1/b", "train/2/a", "train/2/c", "trainer/1/a"}
	remaining := func(c *catalog.Catalog) []string {
		t.Helper()
		es, err := c.List(ctx, "default", "development", "")
		if err != nil {
			t.Fatal(err)
		}
		got := execs(es)
		slices.Sort(got)
		return got
	}
	cases := []struct {
		name, version, key string // key: a call whose key to evict, or ""
		n                  int
		left               []string
	}{
		{"one key", "1", "train/1/a", 1, []string{"train/1/b", "train/2/a", "train/2/c", "trainer/1/a"}},
		{"one version", "2", "", 2, []string{"train/1/a", "train/1/b", "trainer/1/a"}},
		{"whole task", "", "", 4, []string{"trainer/1/a"}},
		{"key under any version", "", "train/2/c", 1, []string{"train/1/a", "train/1/b", "train/2/a", "trainer/1/a"}},
		{"key under the wrong version", "1", "train/2/c", 0, calls},
		{"missing version", "9", "", 0, calls},
	}
	for _, tc := range cases {
		c := catalog.New(newMemStore())
		keys := fill(t, c, "default", calls...)
		n, err := c.Evict(ctx, "default", "development", "train", tc.version, keys[tc.key])
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if n != tc.n {
			t.Errorf("%s: evicted %d, want %d", tc.name, n, tc.n)
		}
		if got := remaining(c); !slices.Equal(got, tc.left) {
			t.Errorf("%s: left %q, want %q", tc.name, got, tc.left)
		}
		// Evicting again finds nothing and is no error.
		if n, err := c.Evict(ctx, "default", "development", "train", tc.version, keys[tc.key]); err != nil || n != 0 {
			t.Errorf("%s: second Evict: %d, %v", tc.name, n, err)
		}
	}

	c := catalog.New(newMemStore())
	for name, args := range map[string][5]string{
		"no task":     {"default", "development", "", "", ""},
		"no domain":   {"default", "", "train", "", ""},
		"bad key":     {"default", "development", "train", "1", "abc"},
		"bad version": {"default", "development", "train", "a/b", ""},
	} {
		if _, err := c.Evict(ctx, args[0], args[1], args[2], args[3], args[4]); err == nil {
			t.Errorf("Evict with %s: no error", name)
		}
	}
}
