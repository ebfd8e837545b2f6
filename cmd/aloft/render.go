package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aloft-run/aloft/orchestrator"
)

// table lays out rows in columns two spaces apart, with no trailing blanks.
type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) lines() []string {
	var width []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	out := make([]string, len(t.rows))
	for j, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)+2))
			}
		}
		out[j] = strings.TrimRight(b.String(), " ")
	}
	return out
}

func (t *table) write(w io.Writer) {
	for _, l := range t.lines() {
		fmt.Fprintln(w, l)
	}
}

// nodeRow is what the views show of one node, copied out of a state so that
// no view keeps a pointer into it.
type nodeRow struct {
	Name       string
	Map        bool
	Phase      orchestrator.Phase
	Attempts   int   // the current attempt; for a map node, the attempts of all items
	Reclaims   int   // hosts lost and retried by the batch service (current attempts)
	Start, End int64 // unix ms; 0 when not yet
	Err        string
	// Map nodes.
	Items, ItemsDone, ItemsCached, ItemsFailed, ItemsAborted, ItemsActive int
}

// snapshot is a copy of what the views need of an execution's state.
type snapshot struct {
	Exec, Project, Domain, Workflow string
	Phase                           orchestrator.ExecPhase
	Error                           string
	Created, Started, Ended         int64 // unix ms
	Nodes                           []nodeRow
}

func takeSnapshot(s *orchestrator.State) snapshot {
	wf := s.Compiled()
	snap := snapshot{
		Exec: s.Exec, Project: s.Project, Domain: s.Domain, Workflow: s.Workflow,
		Phase: s.Phase, Error: s.Error, Created: s.Created, Started: s.Started, Ended: s.Ended,
		Nodes: make([]nodeRow, len(s.Nodes)),
	}
	for i := range s.Nodes {
		ns := &s.Nodes[i]
		r := nodeRow{Phase: ns.Phase, Attempts: ns.Attempt, Reclaims: ns.Reclaims, Start: ns.Start, End: ns.End, Err: ns.Err}
		if wf != nil && i < len(wf.Nodes) {
			r.Name = wf.Nodes[i].Name
			r.Map = wf.Nodes[i].Kind == orchestrator.NodeMap
		}
		if r.Map {
			r.Attempts = 0
			r.Items = len(ns.Items)
			for j := range ns.Items {
				it := &ns.Items[j]
				r.Attempts += it.Attempt
				r.Reclaims += it.Reclaims
				switch {
				case it.Phase == orchestrator.Cached:
					r.ItemsCached++
					r.ItemsDone++
				case it.Phase.Done():
					r.ItemsDone++
				case it.Phase == orchestrator.Failed:
					r.ItemsFailed++
				case it.Phase.Terminal():
					r.ItemsAborted++
				case it.Phase.Active():
					r.ItemsActive++
				}
			}
		}
		snap.Nodes[i] = r
	}
	return snap
}

// cached reports whether the node's outputs all came from the cache.
func (r nodeRow) cached() bool {
	if r.Map {
		return r.Items > 0 && r.ItemsCached == r.Items
	}
	return r.Phase == orchestrator.Cached
}

// cachedText is the CACHED cell: "yes", or for a map node "k/n" items.
func (r nodeRow) cachedText() string {
	switch {
	case r.Map && r.ItemsCached > 0:
		return fmt.Sprintf("%d/%d", r.ItemsCached, r.Items)
	case !r.Map && r.Phase == orchestrator.Cached:
		return "yes"
	}
	return ""
}

// itemsText is the ITEMS cell of a map node: "done/total", and failures.
func (r nodeRow) itemsText() string {
	if !r.Map || (r.Items == 0 && !r.Phase.Terminal()) {
		return ""
	}
	s := fmt.Sprintf("%d/%d", r.ItemsDone, r.Items)
	var notes []string
	if r.ItemsFailed > 0 {
		notes = append(notes, fmt.Sprintf("%d failed", r.ItemsFailed))
	}
	if r.ItemsAborted > 0 {
		notes = append(notes, fmt.Sprintf("%d aborted", r.ItemsAborted))
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

// duration is how long the node has run: to its end, or to now (unix ms)
// while it runs; "" before it starts.
func (r nodeRow) duration(now int64) string {
	if r.Start == 0 {
		return ""
	}
	end := r.End
	if end == 0 {
		if r.Phase.Terminal() {
			return ""
		}
		end = now
	}
	return fmtDuration(end - r.Start)
}

func (r nodeRow) attemptsText() string {
	if r.Attempts == 0 {
		return ""
	}
	if r.Reclaims > 0 {
		return fmt.Sprintf("%d (%d reclaimed)", r.Attempts, r.Reclaims)
	}
	return strconv.Itoa(r.Attempts)
}

// hasMap reports whether any node is a map node (the tables then get an
// ITEMS column).
func (s snapshot) hasMap() bool {
	for _, r := range s.Nodes {
		if r.Map {
			return true
		}
	}
	return false
}

// hasErr reports whether any node has an error message.
func (s snapshot) hasErr() bool {
	for _, r := range s.Nodes {
		if r.Err != "" {
			return true
		}
	}
	return false
}

// nodeTable is the final node table: NODE PHASE ATTEMPTS DURATION CACHED
// (ITEMS when there are map nodes), with ERROR when errors is set and a
// node has one.
func nodeTable(s snapshot, now int64, errors bool) *table {
	t := &table{}
	errors = errors && s.hasErr()
	head := []string{"NODE", "PHASE", "ATTEMPTS", "DURATION", "CACHED"}
	if s.hasMap() {
		head = append(head, "ITEMS")
	}
	if errors {
		head = append(head, "ERROR")
	}
	t.add(head...)
	for _, r := range s.Nodes {
		row := []string{r.Name, r.Phase.String(), r.attemptsText(), r.duration(now), r.cachedText()}
		if s.hasMap() {
			row = append(row, r.itemsText())
		}
		if errors {
			row = append(row, oneLine(r.Err, 100))
		}
		t.add(row...)
	}
	return t
}

// summary counts the nodes by phase: "4 nodes: 3 succeeded, 1 cached".
func summary(s snapshot) string {
	order := []orchestrator.Phase{orchestrator.Succeeded, orchestrator.Cached, orchestrator.Failed,
		orchestrator.Skipped, orchestrator.Aborted, orchestrator.Running, orchestrator.Retrying,
		orchestrator.Waiting, orchestrator.Queued, orchestrator.CacheLookup, orchestrator.Pending}
	count := map[orchestrator.Phase]int{}
	for _, r := range s.Nodes {
		p := r.Phase
		if r.cached() {
			p = orchestrator.Cached
		}
		count[p]++
	}
	var parts []string
	for _, p := range order {
		if n := count[p]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, p))
		}
	}
	return fmt.Sprintf("%s: %s", plural(len(s.Nodes), "node"), strings.Join(parts, ", "))
}

// valuesTable is NAME TYPE VALUE for workflow inputs or outputs.
func valuesTable(params []orchestrator.Param, values map[string]orchestrator.Literal) *table {
	t := &table{}
	t.add("NAME", "TYPE", "VALUE")
	for _, p := range params {
		v, ok := values[p.Name]
		text := "-"
		if ok {
			text = valueText(v)
		}
		t.add(p.Name, p.Type.String(), text)
	}
	return t
}

// outputParams gives a compiled workflow's outputs as params.
func outputParams(wf *orchestrator.Compiled) []orchestrator.Param {
	ps := make([]orchestrator.Param, len(wf.Outputs))
	for i, o := range wf.Outputs {
		ps[i] = orchestrator.Param{Name: o.Name, Type: o.Type}
	}
	return ps
}

// maxListItems bounds how many items of a list or map a table shows.
const maxListItems = 10

// valueText renders a literal for a table: primitives in full precision,
// files and directories as their URI with a short digest and size.
func valueText(l orchestrator.Literal) string {
	switch l.Kind {
	case orchestrator.KindFile, orchestrator.KindDirectory:
		s := l.Blob.URI
		var notes []string
		if d := shortDigest(l.Blob.Digest); d != "" {
			notes = append(notes, d)
		}
		if l.Blob.Size > 0 || l.Blob.Digest != "" {
			notes = append(notes, fmtBytes(l.Blob.Size))
		}
		if len(notes) > 0 {
			s += " (" + strings.Join(notes, ", ") + ")"
		}
		return s
	}
	return innerText(l)
}

func innerText(l orchestrator.Literal) string {
	switch l.Kind {
	case orchestrator.KindNone:
		return "none"
	case orchestrator.KindString:
		if strings.ContainsAny(l.Str, "\n\r\t") || l.Str == "" {
			return strconv.Quote(l.Str)
		}
		return l.Str
	case orchestrator.KindList:
		parts := make([]string, 0, min(len(l.List), maxListItems))
		for i, e := range l.List {
			if i == maxListItems {
				parts = append(parts, fmt.Sprintf("… (%d items)", len(l.List)))
				break
			}
			parts = append(parts, innerText(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case orchestrator.KindMap:
		keys := make([]string, 0, len(l.Map))
		for k := range l.Map {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, min(len(keys), maxListItems))
		for i, k := range keys {
			if i == maxListItems {
				parts = append(parts, fmt.Sprintf("… (%d entries)", len(keys)))
				break
			}
			parts = append(parts, k+": "+innerText(l.Map[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return l.Text()
}

// jsonValue gives a literal as plain JSON for --json: numbers, strings,
// booleans, arrays and objects; datetimes in RFC 3339, durations in Go
// syntax ("1m30s"), files and directories as {uri, digest, size}, json
// values as themselves, none as null.
func jsonValue(l orchestrator.Literal) any {
	switch l.Kind {
	case orchestrator.KindNone:
		return nil
	case orchestrator.KindInt:
		return l.Int
	case orchestrator.KindFloat:
		if math.IsInf(l.Flt, 0) || math.IsNaN(l.Flt) {
			return l.Text()
		}
		return l.Flt
	case orchestrator.KindString:
		return l.Str
	case orchestrator.KindBool:
		return l.Bool
	case orchestrator.KindFile, orchestrator.KindDirectory:
		return l.Blob
	case orchestrator.KindJSON:
		return json.RawMessage(l.Str)
	case orchestrator.KindList:
		out := make([]any, len(l.List))
		for i, e := range l.List {
			out[i] = jsonValue(e)
		}
		return out
	case orchestrator.KindMap:
		out := make(map[string]any, len(l.Map))
		for k, e := range l.Map {
			out[k] = jsonValue(e)
		}
		return out
	}
	return l.Text()
}

func jsonValues(m map[string]orchestrator.Literal) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = jsonValue(v)
	}
	return out
}

// writeJSON prints v indented, with a final newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// shortDigest gives "sha256:" and the first 12 hex digits.
func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok {
		return d
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return algo + ":" + hex
}

// fmtDuration renders milliseconds as "0.4s", "12.3s", "4m05s", "2h03m".
func fmtDuration(ms int64) string {
	if ms < 0 {
		ms = 0
	}
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// fmtClock renders elapsed milliseconds as "00:12" or "1:02:03".
func fmtClock(ms int64) string {
	if ms < 0 {
		ms = 0
	}
	s := ms / 1000
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// fmtTime renders unix ms as local "2006-01-02 15:04:05"; "" for 0.
func fmtTime(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).Local().Format("2006-01-02 15:04:05")
}

// isoTime renders unix ms in RFC 3339 UTC with milliseconds; "" for 0.
func isoTime(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n)/unit, 0
	for f >= unit && i < 3 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGT"[i])
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// oneLine keeps the first line of s, cut to at most n runes.
func oneLine(s string, n int) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " …"
	}
	return truncate(s, n)
}

// truncate cuts s to at most n runes (n <= 0: no limit), ending in "…".
func truncate(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
