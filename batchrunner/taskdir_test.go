package batchrunner

import (
	"os"
	"testing"
)

func TestTaskDirInAContainer(t *testing.T) {
	scratch := t.TempDir()
	here := t.TempDir()
	if got := taskDir("", scratch); got != scratch {
		t.Errorf("no dir: %s", got)
	}
	if got := taskDir(here, scratch); got != here {
		t.Errorf("existing dir: %s", got)
	}
	wd, _ := os.Getwd()
	if got := taskDir("/registered/on/another/machine", scratch); got != wd {
		t.Errorf("missing dir: %s, want the working directory %s", got, wd)
	}
}
