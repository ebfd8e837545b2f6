package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aloft-run/aloft/orchestrator"
)

// progress shows a run while it goes. The engine's Observe callback feeds
// observe (which copies what it needs: the state is not kept); the local
// executor writes the tasks' output, one "node | line" per Write, to it.
type progress interface {
	io.Writer
	observe(s *orchestrator.State)
	note(msg string) // a line about the run itself ("cancelling…")
	close()          // flush; the view prints nothing after
}

// newProgress picks the view: none with --quiet, the live table on a
// terminal, plain lines otherwise.
func newProgress(io Stdio, quiet bool) progress {
	switch {
	case quiet:
		return &quietView{w: io.Err}
	case io.Env.TTY:
		return newLiveView(io.Err, io.Env)
	}
	return &plainView{w: io.Err, env: io.Env}
}

// quietView drops progress and task output, keeping only notes.
type quietView struct {
	mu sync.Mutex
	w  io.Writer
}

func (v *quietView) Write(p []byte) (int, error) { return len(p), nil }
func (v *quietView) observe(*orchestrator.State) {}
func (v *quietView) close()                      {}
func (v *quietView) note(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintln(v.w, msg)
}

// plainView prints one line per node phase change, and the task output as
// it comes, with no terminal control codes (for logs and CI).
type plainView struct {
	mu    sync.Mutex
	w     io.Writer
	env   Env
	prev  []nodeRow
	namew int
}

func (v *plainView) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.w.Write(p)
}

func (v *plainView) note(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintf(v.w, "%s %s\n", v.clock(), msg)
}

func (v *plainView) close() {}

func (v *plainView) clock() string { return v.env.now().Local().Format("15:04:05") }

func (v *plainView) observe(s *orchestrator.State) {
	snap := takeSnapshot(s)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.prev == nil {
		v.prev = make([]nodeRow, len(snap.Nodes))
		for _, r := range snap.Nodes {
			v.namew = max(v.namew, len(r.Name))
		}
	}
	now := v.env.now()
	for i, r := range snap.Nodes {
		if i >= len(v.prev) {
			break
		}
		p := v.prev[i]
		v.prev[i] = r
		if r.Phase == p.Phase && r.Attempts == p.Attempts && r.ItemsDone == p.ItemsDone && r.ItemsFailed == p.ItemsFailed {
			continue
		}
		if text := phaseLine(r, now.UnixMilli()); text != "" {
			fmt.Fprintf(v.w, "%s %-*s  %s\n", now.Local().Format("15:04:05"), v.namew, r.Name, text)
		}
	}
}

// phaseLine describes a node's new phase for the plain view; "" for the
// phases not worth a line.
func phaseLine(r nodeRow, now int64) string {
	switch r.Phase {
	case orchestrator.Queued:
		if r.Map {
			return ""
		}
		if r.Attempts > 1 {
			return fmt.Sprintf("queued (attempt %d)", r.Attempts)
		}
		return "queued"
	case orchestrator.Running:
		if r.Map {
			return "running (" + r.itemsText() + " items)"
		}
		return fmt.Sprintf("running (attempt %d)", r.Attempts)
	case orchestrator.Retrying:
		return "retrying after " + oneLine(r.Err, 200)
	case orchestrator.Waiting:
		return "waiting for an identical task another run holds (cache serialize)"
	case orchestrator.Succeeded:
		if r.Map {
			return fmt.Sprintf("succeeded in %s (%s items, %d cached)", r.duration(now), r.itemsText(), r.ItemsCached)
		}
		return "succeeded in " + r.duration(now)
	case orchestrator.Cached:
		return "cached"
	case orchestrator.Failed:
		return "failed: " + oneLine(r.Err, 200)
	case orchestrator.Skipped:
		return "skipped: " + oneLine(r.Err, 200)
	case orchestrator.Aborted:
		return "aborted"
	}
	return ""
}

// liveView redraws a table of the nodes in place on a terminal, under a
// progress bar, at most ten times a second. Task output goes above it: the
// table is cleared, the lines printed, the table drawn again.
type liveView struct {
	w   io.Writer
	env Env

	mu      sync.Mutex
	snap    snapshot
	have    bool
	dirty   bool
	logs    bytes.Buffer // complete lines not yet printed
	partial []byte       // an unfinished line
	drawn   int          // lines of the table now on the screen
	last    time.Time    // real time of the last draw

	quit chan struct{}
	done chan struct{}
}

// redrawEvery paces the live view; an unchanged table is still redrawn
// once a second so that the clocks move.
const redrawEvery = 100 * time.Millisecond

func newLiveView(w io.Writer, env Env) *liveView {
	v := &liveView{w: w, env: env, quit: make(chan struct{}), done: make(chan struct{})}
	go v.loop()
	return v
}

func (v *liveView) loop() {
	defer close(v.done)
	t := time.NewTicker(redrawEvery)
	defer t.Stop()
	for {
		select {
		case <-v.quit:
			return
		case <-t.C:
			v.mu.Lock()
			if v.dirty || time.Since(v.last) >= time.Second {
				v.frame(false)
			}
			v.mu.Unlock()
		}
	}
}

func (v *liveView) observe(s *orchestrator.State) {
	snap := takeSnapshot(s)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.snap, v.have, v.dirty = snap, true, true
}

func (v *liveView) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.partial = append(v.partial, p...)
	if i := bytes.LastIndexByte(v.partial, '\n'); i >= 0 {
		v.logs.Write(v.partial[:i+1])
		v.partial = append(v.partial[:0], v.partial[i+1:]...)
		v.dirty = true
	}
	return len(p), nil
}

func (v *liveView) note(msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.logs.WriteString(msg + "\n")
	v.dirty = true
}

// close stops redrawing, clears the table and prints what output is left.
func (v *liveView) close() {
	close(v.quit)
	<-v.done
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.partial) > 0 {
		v.logs.Write(append(v.partial, '\n'))
		v.partial = nil
	}
	v.frame(true)
}

// frame redraws: clear the table, print pending output, draw the table
// (unless final). One Write, so the terminal never shows half a frame.
func (v *liveView) frame(final bool) {
	var b bytes.Buffer
	if v.drawn > 0 {
		fmt.Fprintf(&b, "\r\x1b[%dA\x1b[J", v.drawn) // up to the table's first line, clear to the end
	}
	b.Write(v.logs.Bytes())
	v.logs.Reset()
	v.drawn = 0
	if !final && v.have {
		for _, l := range v.tableLines() {
			b.WriteString(l)
			b.WriteByte('\n')
			v.drawn++
		}
	}
	v.dirty = false
	v.last = time.Now()
	if b.Len() > 0 {
		_, _ = v.w.Write(b.Bytes())
	}
}

// tableLines is the progress bar and the node table, fitted to the
// terminal: no line wraps, and the table never scrolls off the top (rows
// of active and failed nodes are kept first when some must go).
func (v *liveView) tableLines() []string {
	width, height := 0, 0
	if v.env.Size != nil {
		width, height = v.env.Size()
	}
	now := v.env.now().UnixMilli()
	s := v.snap
	lines := []string{progressLine(s, now)}
	rows := s.Nodes
	hidden := 0
	if height > 0 {
		if room := max(height-3, 2); len(rows) > room {
			rows, hidden = pickRows(rows, room-1), len(rows)-(room-1)
		}
	}
	t := &table{}
	head := []string{"NODE", "PHASE", "ATTEMPT", "DURATION", "CACHED"}
	if s.hasMap() {
		head = append(head, "ITEMS")
	}
	t.add(head...)
	for _, r := range rows {
		attempt, items := r.attemptsText(), r.itemsText()
		if r.Map {
			attempt = "" // the items' attempts add up; ITEMS says more
			if r.ItemsActive > 0 {
				items += fmt.Sprintf(", %d running", r.ItemsActive)
			}
		}
		row := []string{r.Name, r.Phase.String(), attempt, r.duration(now), r.cachedText()}
		if s.hasMap() {
			row = append(row, items)
		}
		t.add(row...)
	}
	lines = append(lines, t.lines()...)
	if hidden > 0 {
		lines = append(lines, fmt.Sprintf("… %d more nodes", hidden))
	}
	if width > 1 {
		for i, l := range lines {
			lines[i] = truncate(l, width-1)
		}
	}
	return lines
}

// pickRows keeps n rows, preferring active and failed nodes, then pending
// ones, then those that ended well; in their original order.
func pickRows(rows []nodeRow, n int) []nodeRow {
	rank := func(r nodeRow) int {
		switch {
		case r.Phase == orchestrator.Failed || (!r.Phase.Terminal() && r.Phase != orchestrator.Pending):
			return 0
		case r.Phase == orchestrator.Pending:
			return 1
		}
		return 2
	}
	keep := make([]bool, len(rows))
	left := n
	for want := 0; want <= 2 && left > 0; want++ {
		for i, r := range rows {
			if left > 0 && !keep[i] && rank(r) == want {
				keep[i] = true
				left--
			}
		}
	}
	out := make([]nodeRow, 0, n)
	for i, r := range rows {
		if keep[i] {
			out = append(out, r)
		}
	}
	return out
}

// progressLine is "[#####.....] 12/40 nodes  00:12".
func progressLine(s snapshot, now int64) string {
	done := 0
	for _, r := range s.Nodes {
		if r.Phase.Terminal() {
			done++
		}
	}
	const width = 20
	fill := width
	if len(s.Nodes) > 0 {
		fill = done * width / len(s.Nodes)
	}
	end := now
	if s.Ended != 0 {
		end = s.Ended
	}
	return fmt.Sprintf("[%s%s] %d/%d nodes  %s", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		done, len(s.Nodes), fmtClock(end-s.Created))
}
