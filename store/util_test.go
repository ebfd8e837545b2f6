package store

import (
	"errors"
	"strings"
	"testing"
)

func TestValidKey(t *testing.T) {
	good := []string{
		"a", "a/b", "executions/default/development/x/state.json", "file..txt", ".hidden/x",
		"with space/ünïcode", strings.Repeat("k", MaxKeyLen),
	}
	bad := []string{
		"", "/a", "a/", "a//b", "..", "../a", "a/../b", "a/..", ".", "./a", "a/./b",
		"nul\x00byte", strings.Repeat("k", MaxKeyLen+1),
	}
	for _, k := range good {
		if err := ValidKey(k); err != nil {
			t.Errorf("ValidKey(%.30q) = %v, want nil", k, err)
		}
	}
	for _, k := range bad {
		if err := ValidKey(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidKey(%.30q) = %v, want ErrInvalidKey", k, err)
		}
	}
}

func TestDigest(t *testing.T) {
	// sha256 of the empty string and of "abc" (FIPS 180-2 test vector).
	cases := map[string]string{
		"":    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"abc": "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	}
	for in, want := range cases {
		if got := Digest([]byte(in)); got != want {
			t.Errorf("Digest(%q) = %s, want %s", in, got, want)
		}
	}
}
