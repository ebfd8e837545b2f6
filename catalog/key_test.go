package catalog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aloft-run/aloft/catalog"
	o "github.com/aloft-run/aloft/orchestrator"
)

var update = flag.Bool("update", false, "rewrite testdata/keys.golden")

// typ parses a type in spec syntax.
func typ(s string) o.Type {
	t, err := o.ParseType(s)
	if err != nil {
		panic(err)
	}
	return t
}

func param(name, t string) o.Param { return o.Param{Name: name, Type: typ(t)} }

func withDefault(p o.Param, v o.Literal) o.Param {
	p.Default = &v
	return p
}

func digest(s string) string { return "sha256:" + strings.Repeat(s, 64)[:64] }

func file(uri, d string) o.Literal { return o.File(o.Blob{URI: uri, Digest: digest(d), Size: 42}) }

// trainTask is the task most tests vary: inputs of several kinds, one
// defaulted, one ignored.
func trainTask() *o.TaskTemplate {
	return &o.TaskTemplate{
		Name:    "train",
		Image:   "python:3.12",
		Command: []string{"python", "train.py", "{{inputs.data}}", "{{outputs.model}}"},
		Inputs: []o.Param{
			param("data", "file"),
			param("rate", "float"),
			withDefault(param("rounds", "int"), o.Int(100)),
			param("params", "map<string>"),
			param("verbose", "bool"),
		},
		Outputs: []o.Param{param("model", "file"), param("score", "float")},
		Cache:   &o.CachePolicy{Version: "1", Ignore: []string{"verbose"}},
	}
}

func trainInputs() map[string]o.Literal {
	return map[string]o.Literal{
		"data":    file("s3://bucket/data/train.csv", "a"),
		"rate":    o.Float(0.1),
		"params":  o.Map(map[string]o.Literal{"objective": o.String("reg:squarederror"), "booster": o.String("gbtree")}),
		"verbose": o.Bool(false),
	}
}

func mustKey(t testing.TB, project, domain string, task *o.TaskTemplate, inputs map[string]o.Literal) string {
	t.Helper()
	k, err := catalog.Key(project, domain, task, inputs)
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	return k
}

func TestKeyChangesWithEachComponent(t *testing.T) {
	type call struct {
		project, domain string
		task            *o.TaskTemplate
		inputs          map[string]o.Literal
	}
	cases := []struct {
		name   string
		change func(*call)
	}{
		{"base", func(*call) {}},
		{"project", func(c *call) { c.project = "other" }},
		{"domain", func(c *call) { c.domain = "production" }},
		{"task name", func(c *call) { c.task.Name = "train2" }},
		{"cache version", func(c *call) { c.task.Cache.Version = "2" }},
		{"add input", func(c *call) { c.task.Inputs = append(c.task.Inputs, param("extra", "int?")) }},
		{"rename input", func(c *call) {
			c.task.Inputs[1].Name = "learning_rate"
			c.inputs["learning_rate"] = c.inputs["rate"]
			delete(c.inputs, "rate")
		}},
		{"retype input", func(c *call) { c.task.Inputs[1].Type = typ("float?") }},
		{"retype ignored input", func(c *call) { c.task.Inputs[4].Type = typ("bool?") }},
		{"add output", func(c *call) { c.task.Outputs = append(c.task.Outputs, param("report", "file")) }},
		{"remove output", func(c *call) { c.task.Outputs = c.task.Outputs[:1] }},
		{"rename output", func(c *call) { c.task.Outputs[1].Name = "rmse" }},
		{"retype output", func(c *call) { c.task.Outputs[1].Type = typ("string") }},
		{"stop ignoring", func(c *call) { c.task.Cache.Ignore = nil }},
		{"value data", func(c *call) { c.inputs["data"] = file("s3://bucket/data/train.csv", "b") }},
		{"value rate", func(c *call) { c.inputs["rate"] = o.Float(0.2) }},
		{"value rounds", func(c *call) { c.inputs["rounds"] = o.Int(101) }},
		{"value params", func(c *call) {
			c.inputs["params"] = o.Map(map[string]o.Literal{"objective": o.String("reg:squarederror"), "booster": o.String("dart")})
		}},
		{"value params key", func(c *call) {
			c.inputs["params"] = o.Map(map[string]o.Literal{"objective": o.String("reg:squarederror"), "Booster": o.String("gbtree")})
		}},
	}
	seen := map[string]string{}
	for _, tc := range cases {
		c := call{"default", "development", trainTask(), trainInputs()}
		tc.change(&c)
		k, err := catalog.Key(c.project, c.domain, c.task, c.inputs)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if prev, dup := seen[k]; dup {
			t.Errorf("changing %s gives the same key as %s: %s", tc.name, prev, k)
		}
		seen[k] = tc.name
	}
}

func TestKeyIgnoresWhatIsOutsideIt(t *testing.T) {
	base := mustKey(t, "default", "development", trainTask(), trainInputs())
	cases := []struct {
		name   string
		change func(*o.TaskTemplate, map[string]o.Literal)
	}{
		{"ignored input value", func(_ *o.TaskTemplate, in map[string]o.Literal) { in["verbose"] = o.Bool(true) }},
		{"ignored input omitted", func(_ *o.TaskTemplate, in map[string]o.Literal) { delete(in, "verbose") }},
		{"default spelled out", func(_ *o.TaskTemplate, in map[string]o.Literal) { in["rounds"] = o.Int(100) }},
		{"file at a new URI", func(_ *o.TaskTemplate, in map[string]o.Literal) {
			in["data"] = file("file:///tmp/elsewhere/copy.csv", "a")
		}},
		{"map built in another order", func(_ *o.TaskTemplate, in map[string]o.Literal) {
			m := map[string]o.Literal{}
			m["booster"] = o.String("gbtree")
			m["objective"] = o.String("reg:squarederror")
			in["params"] = o.Map(m)
		}},
		{"interface declared in another order", func(task *o.TaskTemplate, _ map[string]o.Literal) {
			slices.Reverse(task.Inputs)
			task.Outputs[0], task.Outputs[1] = task.Outputs[1], task.Outputs[0]
		}},
		{"ignored input listed twice", func(task *o.TaskTemplate, _ map[string]o.Literal) {
			task.Cache.Ignore = []string{"verbose", "verbose"}
		}},
		// The cache version is the user's lever for code changes: image,
		// command and resources are not in the key.
		{"image, command, resources, retries", func(task *o.TaskTemplate, _ map[string]o.Literal) {
			task.Image = "python:3.13"
			task.Command = []string{"python", "train2.py"}
			task.Resources.CPUMilli = 4000
			task.Retries = 3
			task.Timeout = time.Hour
			task.Cache.Serialize = true
		}},
		{"description and default of an ignored input", func(task *o.TaskTemplate, _ map[string]o.Literal) {
			task.Inputs[1].Description = "learning rate"
			task.Inputs[4].Default = new(o.Bool(true))
		}},
	}
	for _, tc := range cases {
		task, in := trainTask(), trainInputs()
		tc.change(task, in)
		if k := mustKey(t, "default", "development", task, in); k != base {
			t.Errorf("%s changed the key: %s, want %s", tc.name, k, base)
		}
	}
}

func TestKeyMapInsertionOrder(t *testing.T) {
	task := &o.TaskTemplate{
		Name:   "m",
		Inputs: []o.Param{param("m", "map<list<int>>")},
		Cache:  &o.CachePolicy{Version: "1"},
	}
	const n = 50
	fwd, rev := map[string]o.Literal{}, map[string]o.Literal{}
	for i := range n {
		fwd[fmt.Sprint("k", i)] = o.List(o.Int(int64(i)), o.Int(1))
	}
	for i := n - 1; i >= 0; i-- {
		rev[fmt.Sprint("k", i)] = o.List(o.Int(int64(i)), o.Int(1))
	}
	a := mustKey(t, "p", "d", task, map[string]o.Literal{"m": o.Map(fwd)})
	b := mustKey(t, "p", "d", task, map[string]o.Literal{"m": o.Map(rev)})
	if a != b {
		t.Errorf("map order changed the key: %s vs %s", a, b)
	}
}

func TestKeyFilesByContent(t *testing.T) {
	task := &o.TaskTemplate{
		Name:   "f",
		Inputs: []o.Param{param("f", "file"), param("d", "directory")},
		Cache:  &o.CachePolicy{Version: "1"},
	}
	dir := func(uri, d string) o.Literal { return o.Directory(o.Blob{URI: uri, Digest: digest(d)}) }
	key := func(f, d o.Literal) string {
		return mustKey(t, "p", "d", task, map[string]o.Literal{"f": f, "d": d})
	}
	base := key(file("s3://b/x.csv", "1"), dir("s3://b/dir/", "2"))
	if k := key(file("file:///somewhere/else.csv", "1"), dir("gs://other/dir/", "2")); k != base {
		t.Errorf("same bytes at new URIs: key %s, want %s", k, base)
	}
	if k := key(file("s3://b/x.csv", "3"), dir("s3://b/dir/", "2")); k == base {
		t.Errorf("new file bytes at the same URI kept the key")
	}
	if k := key(file("s3://b/x.csv", "1"), dir("s3://b/dir/", "3")); k == base {
		t.Errorf("new directory content at the same URI kept the key")
	}
}

func TestKeyIntAndFloat(t *testing.T) {
	if o.Int(1).Hash() == o.Float(1).Hash() {
		t.Fatal("int 1 and float 1 hash the same")
	}
	task := func(ty string) *o.TaskTemplate {
		return &o.TaskTemplate{Name: "t", Inputs: []o.Param{param("x", ty)}, Cache: &o.CachePolicy{Version: "1"}}
	}
	key := func(ty string, v o.Literal) string {
		return mustKey(t, "p", "d", task(ty), map[string]o.Literal{"x": v})
	}
	if key("int", o.Int(1)) == key("float", o.Float(1)) {
		t.Error("int 1 to an int input and float 1 to a float input give the same key")
	}
	if a, b := key("float", o.Int(1)), key("float", o.Float(1)); a != b {
		t.Errorf("int 1 coerced to a float input: %s, float 1: %s", a, b)
	}
	ints := o.List(o.Int(1), o.Int(2))
	floats := o.List(o.Float(1), o.Float(2))
	if a, b := key("list<float>", ints), key("list<float>", floats); a != b {
		t.Errorf("ints in list<float>: %s, floats: %s", a, b)
	}
	if a, b := key("map<float?>", o.Map(map[string]o.Literal{"a": o.Int(3), "b": {}})),
		key("map<float?>", o.Map(map[string]o.Literal{"a": o.Float(3), "b": {}})); a != b {
		t.Errorf("ints in map<float?>: %s, floats: %s", a, b)
	}
	if a, b := key("float?", o.Int(2)), key("float?", o.Float(2)); a != b {
		t.Errorf("int 2 coerced to float?: %s, float 2: %s", a, b)
	}
}

func TestKeyOptionalAndDefaults(t *testing.T) {
	task := &o.TaskTemplate{
		Name:   "t",
		Inputs: []o.Param{param("opt", "string?"), withDefault(param("n", "float"), o.Int(3))},
		Cache:  &o.CachePolicy{Version: "1"},
	}
	base := mustKey(t, "p", "d", task, nil)
	for name, in := range map[string]map[string]o.Literal{
		"explicit none":             {"opt": {}},
		"default spelled out":       {"n": o.Int(3)},
		"default spelled as float":  {"n": o.Float(3)},
		"both spelled out":          {"opt": {}, "n": o.Float(3)},
		"empty map is the same nil": {},
	} {
		if k := mustKey(t, "p", "d", task, in); k != base {
			t.Errorf("%s: key %s, want %s", name, k, base)
		}
	}
	if k := mustKey(t, "p", "d", task, map[string]o.Literal{"opt": o.String("")}); k == base {
		t.Error("the empty string keys like none")
	}
}

func TestKeyErrors(t *testing.T) {
	cases := []struct {
		name    string
		project string
		change  func(*o.TaskTemplate, map[string]o.Literal)
		want    string
	}{
		{"no cache policy", "default", func(task *o.TaskTemplate, _ map[string]o.Literal) { task.Cache = nil }, "caching is off"},
		{"no cache version", "default", func(task *o.TaskTemplate, _ map[string]o.Literal) { task.Cache.Version = "" }, "caching is off"},
		{"external file", "default", func(_ *o.TaskTemplate, in map[string]o.Literal) {
			in["data"] = o.File(o.Blob{URI: "https://example.com/train.csv"})
		}, "https://example.com/train.csv has no digest: it is external and has not been ingested"},
		{"external file in a map", "default", func(task *o.TaskTemplate, in map[string]o.Literal) {
			task.Inputs[3].Type = typ("map<file>")
			in["params"] = o.Map(map[string]o.Literal{"a": file("s3://b/a", "1"), "b": o.File(o.Blob{URI: "/home/me/b.csv"})})
		}, "/home/me/b.csv has no digest"},
		{"external directory in a list", "default", func(task *o.TaskTemplate, in map[string]o.Literal) {
			task.Inputs[3].Type = typ("list<directory>")
			in["params"] = o.List(o.Directory(o.Blob{URI: "https://example.com/d/"}))
		}, "directory https://example.com/d/ has no digest"},
		{"missing input", "default", func(_ *o.TaskTemplate, in map[string]o.Literal) { delete(in, "rate") }, "input rate has no value and no default"},
		{"undeclared input", "default", func(_ *o.TaskTemplate, in map[string]o.Literal) { in["rat"] = o.Float(1) }, `no input named "rat"`},
		{"wrong type", "default", func(_ *o.TaskTemplate, in map[string]o.Literal) { in["rounds"] = o.Float(1) }, "input rounds: a float value does not conform to int"},
		{"none for required", "default", func(_ *o.TaskTemplate, in map[string]o.Literal) { in["rate"] = o.Literal{} }, "input rate: a none value does not conform to float"},
		{"ignore unknown", "default", func(task *o.TaskTemplate, _ map[string]o.Literal) { task.Cache.Ignore = []string{"verbos"} }, `cache ignores "verbos", which is not an input`},
		{"duplicate input", "default", func(task *o.TaskTemplate, _ map[string]o.Literal) {
			task.Inputs = append(task.Inputs, param("rate", "int"))
		}, `input "rate" declared twice`},
		{"duplicate output", "default", func(task *o.TaskTemplate, _ map[string]o.Literal) {
			task.Outputs = append(task.Outputs, param("model", "file"))
		}, `output "model" declared twice`},
		{"empty project", "", func(*o.TaskTemplate, map[string]o.Literal) {}, "empty project or domain"},
	}
	for _, tc := range cases {
		task, in := trainTask(), trainInputs()
		tc.change(task, in)
		_, err := catalog.Key(tc.project, "development", task, in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := catalog.Key("p", "d", nil, nil); err == nil {
		t.Error("nil task: no error")
	}
}

// A vector pins the key of one call.
type vector struct {
	name            string
	project, domain string
	task            *o.TaskTemplate
	inputs          map[string]o.Literal
}

func vectors() []vector {
	ts := time.Date(2024, 3, 1, 12, 30, 0, 500_000_000, time.FixedZone("CET", 3600))
	js, err := o.JSONValue([]byte(`{"b": [1, 2.50], "a": "x<y>"}`))
	if err != nil {
		panic(err)
	}
	return []vector{
		{
			name: "no inputs", project: "default", domain: "development",
			task: &o.TaskTemplate{Name: "hello", Outputs: []o.Param{param("greeting", "string")}, Cache: &o.CachePolicy{Version: "1"}},
		},
		{
			name: "train", project: "default", domain: "development",
			task: trainTask(), inputs: trainInputs(),
		},
		{
			name: "train, default spelled out", project: "default", domain: "development",
			task: trainTask(),
			inputs: func() map[string]o.Literal {
				in := trainInputs()
				in["rounds"] = o.Int(100)
				return in
			}(),
		},
		{
			name: "every kind", project: "ml", domain: "production",
			task: &o.TaskTemplate{
				Name: "kinds",
				Inputs: []o.Param{
					param("i", "int"), param("f", "float"), param("s", "string"), param("b", "bool"),
					param("t", "datetime"), param("d", "duration"), param("file", "file"),
					param("dir", "directory"), param("j", "json"), param("l", "list<float>"),
					param("m", "map<string,int>"), param("none", "int?"),
				},
				Outputs: []o.Param{param("out", "list<file>?")},
				Cache:   &o.CachePolicy{Version: "2024-03-01"},
			},
			inputs: map[string]o.Literal{
				"i":    o.Int(-7),
				"f":    o.Float(1e-7),
				"s":    o.String("héllo \"world\" <&>"),
				"b":    o.Bool(true),
				"t":    o.Datetime(ts),
				"d":    o.Duration(90*time.Second + 250*time.Millisecond),
				"file": file("s3://b/f", "c"),
				"dir":  o.Directory(o.Blob{URI: "s3://b/dir/", Digest: digest("d")}),
				"j":    js,
				"l":    o.List(o.Int(1), o.Float(0.5)),
				"m":    o.Map(map[string]o.Literal{"z": o.Int(1), "a": o.Int(2)}),
			},
		},
	}
}

// goldenKeys renders the vectors as testdata/keys.golden holds them.
func goldenKeys(t *testing.T) []byte {
	var b bytes.Buffer
	b.WriteString("# Cache key vectors: for each, the canonical literals of the inputs as given (before\n# defaults and int->float coercion), the canonical pre-image, and its SHA-256: the key.\n")
	b.WriteString("# A change here changes the key of every entry in every bucket; bump keyFormat in key.go.\n")
	b.WriteString("# Regenerate with: go test ./catalog/ -run TestGoldenKeys -update\n")
	for _, v := range vectors() {
		pre, err := catalog.Preimage(v.project, v.domain, v.task, v.inputs)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		k := mustKey(t, v.project, v.domain, v.task, v.inputs)
		fmt.Fprintf(&b, "\n== %s\n", v.name)
		for _, name := range slices.Sorted(maps.Keys(v.inputs)) {
			fmt.Fprintf(&b, "input %s = %s\n", name, v.inputs[name].Canonical())
		}
		fmt.Fprintf(&b, "%s\n%s\n", pre, k)
	}
	return b.Bytes()
}

func TestGoldenKeys(t *testing.T) {
	path := filepath.Join("testdata", "keys.golden")
	got := goldenKeys(t)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("cache keys differ from %s (run with -update only if the encoding is meant to change):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestPreimage shows the canonical pre-image of the train vector (run with
// -v to read it) and checks that it is what Key hashes.
func TestPreimage(t *testing.T) {
	v := vectors()[1]
	pre, err := catalog.Preimage(v.project, v.domain, v.task, v.inputs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pre-image of %q:\n%s", v.name, pre)
	sum := sha256.Sum256(pre)
	if got, want := mustKey(t, v.project, v.domain, v.task, v.inputs), "sha256:"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Key = %s, sha256 of the pre-image = %s", got, want)
	}
	for _, s := range []string{"\n", " ", `"verbose":"sha256`} {
		if bytes.Contains(pre, []byte(s)) {
			t.Errorf("pre-image contains %q", s)
		}
	}
	for _, s := range []string{
		`{"cache_version":"1","domain":"development","format":1,"inputs":{"data":"` + file("", "a").Hash() + `",`,
		`"interface":{"inputs":{"data":"file","params":"map<string>","rate":"float","rounds":"int","verbose":"bool"},"outputs":{"model":"file","score":"float"}},"project":"default","task":"train"}`,
	} {
		if !bytes.Contains(pre, []byte(s)) {
			t.Errorf("pre-image lacks %s", s)
		}
	}
}

func BenchmarkKey(b *testing.B) {
	task := &o.TaskTemplate{Name: "bench", Cache: &o.CachePolicy{Version: "1"}, Outputs: []o.Param{param("out", "file")}}
	in := map[string]o.Literal{}
	for i := range 10 {
		name := fmt.Sprint("in", i)
		var p o.Param
		switch i % 5 {
		case 0:
			p, in[name] = param(name, "int"), o.Int(int64(i))
		case 1:
			p, in[name] = param(name, "float"), o.Float(float64(i)/3)
		case 2:
			p, in[name] = param(name, "string"), o.String(strings.Repeat("x", 64))
		case 3:
			p, in[name] = param(name, "file"), file(fmt.Sprint("s3://b/", i), fmt.Sprint(i))
		case 4:
			p, in[name] = param(name, "map<string>"), o.Map(map[string]o.Literal{"a": o.String("1"), "b": o.String("2"), "c": o.String("3")})
		}
		task.Inputs = append(task.Inputs, p)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := catalog.Key("default", "development", task, in); err != nil {
			b.Fatal(err)
		}
	}
}

func TestKeyAndHashes(t *testing.T) {
	task, in := trainTask(), trainInputs()
	key, hashes, err := catalog.KeyAndHashes("default", "development", task, in)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := catalog.InputHashes(task, in)
	if key != mustKey(t, "default", "development", task, in) || !reflect.DeepEqual(hashes, want) {
		t.Errorf("KeyAndHashes = %s %v, want Key's %s and InputHashes' %v", key, hashes, mustKey(t, "default", "development", task, in), want)
	}
}
