package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWorkflowsListAndGet(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.run(t, "register", helloSpec, "--version", "v1").check(t, exitOK)
	s.run(t, "register", helloSpec, "--version", "v2").check(t, exitOK)

	r := s.run(t, "workflows", "list").check(t, exitOK)
	assert.True(t, hasRow(r.out, "hello", "default", "development", "v1,", "v2"), r.out)
	r = s.run(t, "workflows", "list", "--json").check(t, exitOK)
	var wfs []struct {
		Name, Project, Domain string
		Versions              []string
	}
	require.NoError(t, json.Unmarshal([]byte(r.out), &wfs), r.out)
	require.Len(t, wfs, 1)
	assert.Equal(t, []string{"v1", "v2"}, wfs[0].Versions)
	r = s.run(t, "workflows", "list", "--project", "other", "--json").check(t, exitOK)
	assert.Equal(t, "[]", strings.TrimSpace(r.out))

	r = s.run(t, "workflows", "get", "hello").check(t, exitOK)
	assert.Contains(t, r.out, "hello version v2")
	assert.Contains(t, r.out, "count_words <- loud")
	r = s.run(t, "workflows", "get", "hello", "--version", "v1", "--json").check(t, exitOK)
	var w struct {
		Version string
		Nodes   []string
	}
	require.NoError(t, json.Unmarshal([]byte(r.out), &w), r.out)
	assert.Equal(t, "v1", w.Version)
	assert.Equal(t, []string{"greet", "loud <- greet", "count_words <- loud"}, w.Nodes)

	r = s.run(t, "workflows", "get", "nope").check(t, exitFailed)
	assert.Contains(t, r.err, "aloft workflows list")
	r = s.run(t, "workflows", "get", "hello", "--version", "v9").check(t, exitFailed)
	assert.Contains(t, r.err, "v1, v2", "a missing version names the registered ones")
}

func TestExecutionsGetNode(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	r := s.run(t, "run", s.write(t, "fail.yaml", failSpec)).check(t, exitFailed)
	id := execID(t, r.err)

	r = s.run(t, "executions", "get", id, "--node", "b").check(t, exitOK)
	for _, want := range []string{"phase", "failed", "Inputs:", "Attempt 1:", "about to fail with 1", "it went wrong"} {
		assert.Contains(t, r.out, want)
	}
	assert.True(t, hasRow(r.out, "x", "int", "1"), r.out)
	r = s.run(t, "executions", "get", id, "--node", "a", "--json").check(t, exitOK)
	var n struct {
		Name, Phase string
		Outputs     []struct{ Name, Text string }
		Attempts    []struct {
			Attempt        int
			Started, Ended int64
		} `json:"attempt_list"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.out), &n), r.out)
	assert.Equal(t, "succeeded", n.Phase)
	require.Len(t, n.Outputs, 1)
	assert.Equal(t, "1", n.Outputs[0].Text)
	require.Len(t, n.Attempts, 1)
	assert.True(t, n.Attempts[0].Ended >= n.Attempts[0].Started && n.Attempts[0].Started > 0, "%+v", n.Attempts[0])

	r = s.run(t, "executions", "get", id, "--node", "zzz").check(t, exitFailed)
	assert.Contains(t, r.err, "its nodes: a, b")
	s.run(t, "executions", "get", id, "--item", "2").check(t, exitUsage)
	r = s.run(t, "executions", "get", id, "--node", "a", "--item", "2").check(t, exitFailed)
	assert.Contains(t, r.err, "not a map node")
}

func TestConsoleCommand(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.run(t, "run", s.write(t, "fail.yaml", failSpec)).check(t, exitFailed)

	r := s.run(t, "console", "--addr", "0.0.0.0:0").check(t, exitUsage)
	assert.Contains(t, r.err, "--token", "a non-local address needs a token")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() {
		done <- aloftCtx(ctx, t, s.env, "console", "--addr", addr, "--token", "tok", "--store", s.store)
	}()
	var resp *http.Response
	require.Eventually(t, func() bool {
		resp, err = http.Get("http://" + addr + "/api/executions")
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the token is required")
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/executions", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var page struct {
		Rows []struct{ Workflow, Phase, Cause string }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
	resp.Body.Close()
	require.Len(t, page.Rows, 1)
	assert.Equal(t, []string{"fails", "failed", "cli"}, []string{page.Rows[0].Workflow, page.Rows[0].Phase, page.Rows[0].Cause})
	cancel()
	r = <-done
	assert.Equal(t, exitOK, r.code, r.err)
	assert.Contains(t, r.out, "?token=tok")
}
