package orchestrator

import (
	"testing"
	"time"
)

// t0 is the injected clock of these tests.
var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// builder makes small compiled workflows by hand for Step tests: every
// task takes one int input "x" and gives one int output "y".
type builder struct{ c *Compiled }

func newBuilder() *builder {
	return &builder{c: &Compiled{Version: CompiledVersion, Name: "wf", Tasks: map[string]*TaskTemplate{
		"t": {Name: "t", Command: []string{"f", "{{inputs.x}}", "{{outputs.y}}"},
			Inputs:  []Param{{Name: "x", Type: Type{Kind: KindInt}}},
			Outputs: []Param{{Name: "y", Type: Type{Kind: KindInt}}}, Retries: 1},
		"c": {Name: "c", Command: []string{"f"}, Cache: &CachePolicy{Version: "1"},
			Inputs:  []Param{{Name: "x", Type: Type{Kind: KindInt}}},
			Outputs: []Param{{Name: "y", Type: Type{Kind: KindInt}}}},
	}}}
}

// task adds a task node named name whose x comes from src.
func (b *builder) task(name, task string, src Source) int32 {
	i := int32(len(b.c.Nodes))
	n := Node{Name: name, Task: task, Inputs: []Bind{{Input: "x", From: src}},
		Outputs: []Param{{Name: "y", Type: Type{Kind: KindInt}}}}
	if src.Kind == FromNode {
		n.Deps = []int32{src.Node}
		b.c.Nodes[src.Node].Dependents = append(b.c.Nodes[src.Node].Dependents, i)
	}
	b.c.Nodes = append(b.c.Nodes, n)
	return i
}

func (b *builder) dep(from, to int32) {
	b.c.Nodes[to].Deps = append(b.c.Nodes[to].Deps, from)
	b.c.Nodes[from].Dependents = append(b.c.Nodes[from].Dependents, to)
}

func lit(v int64) Source            { l := Int(v); return Source{Kind: FromLiteral, Lit: &l} }
func out(n int32) Source            { return Source{Kind: FromNode, Node: n, Output: "y"} }
func input(name string) Source      { return Source{Kind: FromInput, Input: name} }
func ys(v int64) map[string]Literal { return map[string]Literal{"y": Int(v)} }

// start makes a running state of the builder's workflow.
func (b *builder) start(t *testing.T, opt Options) (State, []Command) {
	t.Helper()
	s := NewState(b.c, "sha256:test", opt, t0)
	return Step(s, ExecutionRequested{Inputs: map[string]Literal{"n": Int(3)}}, t0)
}

// kinds summarises commands as short strings for comparisons.
func kinds(cmds []Command) []string {
	var out []string
	for _, c := range cmds {
		switch c := c.(type) {
		case Dispatch:
			out = append(out, "dispatch "+c.NodeName+itemSuffix(c.Item)+" #"+itoa(c.Attempt))
		case LookupCache:
			out = append(out, "lookup "+itoa(int(c.Node))+itemSuffix(c.Item))
		case Reserve:
			out = append(out, "reserve "+itoa(int(c.Node))+itemSuffix(c.Item)+" #"+itoa(c.Try))
		case Release:
			out = append(out, "release "+itoa(int(c.Node))+itemSuffix(c.Item))
		case WriteCatalog:
			out = append(out, "write-catalog "+itoa(int(c.Node))+itemSuffix(c.Item))
		case Cancel:
			out = append(out, "cancel "+itoa(int(c.Node))+itemSuffix(c.Item))
		case Finish:
			out = append(out, "finish "+c.Phase.String())
		case Notify:
			out = append(out, "notify "+c.Phase.String())
		case Wake:
			out = append(out, "wake +"+c.At.Sub(t0).String())
		}
	}
	return out
}

func itemSuffix(i int) string {
	if i < 0 {
		return ""
	}
	return "[" + itoa(i) + "]"
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b []byte
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}
