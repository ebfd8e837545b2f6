package local

import (
	"bytes"
	"reflect"
	"testing"
)

func TestParseGPUList(t *testing.T) {
	if got := parseGPUList("0\n1\n 3 \n"); !reflect.DeepEqual(got, []int{0, 1, 3}) {
		t.Errorf("got %v", got)
	}
	if got := parseGPUList(""); got == nil || len(got) != 0 {
		t.Errorf("empty output gave %#v, want an empty non-nil list", got)
	}
}

func TestPrefixWriter(t *testing.T) {
	var b bytes.Buffer
	w := &prefixWriter{w: &b, prefix: "fit | "}
	w.Write([]byte("a\nb"))
	w.Write([]byte("c\n\nd\n"))
	if got := b.String(); got != "fit | a\nfit | bc\nfit | \nfit | d\n" {
		t.Errorf("got %q", got)
	}
}
