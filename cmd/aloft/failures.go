package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aloft-run/aloft/batchrunner"
	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/store"
)

// tailLines is how many lines of a failed task's log are shown.
const tailLines = 15

// maxFailedItems bounds how many failed items of a map node are shown.
const maxFailedItems = 3

// failedAttempt is the last attempt of a node (or map item) that failed.
type failedAttempt struct {
	label   string // "fit" or "fit[3]"
	node    string
	item    int
	attempt int
	err     string
}

// failedAttempts lists the failed nodes and map items that ran an attempt.
func failedAttempts(s orchestrator.State) []failedAttempt {
	wf := s.Compiled()
	var out []failedAttempt
	for i := range s.Nodes {
		ns := &s.Nodes[i]
		name := wf.Nodes[i].Name
		if ns.Phase != orchestrator.Failed {
			continue
		}
		if wf.Nodes[i].Kind != orchestrator.NodeMap {
			out = append(out, failedAttempt{label: name, node: name, item: -1, attempt: ns.Attempt, err: ns.Err})
			continue
		}
		n := 0
		for j := range ns.Items {
			it := &ns.Items[j]
			if it.Phase == orchestrator.Failed && it.Attempt > 0 && n < maxFailedItems {
				out = append(out, failedAttempt{label: fmt.Sprintf("%s[%d]", name, j), node: name, item: j, attempt: it.Attempt, err: it.Err})
				n++
			}
		}
		if n == 0 {
			out = append(out, failedAttempt{label: name, node: name, item: -1, err: ns.Err})
		}
	}
	return out
}

// writeFailures prints, for each failed node, its error (unless shown
// already contains it) and the tail of its last attempt's log (error.json's
// log tail, else log.txt).
func writeFailures(ctx context.Context, w io.Writer, st store.Store, s orchestrator.State, shown string) {
	for _, f := range failedAttempts(s) {
		if !strings.Contains(shown, f.err) {
			fmt.Fprintf(w, "\nnode %s failed: %s\n", f.label, f.err)
		}
		if f.attempt == 0 {
			continue
		}
		prefix := batchrunner.AttemptPrefix(s.Exec, f.node, f.item, f.attempt)
		tail := logTail(ctx, st, prefix)
		if len(tail) == 0 {
			fmt.Fprintf(w, "\n%s, attempt %d: no output\n", f.label, f.attempt)
		} else {
			fmt.Fprintf(w, "\n%s, attempt %d, last lines of output:\n", f.label, f.attempt)
			for _, l := range tail {
				fmt.Fprintf(w, "  | %s\n", l)
			}
		}
		if _, err := st.Head(ctx, prefix+batchrunner.LogFile); err == nil {
			fmt.Fprintf(w, "  full log: %s\n", st.URI(prefix+batchrunner.LogFile))
		}
	}
}

// logTail is the last lines of an attempt's output.
func logTail(ctx context.Context, st store.Store, prefix string) []string {
	var text string
	if _, fail, err := batchrunner.ReadResult(ctx, st, prefix); err == nil && fail != nil {
		text = fail.LogTail
	}
	if text == "" {
		b, _, err := store.ReadAll(ctx, st, prefix+batchrunner.LogFile)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return []string{"(cannot read the log: " + err.Error() + ")"}
		}
		text = string(b)
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return lines
}
