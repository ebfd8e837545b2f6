package console_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/console"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/functions/localplane"
	"github.com/aloft-run/aloft/orchestrator"
)

// chromium finds the browser the tests drive. Its absence fails the test:
// a skipped browser test would pass without checking anything.
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium on PATH: the console's browser tests need it; install it (Debian: apt-get install -y chromium; .ci/run does)")
	return ""
}

// browser starts a headless chromium for one test.
func browser(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true), chromedp.WindowSize(1280, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// screenshot saves the page under the test's artifact directory (go test
// -artifacts keeps it).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	require.NoError(t, err)
	p := filepath.Join(t.ArtifactDir(), name+".png")
	require.NoError(t, os.WriteFile(p, png, 0o644))
	t.Logf("screenshot %s", p)
}

func eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// waitFor waits until the JavaScript predicate holds.
func waitFor(t testing.TB, ctx context.Context, js string, timeout time.Duration) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	require.NoError(t, err, "waiting for %s", js)
}

func open(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url)))
	waitFor(t, ctx, `document.body.dataset.ready === "1" || !!document.getElementById("error")`, 30*time.Second)
	require.Equal(t, "", eval[string](t, ctx, `document.getElementById("error")?.textContent || ""`), "the page reported an error")
}

var (
	diabetesOnce sync.Once
	diabetesB    *bucket
)

// diabetesBucket runs the seed's pipeline on the repository's CSV once.
func diabetesBucket(t *testing.T) *bucket {
	diabetesOnce.Do(func() {
		t.Setenv("PATH", "/usr/bin:"+os.Getenv("PATH"))
		b := newBucketIn(t, filepath.Join(sharedDir, "diabetes"))
		csv, err := filepath.Abs("../examples/diabetes/data/pima-indians-diabetes.data.csv")
		require.NoError(t, err)
		s := b.run(t, "hello", "../examples/hello/workflow.yaml", "hello", nil)
		require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
		s = b.run(t, "diabetes", "../examples/diabetes/workflow.yaml", "diabetes_xgboost_model",
			map[string]orchestrator.Literal{"dataset": orchestrator.File(orchestrator.Blob{URI: csv})})
		require.Equal(t, orchestrator.ExecSucceeded, s.Phase, s.Error)
		diabetesB = b
	})
	require.NotNil(t, diabetesB, "the diabetes run failed (see the first browser test)")
	return diabetesB
}

func serve(t testing.TB, b *bucket, opt console.Options) string {
	s, err := console.New(b.st, opt)
	require.NoError(t, err)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return hs.URL
}

func TestBrowserListAndDiabetes(t *testing.T) {
	ctx := browser(t)
	b := diabetesBucket(t)
	url := serve(t, b, console.Options{})

	open(t, ctx, url+"/")
	assert.Equal(t, []string{b.runs["diabetes"].Exec, b.runs["hello"].Exec},
		eval[[]string](t, ctx, `[...document.querySelectorAll("#executions tr.exec")].map(r => r.dataset.exec)`))
	assert.Equal(t, "succeeded", eval[string](t, ctx, `document.querySelector("#executions tr.exec .phase").textContent`))
	screenshot(t, ctx, "executions")

	open(t, ctx, url+"/executions/default/development/"+b.runs["diabetes"].Exec)
	assert.Equal(t, []string{"split", "fit", "predict", "score"},
		eval[[]string](t, ctx, `[...document.querySelectorAll("#nodes tr.node")].map(r => r.dataset.node)`))
	assert.Equal(t, 4, eval[int](t, ctx, `document.querySelectorAll("#graph g.gnode").length`))
	edges := eval[[]string](t, ctx, `[...document.querySelectorAll("#graph path.gedge")].map(e => e.dataset.from + ">" + e.dataset.to).sort()`)
	assert.Equal(t, []string{"fit>predict", "predict>score", "split>fit", "split>predict", "split>score"}, edges, "every data dependency, split to score among them")
	assert.Equal(t, 4, eval[int](t, ctx, `document.querySelectorAll("#timeline .bar").length`))
	assert.Equal(t, 4, eval[int](t, ctx, `document.querySelectorAll("#graph rect.fill-succeeded").length`), "nodes coloured by phase")
	screenshot(t, ctx, "diabetes")

	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`tr.node[data-node="score"]`))))
	waitFor(t, ctx, `document.getElementById("detail-name")?.textContent === "score"`, 10*time.Second)
	acc := eval[string](t, ctx, `document.querySelector('#node-outputs tr[data-name="accuracy"] td:nth-child(3)').textContent`)
	assert.Equal(t, "0.7598425196850394", acc, "the seed's accuracy on this CSV")
	screenshot(t, ctx, "diabetes-score")

	// The graph opens a node too.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#graph g.gnode[data-node="fit"] rect`))))
	waitFor(t, ctx, `document.getElementById("detail-name")?.textContent === "fit"`, 10*time.Second)
}

// A running execution's page follows it to its end without a reload.
func TestBrowserFollowsRunningExecution(t *testing.T) {
	ctx := browser(t)
	b := newBucket(t)
	ref := b.start(t, "slow", "testdata/slow.yaml", "slow", map[string]orchestrator.Literal{"seconds": orchestrator.Int(2)}, engine.StartOptions{})
	url := serve(t, b, console.Options{Poll: 200 * time.Millisecond})
	open(t, ctx, url+"/executions/default/development/"+ref.Exec)
	require.Equal(t, "running", eval[string](t, ctx, `document.getElementById("phase").textContent`))
	eval[bool](t, ctx, `window.sameDocument = true`)
	screenshot(t, ctx, "running")

	done := make(chan error, 1)
	go func() {
		_, err := b.eng.Run(context.Background(), ref, false)
		b.ex.Wait()
		done <- err
	}()
	waitFor(t, ctx, `document.getElementById("phase").textContent === "succeeded"`, 60*time.Second)
	require.NoError(t, <-done)
	assert.True(t, eval[bool](t, ctx, `window.sameDocument === true`), "the page changed phase without a reload")
	assert.Equal(t, 1, eval[int](t, ctx, `document.querySelectorAll("#timeline .bar-succeeded").length`))
	screenshot(t, ctx, "running-ended")
}

// Terminate on the page writes a cancel request; the control plane (aloft
// dev's local plane, in-process) consumes it and the execution ends aborted.
func TestBrowserTerminate(t *testing.T) {
	ctx := browser(t)
	b := newBucket(t)
	dctx, cancel := context.WithCancel(context.Background())
	plane := &localplane.Plane{SweepEvery: 200 * time.Millisecond}
	eng, err := engine.New(engine.Config{Store: b.st, Dispatcher: b.ex, Wake: plane.Wake})
	require.NoError(t, err)
	plane.Wire(functions.Base{Store: b.st, Bucket: localplane.Bucket}, eng)
	ready := make(chan struct{})
	plane.Ready = func() { close(ready) }
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		assert.NoError(t, plane.Run(dctx))
	}()
	t.Cleanup(func() { cancel(); wg.Wait(); b.ex.Wait() })
	<-ready

	ref := b.start(t, "slow", "testdata/slow.yaml", "slow", nil, engine.StartOptions{Swept: true})
	_, err = eng.Sweep(context.Background(), ref, nil) // dispatch its task
	require.NoError(t, err)
	url := serve(t, b, console.Options{Poll: 200 * time.Millisecond})
	open(t, ctx, url+"/executions/default/development/"+ref.Exec)
	waitFor(t, ctx, `document.querySelector('#nodes tr.node[data-node="wait"] .phase')?.textContent === "running"`, 30*time.Second)
	eval[bool](t, ctx, `window.sameDocument = true`)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("terminate"))))
	waitFor(t, ctx, `document.getElementById("phase").textContent === "aborted"`, 30*time.Second)
	assert.True(t, eval[bool](t, ctx, `window.sameDocument === true`))
	assert.Contains(t, eval[string](t, ctx, `document.getElementById("action-result").textContent`), "cancel requested")
	assert.True(t, eval[bool](t, ctx, `document.getElementById("terminate").disabled`), "an ended execution has nothing to terminate")
	screenshot(t, ctx, "terminated")
	s, err := eng.Load(context.Background(), ref)
	require.NoError(t, err)
	assert.Equal(t, orchestrator.ExecAborted, s.Phase)
}
