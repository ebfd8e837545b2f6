package orchestrator

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustCompile(t testing.TB, text, workflow string) *Compiled {
	t.Helper()
	c, err := Compile(mustParse(t, text), workflow)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return c
}

// node returns the named node, failing the test when it is missing.
func node(t testing.TB, c *Compiled, name string) *Node {
	t.Helper()
	i, ok := c.NodeIndex(name)
	if !ok {
		var names []string
		for _, n := range c.Nodes {
			names = append(names, n.Name)
		}
		t.Fatalf("no node %q in %v", name, names)
	}
	return &c.Nodes[i]
}

func bindOf(t testing.TB, n *Node, input string) Source {
	t.Helper()
	for _, b := range n.Inputs {
		if b.Input == input {
			return b.From
		}
	}
	t.Fatalf("node %q does not bind %q", n.Name, input)
	return Source{}
}

func names(c *Compiled, ids []int32) string {
	var out []string
	for _, i := range ids {
		out = append(out, c.Nodes[i].Name)
	}
	return strings.Join(out, ",")
}

func TestCompileDiabetes(t *testing.T) {
	c, err := Compile(parseDiabetes(t), "diabetes_xgboost_model")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(c, []int32{0, 1, 2, 3}); got != "split,fit,predict,score" || len(c.Nodes) != 4 {
		t.Fatalf("nodes = %s", got)
	}
	score := node(t, c, "score")
	if names(c, score.Deps) != "split,predict" || score.Dependents != nil {
		t.Errorf("score deps = %s, dependents %v", names(c, score.Deps), score.Dependents)
	}
	if s := bindOf(t, node(t, c, "fit"), "hyperparams"); s.Kind != FromLiteral || s.Lit.Kind != KindJSON || s.Lit.Str != `{"max_depth":4}` {
		t.Errorf("hyperparams = %+v", s)
	}
	if s := bindOf(t, node(t, c, "split"), "seed"); s != (Source{Kind: FromInput, Input: "seed"}) {
		t.Errorf("seed = %+v", s)
	}
	fit := c.Tasks["fit"]
	abs, _ := filepath.Abs("testdata/spec")
	if fit.Image != "python:3.11-slim" || fit.Resources != (Resources{CPUMilli: 1000, MemoryBytes: 200 << 20}) ||
		fit.Cache.Version != "1.0" || fit.Retries != 2 || fit.Timeout != 30*time.Minute || !fit.Interruptible || fit.Dir != abs {
		t.Errorf("fit template = %+v", fit)
	}
	if len(c.Tasks) != 4 || c.Tasks["predict"].Retries != 0 || c.Tasks["predict"].Interruptible {
		t.Errorf("tasks = %v", c.Tasks)
	}
	if c.Outputs[0].Name != "accuracy" || c.Outputs[0].Type.Kind != KindFloat || c.Outputs[0].From.Node != 3 {
		t.Errorf("outputs = %+v", c.Outputs)
	}
	in, err := ResolveInputs(c, map[string]Literal{"seed": Int(9)})
	if err != nil || !in["seed"].Equal(Int(9)) || !in["test_split_ratio"].Equal(Float(0.33)) || in["dataset"].Blob == nil {
		t.Errorf("ResolveInputs = %v, %v", in, err)
	}
}

const subSpec = `apiVersion: aloft/v1
kind: Workflow
name: train
inputs:
  data: file
  rate: {type: float, default: 0.1}
  note: "string?"
outputs:
  model: "{{fit.model}}"
  rate_used: "{{inputs.rate}}"
tasks:
  prep:
    inputs: {data: file}
    outputs: {clean: file}
    command: [prep, "{{inputs.data}}", "{{outputs.clean}}"]
  fit:
    inputs: {data: file, rate: float, note: "string?"}
    outputs: {model: file}
    command: [fit, "{{inputs.data}}", "{{inputs.rate}}", "{{outputs.model}}"]
nodes:
  prep: {task: prep, inputs: {data: "{{inputs.data}}"}}
  fit: {task: fit, inputs: {data: "{{prep.clean}}", rate: "{{inputs.rate}}", note: "{{inputs.note}}"}}
  audit: {task: prep, inputs: {data: "{{inputs.data}}"}}
---
apiVersion: aloft/v1
kind: Workflow
name: outer
inputs:
  raw: file
tasks:
  fetch:
    outputs: {data: file}
    command: [fetch, "{{outputs.data}}"]
  use:
    inputs: {model: file, rate: float}
    command: [use, "{{inputs.model}}", "{{inputs.rate}}"]
  fit:
    command: [other-fit]
nodes:
  fetch: {task: fetch}
  first: {workflow: train, inputs: {data: "{{fetch.data}}"}, after: [gate]}
  second: {workflow: train, inputs: {data: "{{inputs.raw}}", rate: 2}}
  gate: {task: fit}
  use: {task: use, inputs: {model: "{{first.model}}", rate: "{{second.rate_used}}"}}
  last: {task: fit, after: [second]}
`

func TestCompileSubworkflow(t *testing.T) {
	c := mustCompile(t, subSpec, "outer")
	var order []string
	for _, n := range c.Nodes {
		order = append(order, n.Name)
	}
	want := "fetch,gate,first.audit,first.prep,first.fit,second.audit,second.prep,second.fit,last,use"
	if got := strings.Join(order, ","); got != want {
		t.Errorf("order = %s\nwant    %s", got, want)
	}
	prep := node(t, c, "first.prep")
	if s := bindOf(t, prep, "data"); s.Kind != FromNode || c.Nodes[s.Node].Name != "fetch" || s.Output != "data" {
		t.Errorf("first.prep data = %+v (inner binding to a subworkflow input must become the outer binding)", s)
	}
	if names(c, prep.Deps) != "fetch,gate" || names(c, node(t, c, "first.audit").Deps) != "fetch,gate" {
		t.Errorf("after: on a subworkflow node must reach all its inner nodes: prep %s", names(c, prep.Deps))
	}
	fit := node(t, c, "first.fit")
	if s := bindOf(t, fit, "rate"); s.Kind != FromLiteral || !s.Lit.Equal(Float(0.1)) {
		t.Errorf("unbound subworkflow input must take its default: %+v", s)
	}
	if slices.ContainsFunc(fit.Inputs, func(b Bind) bool { return b.Input == "note" }) {
		t.Error("an unbound optional input without default must stay unbound")
	}
	if s := bindOf(t, node(t, c, "second.fit"), "rate"); s.Lit == nil || s.Lit.Kind != KindFloat || s.Lit.Flt != 2 {
		t.Errorf("literal int bound to a float input must become a float: %+v", s)
	}
	use := node(t, c, "use")
	if s := bindOf(t, use, "model"); s.Kind != FromNode || c.Nodes[s.Node].Name != "first.fit" || s.Output != "model" {
		t.Errorf("reference to a subworkflow output must point at the inner source: %+v", s)
	}
	if s := bindOf(t, use, "rate"); s.Kind != FromLiteral || !s.Lit.Equal(Float(2)) {
		t.Errorf("subworkflow output bound to its input must resolve to the outer literal: %+v", s)
	}
	if names(c, node(t, c, "last").Deps) != "second.audit,second.fit" {
		t.Errorf("after: a subworkflow waits for its sinks, got %s", names(c, node(t, c, "last").Deps))
	}
	if c.Tasks["fit"].Command[0] != "other-fit" || c.Tasks["train.fit"].Command[0] != "fit" || fit.Task != "train.fit" {
		t.Errorf("task keys: %v; first.fit uses %q", keys(c.Tasks), fit.Task)
	}
}

func keys[V any](m map[string]V) []string { return sortedKeys(m) }

func TestCompileNestedSubworkflow(t *testing.T) {
	c := mustCompile(t, `apiVersion: aloft/v1
kind: Workflow
name: leaf
inputs: {x: int}
outputs: {y: "{{t.y}}"}
tasks:
  t: {inputs: {x: int}, outputs: {y: int}, command: [t, "{{inputs.x}}", "{{outputs.y}}"]}
nodes:
  t: {task: t, inputs: {x: "{{inputs.x}}"}}
---
apiVersion: aloft/v1
kind: Workflow
name: mid
inputs: {x: int}
outputs: {y: "{{inner.y}}"}
nodes:
  inner: {workflow: leaf, inputs: {x: "{{inputs.x}}"}}
---
apiVersion: aloft/v1
kind: Workflow
name: top
outputs: {y: "{{m.y}}"}
nodes:
  m: {workflow: mid, inputs: {x: 5}}
`, "top")
	if len(c.Nodes) != 1 || c.Nodes[0].Name != "m.inner.t" || !bindOf(t, &c.Nodes[0], "x").Lit.Equal(Int(5)) {
		t.Fatalf("nodes = %+v", c.Nodes)
	}
	if c.Outputs[0].From != (Source{Kind: FromNode, Node: 0, Output: "y"}) || c.Outputs[0].Type.Kind != KindInt {
		t.Errorf("outputs = %+v", c.Outputs)
	}
}

func TestCompileMap(t *testing.T) {
	c := mustCompile(t, `apiVersion: aloft/v1
kind: Workflow
name: sweep
inputs: {grid: list<json>}
tasks:
  fit:
    inputs: {params: json, depth: int, seed: {type: int, default: 7}}
    outputs: {model: file, score: float}
    command: [fit, "{{inputs.params}}", "{{inputs.depth}}", "{{inputs.seed}}", "{{outputs.model}}", "{{outputs.score}}"]
  pick:
    inputs: {scores: "list<float?>", all: list<file>}
    command: [pick, "{{inputs.scores}}", "{{inputs.all}}"]
nodes:
  strict: {map: fit, over: {params: "{{inputs.grid}}", depth: [1, 2, 3]}, concurrency: 4}
  lenient: {map: fit, over: {params: "{{inputs.grid}}"}, inputs: {depth: 3}, min_success_ratio: 0.5}
  pick: {task: pick, inputs: {scores: "{{lenient.score}}", all: "{{strict.model}}"}}
`, "sweep")
	strict, lenient := node(t, c, "strict"), node(t, c, "lenient")
	if strict.Kind != NodeMap || strict.Task != "fit" || strings.Join(strict.Over, ",") != "depth,params" ||
		strict.Concurrency != 4 || strict.MinSuccessRatio != 0 {
		t.Errorf("strict = %+v", strict)
	}
	if s := bindOf(t, strict, "depth"); s.Lit == nil || len(s.Lit.List) != 3 {
		t.Errorf("literal over list = %+v", s)
	}
	if s := bindOf(t, strict, "seed"); !s.Lit.Equal(Int(7)) {
		t.Errorf("task default must be bound explicitly: %+v", s)
	}
	if strict.Outputs[0].Type.String() != "list<file>" || lenient.Outputs[1].Type.String() != "list<float?>" {
		t.Errorf("map outputs: %v / %v", strict.Outputs, lenient.Outputs)
	}
	if lenient.MinSuccessRatio != 0.5 || strings.Join(lenient.Over, ",") != "params" {
		t.Errorf("lenient = %+v", lenient)
	}
	if names(c, node(t, c, "pick").Deps) != "lenient,strict" && names(c, node(t, c, "pick").Deps) != "strict,lenient" {
		t.Errorf("pick deps = %s", names(c, node(t, c, "pick").Deps))
	}
}

func TestCompileConditional(t *testing.T) {
	c := mustCompile(t, `apiVersion: aloft/v1
kind: Workflow
name: gate
inputs: {threshold: {type: float, default: 0.75}}
tasks:
  score: {outputs: {accuracy: float}, command: [score, "{{outputs.accuracy}}"]}
  deploy: {inputs: {acc: float}, outputs: {url: string}, command: [deploy, "{{inputs.acc}}", "{{outputs.url}}"]}
  hold: {outputs: {url: string}, command: [hold, "{{outputs.url}}"]}
  notify: {inputs: {url: string}, command: [notify, "{{inputs.url}}"]}
nodes:
  score: {task: score}
  decide:
    branches:
      - {when: "{{score.accuracy}} >= {{inputs.threshold}}", task: deploy, inputs: {acc: "{{score.accuracy}}"}}
      - {when: "{{score.accuracy}} > 0", task: hold}
      - {otherwise: {task: hold}}
  notify: {task: notify, inputs: {url: "{{decide.url}}"}, after: [score]}
`, "gate")
	b0, b1, b2, sel := node(t, c, "decide.b0"), node(t, c, "decide.b1"), node(t, c, "decide.b2"), node(t, c, "decide")
	if b0.Kind != NodeTask || b0.Guard == nil || b0.Guard.Unless != nil || b0.Guard.When.Op != ">=" ||
		b0.Guard.When.Right != (Source{Kind: FromInput, Input: "threshold"}) {
		t.Errorf("b0 guard = %+v", b0.Guard)
	}
	if len(b1.Guard.Unless) != 1 || b1.Guard.When == nil || !b1.Guard.When.Right.Lit.Equal(Float(0)) || b1.Guard.When.Right.Lit.Kind != KindFloat {
		t.Errorf("b1 guard = %+v (literal operands take the float type of the other side)", b1.Guard)
	}
	if len(b2.Guard.Unless) != 2 || b2.Guard.When != nil || names(c, b2.Deps) != "score" {
		t.Errorf("b2 guard = %+v deps %s", b2.Guard, names(c, b2.Deps))
	}
	if sel.Kind != NodeSelect || names(c, sel.Choices) != "decide.b0,decide.b1,decide.b2" ||
		names(c, sel.Deps) != "decide.b0,decide.b1,decide.b2" || sel.Outputs[0].Name != "url" {
		t.Errorf("select = %+v", sel)
	}
	notify := node(t, c, "notify")
	if s := bindOf(t, notify, "url"); c.Nodes[s.Node].Name != "decide" || names(c, notify.Deps) != "score,decide" {
		t.Errorf("notify = %+v deps %s", s, names(c, notify.Deps))
	}
	for i, n := range c.Nodes {
		for _, d := range n.Deps {
			if d >= int32(i) || !slices.Contains(c.Nodes[d].Dependents, int32(i)) {
				t.Errorf("node %s: dep %d is not before it or lacks the dependent", n.Name, d)
			}
		}
	}
}

func TestCompileDefaults(t *testing.T) {
	c := mustCompile(t, `apiVersion: aloft/v1
kind: Workflow
name: d
defaults:
  build: {base: python:3.11, code: ./tasks}
  resources: {cpu: 2, memory: 1Gi}
  cache: {version: "3", ignore: [seed]}
  retries: 1
  timeout: 600
  env: {A: "1", B: "2"}
  target: aws-batch
tasks:
  plain: {inputs: {seed: int, x: int}, command: [p, "{{inputs.seed}}", "{{inputs.x}}"]}
  custom:
    command: [c]
    image: alpine
    resources: {gpu: 1, memory: 4Gi}
    cache: false
    retries: 0
    env: {B: "3"}
    target: local
  recache: {command: [r], cache: {serialize: true}}
nodes:
  a: {task: plain, inputs: {seed: 1, x: 2}}
  b: {task: custom}
  c: {task: recache}
  e: {task: shared}
---
apiVersion: aloft/v1
kind: Task
name: shared
command: [s]
`, "d")
	plain, custom, recache, shared := c.Tasks["plain"], c.Tasks["custom"], c.Tasks["recache"], c.Tasks["shared"]
	if plain.Image != "" || *plain.Build != (Build{Base: "python:3.11", Code: "./tasks"}) ||
		plain.Resources != (Resources{CPUMilli: 2000, MemoryBytes: 1 << 30}) || plain.Retries != 1 ||
		plain.Timeout != 10*time.Minute || plain.Target != "aws-batch" || fmt.Sprint(plain.Env) != "map[A:1 B:2]" ||
		plain.Cache.Version != "3" || fmt.Sprint(plain.Cache.Ignore) != "[seed]" {
		t.Errorf("plain = %+v", plain)
	}
	if custom.Image != "alpine" || custom.Build != nil || custom.Cache != nil || custom.Retries != 0 ||
		custom.Resources != (Resources{CPUMilli: 2000, MemoryBytes: 4 << 30, GPU: 1}) ||
		fmt.Sprint(custom.Env) != "map[A:1 B:3]" || custom.Target != "local" {
		t.Errorf("custom = %+v", custom)
	}
	if recache.Cache.Version != "3" || !recache.Cache.Serialize || recache.Cache.Ignore != nil {
		t.Errorf("recache cache = %+v", recache.Cache)
	}
	if shared.Build != nil || shared.Cache != nil || shared.Retries != 0 || shared.Env != nil {
		t.Errorf("a standalone task takes no workflow defaults: %+v", shared)
	}
}

func TestCompileDeterministic(t *testing.T) {
	a := mustCompile(t, subSpec, "outer")
	b := mustCompile(t, subSpec, "outer")
	ea, _ := a.Encode()
	eb, _ := b.Encode()
	if !bytes.Equal(ea, eb) {
		t.Fatal("two compiles of one spec differ")
	}
	data, err := os.ReadFile("testdata/spec/diabetes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	shuffled, err := os.ReadFile("testdata/spec/diabetes_shuffled.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(data, shuffled) {
		t.Fatal("the shuffled spec must differ in its bytes")
	}
	digest := func(text []byte) string {
		s, err := Parse("testdata/spec/diabetes.yaml", text)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compile(s, "diabetes_xgboost_model")
		if err != nil {
			t.Fatal(err)
		}
		d, _ := c.Digest()
		return d
	}
	if da, db := digest(data), digest(shuffled); da != db {
		t.Errorf("reordering keys changed the digest: %s vs %s", da, db)
	}
}

func TestCompileRoundTrip(t *testing.T) {
	c := mustCompile(t, subSpec, "outer")
	enc, _ := c.Encode()
	d, err := DecodeCompiled(enc)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := d.Encode()
	if !bytes.Equal(enc, again) {
		t.Errorf("decode+encode changed the document:\n%s\n%s", enc, again)
	}
}

func TestCompileErrors(t *testing.T) {
	s := parseDiabetes(t)
	if _, err := Compile(s, "diabetes"); err == nil || !strings.Contains(err.Error(), "unknown workflow") {
		t.Errorf("unknown workflow: %v", err)
	}
	if _, err := Compile(&Spec{}, "x"); err == nil {
		t.Error("compiling an unvalidated spec must fail")
	}
}

func TestResolveInputs(t *testing.T) {
	c := mustCompile(t, `apiVersion: aloft/v1
kind: Workflow
name: r
inputs:
  n: int
  rate: float
  xs: list<float>
  label: {type: string, default: x}
  maybe: "int?"
tasks:
  t: {inputs: {n: int}, command: [t, "{{inputs.n}}"]}
nodes:
  a: {task: t, inputs: {n: "{{inputs.n}}"}}
`, "r")
	got, err := ResolveInputs(c, map[string]Literal{"n": Int(1), "rate": Int(2), "xs": List(Int(1), Float(2.5))})
	if err != nil {
		t.Fatal(err)
	}
	if !got["rate"].Equal(Float(2)) || got["rate"].Kind != KindFloat || got["xs"].List[0].Kind != KindFloat ||
		!got["label"].Equal(String("x")) || !got["maybe"].IsNone() || len(got) != 5 {
		t.Errorf("resolved = %v", got)
	}
	_, err = ResolveInputs(c, map[string]Literal{"n": String("1"), "ratee": Float(1)})
	want := []string{`workflow "r" has no input "ratee"; did you mean "rate"?`, `input "n" must be int, got string "1"`,
		`missing required input "rate" (float)`, `missing required input "xs" (list<float>)`}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

// bigSpec generates a workflow of n nodes: a chain (each node uses the
// previous one's output) or a fan-out (every node uses the first one's).
func bigSpec(n int, chain bool) []byte {
	var b bytes.Buffer
	b.WriteString(`apiVersion: aloft/v1
kind: Workflow
name: big
defaults: {image: alpine, resources: {cpu: 1, memory: 64Mi}, cache: {version: "1"}}
tasks:
  step:
    inputs: {x: "int?"}
    outputs: {y: int}
    command: [step, "{{inputs.x}}", "{{outputs.y}}"]
nodes:
  n0: {task: step}
`)
	for i := 1; i < n; i++ {
		from := 0
		if chain {
			from = i - 1
		}
		fmt.Fprintf(&b, "  n%d: {task: step, inputs: {x: \"{{n%d.y}}\"}}\n", i, from)
	}
	return b.Bytes()
}

// BenchmarkCompile10k measures parsing with validation, compiling, and both
// together, for a 10,000-node chain and a 10,000-node fan-out.
func BenchmarkCompile10k(b *testing.B) {
	for _, shape := range []struct {
		name  string
		chain bool
	}{{"chain", true}, {"fanout", false}} {
		data := bigSpec(10000, shape.chain)
		b.Run(shape.name+"/parse+validate", func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse("big.yaml", data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(shape.name+"/compile", func(b *testing.B) {
			s, err := Parse("big.yaml", data)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := Compile(s, "big"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(shape.name+"/all", func(b *testing.B) {
			for b.Loop() {
				s, err := Parse("big.yaml", data)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Compile(s, "big"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCompile10k compiles 10,000 nodes as a chain and as a fan. How fast
// is measured by BenchmarkCompile10k (make bench), not here: a timed unit test
// fails on a loaded machine.
func TestCompile10k(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 nodes")
	}
	for _, chain := range []bool{true, false} {
		data := bigSpec(10000, chain)
		s, err := Parse("big.yaml", data)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compile(s, "big")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Nodes) != 10000 {
			t.Fatalf("%d nodes", len(c.Nodes))
		}
	}
}

// randomSpec writes a random valid workflow "top" of n nodes (task calls,
// maps, conditionals, subworkflow calls and after:), listing its nodes in
// the order given by perm.
func randomSpec(r *rand.Rand, n int, perm []int) string {
	nodes := make([]string, n)
	var scalar []int // nodes whose output y is an int (not a map's list)
	pick := func(i int) string { return fmt.Sprintf("n%d", scalar[r.Intn(len(scalar))]) }
	for i := range n {
		if i > 0 && nodes[i-1] != "" && !strings.Contains(nodes[i-1], "map:") {
			scalar = append(scalar, i-1)
		}
		var body string
		switch k := r.Intn(6); {
		case i == 0 || k == 0:
			body = "{task: t}"
		case k == 1:
			body = fmt.Sprintf(`{task: t, inputs: {a: "{{%s.y}}", b: "{{%s.y}}"}}`, pick(i), pick(i))
		case k == 2:
			body = fmt.Sprintf(`{map: t, over: {a: "{{inputs.xs}}"}, inputs: {b: "{{%s.y}}"}, concurrency: 2}`, pick(i))
		case k == 3:
			body = fmt.Sprintf(`{branches: [{when: "{{%s.y}} > 1", task: t, inputs: {a: "{{%s.y}}"}}, {otherwise: true, task: t}]}`,
				pick(i), pick(i))
		case k == 4:
			body = fmt.Sprintf(`{workflow: sub, inputs: {x: "{{%s.y}}"}, after: [%s]}`, pick(i), pick(i))
		default:
			body = fmt.Sprintf(`{task: t, after: [%s, %s]}`, pick(i), pick(i))
		}
		nodes[i] = fmt.Sprintf("  n%d: %s\n", i, body)
	}
	var b strings.Builder
	b.WriteString(`apiVersion: aloft/v1
kind: Task
name: t
inputs: {a: "int?", b: "int?"}
outputs: {y: int}
command: [t, "{{inputs.a}}", "{{inputs.b}}", "{{outputs.y}}"]
---
apiVersion: aloft/v1
kind: Workflow
name: sub
inputs: {x: int}
outputs: {y: "{{second.y}}"}
nodes:
  first: {task: t, inputs: {a: "{{inputs.x}}"}}
  second: {task: t, inputs: {a: "{{first.y}}"}}
  side: {task: t}
---
apiVersion: aloft/v1
kind: Workflow
name: top
inputs: {xs: list<int>}
nodes:
`)
	for _, i := range perm {
		b.WriteString(nodes[i])
	}
	return b.String()
}

// TestCompileRandomSpecs compiles random workflows and checks the
// invariants Step relies on, and that node order in the file does not
// change the result.
func TestCompileRandomSpecs(t *testing.T) {
	for seed := range int64(200) {
		r := rand.New(rand.NewSource(seed))
		n := 1 + r.Intn(30)
		ordered := make([]int, n)
		for i := range ordered {
			ordered[i] = i
		}
		text := randomSpec(rand.New(rand.NewSource(seed)), n, ordered)
		shuffled := randomSpec(rand.New(rand.NewSource(seed)), n, r.Perm(n))
		c := mustCompile(t, text, "top")
		checkCompiled(t, c)
		da, _ := c.Digest()
		db, _ := mustCompile(t, shuffled, "top").Digest()
		if da != db {
			t.Fatalf("seed %d: node order in the file changed the digest", seed)
		}
	}
}

func checkCompiled(t *testing.T, c *Compiled) {
	t.Helper()
	seen := map[string]bool{}
	for i, n := range c.Nodes {
		if seen[n.Name] {
			t.Fatalf("duplicate node %q", n.Name)
		}
		seen[n.Name] = true
		if !slices.IsSorted(n.Deps) || !slices.IsSorted(n.Dependents) {
			t.Fatalf("node %s: unsorted deps", n.Name)
		}
		for _, d := range n.Deps {
			if d >= int32(i) || !slices.Contains(c.Nodes[d].Dependents, int32(i)) {
				t.Fatalf("node %s: bad dep %d", n.Name, d)
			}
		}
		var srcs []Source
		for _, b := range n.Inputs {
			srcs = append(srcs, b.From)
		}
		if g := n.Guard; g != nil {
			for _, cond := range append(slices.Clone(g.Unless), ptrOr(g.When)...) {
				srcs = append(srcs, cond.Left, cond.Right)
			}
		}
		for _, s := range srcs {
			if s.Kind == FromNode && !slices.Contains(n.Deps, s.Node) {
				t.Fatalf("node %s reads node %d without depending on it", n.Name, s.Node)
			}
			if s.Kind == FromLiteral && s.Lit == nil {
				t.Fatalf("node %s binds a nil literal", n.Name)
			}
		}
		if (n.Kind == NodeTask || n.Kind == NodeMap) && c.Tasks[n.Task] == nil {
			t.Fatalf("node %s runs unknown task %q", n.Name, n.Task)
		}
	}
}

func ptrOr(c *Cond) []Cond {
	if c == nil {
		return nil
	}
	return []Cond{*c}
}
