package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubCDK writes a CDK CLI stand-in that records each call's arguments, one
// line per call, in the returned log.
func stubCDK(t *testing.T) (cli, log string) {
	t.Helper()
	dir := t.TempDir()
	cli, log = filepath.Join(dir, "cdk"), filepath.Join(dir, "calls.log")
	script := "#!/bin/sh\necho \"$*\" >> '" + log + "'\n"
	require.NoError(t, os.WriteFile(cli, []byte(script), 0o755))
	return cli, log
}

// builtFunctions is a functions directory as `make functions` leaves it.
func builtFunctions(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, fn := range []string{"advance", "trigger", "registrar"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, fn), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("x"), 0o755))
	}
	return dir
}

func runMake(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "MAKEFLAGS=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The bootstrap, synth, deploy and destroy targets run the CDK CLI in that
// order with the stack name, the settings and the functions directory;
// bootstrap works on a fresh checkout (no built functions).
func TestMakeTargetsCallTheCLI(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed to test the Makefile targets")
	}
	cli, log := stubCDK(t)
	fns := builtFunctions(t)
	missing := filepath.Join(t.TempDir(), "none")
	const settings = "-c vpcId=vpc-0abc -c removalPolicy=destroy"
	common := []string{"CDK=" + cli, "STACK=prod", "CONTEXT=" + settings}
	for _, step := range []struct {
		target, functions string
	}{
		{"bootstrap", missing}, // a fresh checkout: placeholders
		{"synth", missing},
		{"deploy", fns},
		{"destroy", missing},
	} {
		out, err := runMake(t, ".", append([]string{step.target, "FUNCTIONS_DIR=" + step.functions}, common...)...)
		require.NoError(t, err, "make %s:\n%s", step.target, out)
	}
	b, err := os.ReadFile(log)
	require.NoError(t, err)
	calls := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, calls, 4, string(b))
	for i, want := range []struct{ verb, functions, tail string }{
		{"bootstrap", ".dummy-functions", ""},
		{"synth", ".dummy-functions", " --quiet"},
		{"deploy", fns, " --require-approval broadening prod"},
		{"destroy", ".dummy-functions", " prod"},
	} {
		assert.Equal(t, want.verb+" --no-notices -c stackName=prod "+settings+" -c functionsDir="+want.functions+want.tail, calls[i])
	}
}

// Deploy refuses placeholder functions before calling the CLI.
func TestMakeDeployNeedsBuiltFunctions(t *testing.T) {
	cli, log := stubCDK(t)
	out, err := runMake(t, ".", "deploy", "CDK="+cli, "FUNCTIONS_DIR="+filepath.Join(t.TempDir(), "none"))
	require.Error(t, err)
	assert.Contains(t, out, "run make functions")
	_, err = os.Stat(log)
	assert.True(t, os.IsNotExist(err), "the CLI was called")
}

// The root Makefile passes CONTEXT and STACK through to cdk/ after building
// the functions, and refuses the old spelling CDK_CONTEXT.
func TestRootMakefilePassesSettings(t *testing.T) {
	out, err := runMake(t, "..", "-n", "deploy", "STACK=prod", "CONTEXT=-c maxVcpus=16")
	require.NoError(t, err, out)
	build := strings.Index(out, "-o bin/lambda/$f/bootstrap ./functions/$f")
	deploy := strings.Index(out, "deploy --no-notices -c stackName=prod -c maxVcpus=16")
	require.GreaterOrEqual(t, build, 0, out)
	require.Greater(t, deploy, build, "the functions are built before the deploy:\n%s", out)

	out, err = runMake(t, "..", "-n", "deploy", "CDK_CONTEXT=-c maxVcpus=16")
	require.Error(t, err)
	assert.Contains(t, out, "CDK_CONTEXT is now CONTEXT")
}
