package dirstore

// Tests with real processes. The test binary re-runs itself as the child
// (TestHelperProcess with ALOFT_DIRSTORE_HELPER set); children talk to the
// parent in lines on stdout.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aloft-run/aloft/store"
)

const helperEnv = "ALOFT_DIRSTORE_HELPER"

// TestHelperProcess is not a test: it is the child process of the tests
// below. Its arguments come in the environment: the mode, the store root,
// and mode-specific values.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	err := helperMain(mode, os.Getenv("HELPER_ROOT"), os.Getenv("HELPER_KEY"), os.Getenv("HELPER_ARG"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func helperMain(mode, root, key, arg string) error {
	ctx := context.Background()
	switch mode {
	case "ifmatch", "ifabsent":
		// One conditional write, released together with the other children
		// when the parent closes our stdin.
		s, err := Open(root)
		if err != nil {
			return err
		}
		opts := store.PutOptions{IfAbsent: mode == "ifabsent", IfMatch: os.Getenv("HELPER_ETAG")}
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		_, err = store.PutBytes(ctx, s, key, []byte(arg), opts)
		switch {
		case err == nil:
			fmt.Println("win")
		case errors.Is(err, store.ErrConflict):
			fmt.Println("conflict")
		default:
			return err
		}
		return nil

	case "increment":
		// arg increments of a JSON counter, with IfMatch and retries.
		s, err := Open(root)
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(arg)
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		for range n {
			for {
				var c struct{ N int }
				obj, err := store.GetJSON(ctx, s, key, &c)
				if err != nil {
					return err
				}
				c.N++
				_, err = store.PutJSON(ctx, s, key, c, store.PutOptions{IfMatch: obj.ETag})
				if err == nil {
					break
				}
				if !errors.Is(err, store.ErrConflict) {
					return err
				}
			}
		}
		fmt.Println("done")
		return nil

	case "chunks":
		// Write key (a plain path here) as a user's cp would: in place,
		// three chunks with pauses of arg between them.
		pause, err := time.ParseDuration(arg)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(key), 0o777); err != nil {
			return err
		}
		f, err := os.Create(key)
		if err != nil {
			return err
		}
		for i := range 3 {
			if i > 0 {
				time.Sleep(pause)
			}
			if _, err := f.Write(chunk(i)); err != nil {
				return err
			}
		}
		return f.Close()

	case "putloop":
		// Overwrite key with self-describing versions, and claim a new key
		// per version, acknowledging each, until killed.
		s, err := Open(root)
		if err != nil {
			return err
		}
		var etag string
		for i := 1; ; i++ {
			v := version(i)
			opts := store.PutOptions{}
			if i%2 == 0 {
				opts.IfMatch = etag
			}
			obj, err := store.PutBytes(ctx, s, key, v, opts)
			if err != nil {
				return err
			}
			etag = obj.ETag
			if _, err := store.PutBytes(ctx, s, fmt.Sprintf("claims/%d", i), v, store.PutOptions{IfAbsent: true}); err != nil {
				return err
			}
			fmt.Println("acked", i)
		}
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

func chunk(i int) []byte { return bytes.Repeat([]byte{'a' + byte(i)}, 64<<10) }

// version is the content of version i: a header naming i and the length,
// then a payload of that length, big enough (1 to 4 MiB) that a kill often
// lands in the middle of writing it.
func version(i int) []byte {
	n := (1 + i%4) << 20
	head := fmt.Sprintf("v%d len%d\n", i, n)
	return append([]byte(head), bytes.Repeat([]byte{byte(i)}, n)...)
}

// checkVersion returns i if b is exactly version(i).
func checkVersion(b []byte) (int, error) {
	head, _, ok := bytes.Cut(b, []byte("\n"))
	var i, n int
	if !ok {
		return 0, fmt.Errorf("no header in %d bytes", len(b))
	}
	if _, err := fmt.Sscanf(string(head), "v%d len%d", &i, &n); err != nil {
		return 0, fmt.Errorf("header %q: %v", head, err)
	}
	if !bytes.Equal(b, version(i)) {
		return 0, fmt.Errorf("version %d is partial or corrupt (%d bytes)", i, len(b))
	}
	return i, nil
}

// child is a running helper process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // stdout, closed at EOF
}

func startChild(t *testing.T, mode, root, key, arg string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "HELPER_ROOT="+root, "HELPER_KEY="+key, "HELPER_ARG="+arg)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 1024)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return c
}

func (c *child) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			t.Fatalf("child %d exited early", c.cmd.Process.Pid)
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatalf("child %d said nothing for 10s", c.cmd.Process.Pid)
		return ""
	}
}

// race starts n children in mode, waits until all are ready, releases them
// at once and returns what each said afterwards.
func race(t *testing.T, n int, mode, root, key string, args func(i int) string, env ...string) []string {
	t.Helper()
	children := make([]*child, n)
	for i := range children {
		children[i] = startChild(t, mode, root, key, args(i), env...)
	}
	for _, c := range children {
		if l := c.next(t); l != "ready" {
			t.Fatalf("child said %q, want ready", l)
		}
	}
	for _, c := range children {
		c.stdin.Close()
	}
	out := make([]string, n)
	for i, c := range children {
		out[i] = c.next(t)
		if err := c.cmd.Wait(); err != nil {
			t.Errorf("child %d: %v (said %q)", i, err, out[i])
		}
	}
	return out
}

func TestMultiProcessConditionalRace(t *testing.T) {
	const procs = 8
	ctx := context.Background()
	root := t.TempDir()
	s := openT(t, root, Options{})
	start := putT(t, s, "executions/p/d/x/state.json", "start", store.PutOptions{})

	for _, tc := range []struct {
		mode, key string
		env       []string
	}{
		{"ifmatch", "executions/p/d/x/state.json", []string{"HELPER_ETAG=" + start.ETag}},
		{"ifabsent", "claims/attempt-1", nil},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			out := race(t, procs, tc.mode, root, tc.key, func(i int) string { return fmt.Sprintf("child %d", i) }, tc.env...)
			winner := -1
			for i, o := range out {
				switch o {
				case "win":
					if winner >= 0 {
						t.Errorf("children %d and %d both won", winner, i)
					}
					winner = i
				case "conflict":
				default:
					t.Errorf("child %d said %q", i, o)
				}
			}
			if winner < 0 {
				t.Fatalf("no child won: %q", out)
			}
			b, _, err := store.ReadAll(ctx, s, tc.key)
			if err != nil || string(b) != fmt.Sprintf("child %d", winner) {
				t.Errorf("%s = %q, %v; want the winner's content", tc.key, b, err)
			}
		})
	}
}

func TestMultiProcessCounter(t *testing.T) {
	const procs, each = 8, 25
	ctx := context.Background()
	root := t.TempDir()
	s := openT(t, root, Options{})
	if _, err := store.PutJSON(ctx, s, "counter.json", struct{ N int }{}, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	out := race(t, procs, "increment", root, "counter.json", func(int) string { return strconv.Itoa(each) })
	for i, o := range out {
		if o != "done" {
			t.Errorf("child %d said %q", i, o)
		}
	}
	var c struct{ N int }
	if _, err := store.GetJSON(ctx, s, "counter.json", &c); err != nil {
		t.Fatal(err)
	}
	if c.N != procs*each {
		t.Fatalf("counter = %d after %d increments by %d processes: lost updates", c.N, procs*each, procs)
	}
}

// TestKillDuringPut kills writers with SIGKILL at random instants and checks
// that every object is a complete version and that nothing acknowledged is
// lost.
func TestKillDuringPut(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := openT(t, root, Options{})
	const key = "big.bin"
	putT(t, s, key, string(version(0)), store.PutOptions{})
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 6 {
		c := startChild(t, "putloop", root, key, "")
		// Wait for some progress, then kill at a random instant.
		acked := 0
		if round%2 == 1 {
			l := c.next(t)
			fmt.Sscanf(l, "acked %d", &acked)
		}
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		if err := c.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = c.cmd.Wait()
		for l := range c.lines {
			if _, err := fmt.Sscanf(l, "acked %d", &acked); err != nil {
				t.Fatalf("child said %q", l)
			}
		}

		b, _, err := store.ReadAll(ctx, s, key)
		if err != nil {
			t.Fatal(err)
		}
		v, err := checkVersion(b)
		if err != nil {
			t.Fatalf("round %d: %s after kill: %v", round, key, err)
		}
		if v < acked {
			t.Fatalf("round %d: %s is version %d, but version %d was acknowledged", round, key, v, acked)
		}
		claims, err := s.List(ctx, "claims/")
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range claims {
			b, _, err := store.ReadAll(ctx, s, o.Key)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := checkVersion(b); err != nil {
				t.Fatalf("round %d: %s: %v", round, o.Key, err)
			}
		}
		for i := 1; i <= acked; i++ {
			if _, err := s.Head(ctx, fmt.Sprintf("claims/%d", i)); err != nil {
				t.Fatalf("round %d: acknowledged claims/%d: %v", round, i, err)
			}
		}
		t.Logf("round %d: killed after %d acknowledged puts; %s is version %d", round, acked, key, v)
		for _, o := range claims { // next round starts claiming from 1 again
			if err := s.Delete(ctx, o.Key); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Objects list cleanly: the killed writers' temp files stay hidden.
	temps, _ := os.ReadDir(filepath.Join(root, HiddenDir, "tmp"))
	t.Logf("%d kills landed while a temp file was being written", len(temps))
	objs, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Key != key {
		t.Errorf("List after kills = %v", objs)
	}
}

func TestOpenRemovesStaleTemps(t *testing.T) {
	root := t.TempDir()
	openT(t, root, Options{})
	tmp := filepath.Join(root, HiddenDir, "tmp")
	stale, fresh := filepath.Join(tmp, "put-stale"), filepath.Join(tmp, "put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("left by a killed writer"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTemp)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	// Directories made ahead by a process that is gone, and by a live one.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	deadDir := filepath.Join(tmp, fmt.Sprintf("%s%d-x", dirPrefix, gone.Process.Pid))
	liveDir := filepath.Join(tmp, fmt.Sprintf("%s%d-x", dirPrefix, os.Getpid()))
	for _, d := range []string{deadDir, liveDir} {
		if err := os.Mkdir(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	openT(t, root, Options{})
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file (maybe a live writer's) removed: %v", err)
	}
	if _, err := os.Stat(deadDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory made ahead by a dead process kept: %v", err)
	}
	if _, err := os.Stat(liveDir); err != nil {
		t.Errorf("directory made ahead by a live process removed: %v", err)
	}
}
