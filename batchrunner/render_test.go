package batchrunner

import (
	"reflect"
	"strings"
	"testing"
)

func TestRenderArgv(t *testing.T) {
	in := map[string]string{"x": "/in/x", "n": "7", "s": "{{outputs.y}}"}
	out := map[string]string{"y": "/out/y"}
	got, err := renderArgv([]string{"prog", "{{inputs.x}}", "--n={{ inputs.n }}", "{{outputs.y}}", "{{inputs.s}}", "{{ .Go }}", "{{x}}"}, in, out)
	if err != nil {
		t.Fatal(err)
	}
	// A value is never rendered again, whatever it holds.
	want := []string{"prog", "/in/x", "--n=7", "/out/y", "{{outputs.y}}", "{{ .Go }}", "{{x}}"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, tmpl := range [][]string{{"p", "{{inputs.zz}}"}, {"p", "{{output.y}}"}, {}, {"{{inputs.empty}}"}} {
		_, err := renderArgv(tmpl, map[string]string{"empty": ""}, out)
		if err == nil {
			t.Errorf("%q: no error", tmpl)
		} else if strings.Contains(err.Error(), "zz") && !strings.Contains(err.Error(), "it has: empty") {
			t.Errorf("error %q does not list the inputs", err)
		}
	}
}
