package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aloft-run/aloft/catalog"
	"github.com/aloft-run/aloft/layout"
)

const cacheAbout = `
Looks at and drops memoized task outputs (the catalog in the bucket).

  aloft cache list [--task T] [--json]
      TASK VERSION KEY CREATED EXECUTION NODE, then the quarantined blobs
  aloft cache list --quarantined [--json]
      BLOB SIZE MOVED REASON: cached outputs whose bytes no longer matched
      their recorded size or digest; a lookup moved them to quarantine/ and
      ran the task again
  aloft cache evict --task T [--version V] [--key K]
      drops T's entries: all of them, those of cache version V, or the one
      with key K (as cache list shows it: a prefix is enough)
  aloft cache evict --all
      drops every entry of the project and domain
  aloft cache evict --quarantined
      deletes the quarantined blobs and their reasons (alone, or with the
      options above)

The next run of an evicted task runs it again. A listing skips an entry it
cannot read, with a warning naming it; the next run of that task rewrites
it, and evict removes it.`

func cacheCmd(ctx context.Context, args []string, io Stdio) int {
	return subcommand(ctx, args, io, "cache", cacheAbout, []sub{
		{[]string{"list", "ls"}, cacheList},
		{[]string{"evict", "rm"}, cacheEvict},
	})
}

// entryView is the --json form of one cache entry.
type entryView struct {
	Task      string            `json:"task"`
	Version   string            `json:"version"`
	Key       string            `json:"key"`
	Created   string            `json:"created"`
	Execution string            `json:"execution"`
	Node      string            `json:"node"`
	Inputs    map[string]string `json:"inputs,omitempty"`
	Outputs   map[string]any    `json:"outputs"`
}

func cacheList(ctx context.Context, args []string, io Stdio) int {
	var sf storeFlags
	fs := newFlagSet("cache list", "aloft cache list [--task T] [flags]", "Lists cache entries.", io)
	sf.register(fs)
	task := fs.String("task", "", "only the entries of task `T`")
	asJSON := fs.Bool("json", false, "print a JSON array")
	quarantined := fs.Bool("quarantined", false, "list only the quarantined blobs, with their reasons")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	switch {
	case len(pos) > 0:
		return usageErr(io, "cache list", "unexpected argument %q", pos[0])
	case *quarantined && *task != "":
		return usageErr(io, "cache list", "--quarantined lists blobs, not a task's entries: drop --task")
	}
	var entries []catalog.Entry
	var blobs []catalog.Quarantined
	st, err := sf.openExisting(io.Env)
	switch {
	case errors.Is(err, errNoStore):
	case err != nil:
		return storeErr(io, "cache list", err)
	default:
		cat := catalog.New(st)
		if !*quarantined {
			entries, err = cat.ListSkipping(ctx, sf.project, sf.domain, *task, skipWarner(io))
		}
		if err == nil && (*quarantined || (*task == "" && !*asJSON)) {
			blobs, err = cat.ListQuarantined(ctx, skipWarner(io))
		}
		if err != nil {
			return failErr(io, "cache list", err)
		}
	}
	if *quarantined {
		return listQuarantined(io, blobs, *asJSON)
	}
	if *asJSON {
		out := make([]entryView, len(entries))
		for i, e := range entries {
			out[i] = entryView{Task: e.Task, Version: e.CacheVersion, Key: e.Key, Created: e.Created.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
				Execution: e.Exec, Node: e.Node, Inputs: e.Inputs, Outputs: jsonValues(e.Outputs)}
		}
		if err := writeJSON(io.Out, out); err != nil {
			return failErr(io, "cache list", err)
		}
		return exitOK
	}
	if len(entries) == 0 {
		fmt.Fprintf(io.Err, "no cache entries in %s/%s\n", sf.project, sf.domain)
	} else {
		t := &table{}
		t.add("TASK", "VERSION", "KEY", "CREATED", "EXECUTION", "NODE")
		for _, e := range entries {
			t.add(e.Task, e.CacheVersion, shortKey(e.Key), e.Created.Local().Format("2006-01-02 15:04:05"), e.Exec, e.Node)
		}
		t.write(io.Out)
	}
	if len(blobs) > 0 {
		fmt.Fprintf(io.Out, "\n%d quarantined (aloft cache evict --quarantined deletes them):\n", len(blobs))
		return listQuarantined(io, blobs, false)
	}
	return exitOK
}

// quarantinedView is the --json form of one quarantined blob.
type quarantinedView struct {
	Blob   string `json:"blob"`   // where it is now
	Orig   string `json:"orig"`   // where it was
	Size   int64  `json:"size"`   // bytes
	Moved  string `json:"moved"`  // when a lookup moved it
	Reason string `json:"reason"` // why
}

// listQuarantined prints the quarantined blobs.
func listQuarantined(io Stdio, blobs []catalog.Quarantined, asJSON bool) int {
	views := make([]quarantinedView, len(blobs))
	for i, q := range blobs {
		views[i] = quarantinedView{Blob: q.Key, Orig: q.Orig, Size: q.Size, Reason: q.Reason.Problem}
		if !q.Reason.Moved.IsZero() {
			views[i].Moved = q.Reason.Moved.UTC().Format("2006-01-02T15:04:05.000Z07:00")
		}
		if views[i].Reason == "" {
			views[i].Reason = "(no reason recorded)"
		}
	}
	if asJSON {
		if err := writeJSON(io.Out, views); err != nil {
			return failErr(io, "cache list", err)
		}
		return exitOK
	}
	if len(views) == 0 {
		fmt.Fprintln(io.Err, "no quarantined blobs")
		return exitOK
	}
	t := &table{}
	t.add("BLOB", "SIZE", "MOVED", "REASON")
	for i, v := range views {
		moved := ""
		if !blobs[i].Reason.Moved.IsZero() {
			moved = blobs[i].Reason.Moved.Local().Format("2006-01-02 15:04:05")
		}
		t.add(v.Orig, fmtBytes(v.Size), moved, v.Reason)
	}
	t.write(io.Out)
	return exitOK
}

// shortKey is the first 12 hex digits of a "sha256:<hex>" cache key.
func shortKey(k string) string {
	h := strings.TrimPrefix(k, "sha256:")
	if len(h) > 12 {
		h = h[:12]
	}
	return h
}

func cacheEvict(ctx context.Context, args []string, io Stdio) int {
	var sf storeFlags
	fs := newFlagSet("cache evict", "aloft cache evict --task T [--version V] [--key K] | --all | --quarantined", "Drops cache entries and quarantined blobs.", io)
	sf.register(fs)
	task := fs.String("task", "", "evict the entries of task `T`")
	version := fs.String("version", "", "only those of cache version `V`")
	key := fs.String("key", "", "only the entry with key `K` (a prefix of its hex digits is enough)")
	all := fs.Bool("all", false, "evict every entry of the project and domain (without --task)")
	quarantined := fs.Bool("quarantined", false, "delete the quarantined blobs (those `cache list` shows) and their reasons")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	switch {
	case len(pos) > 0:
		return usageErr(io, "cache evict", "unexpected argument %q", pos[0])
	case *task == "" && !*all && !*quarantined:
		return usageErr(io, "cache evict", "say what to evict: --task T [--version V] [--key K], --all, or --quarantined")
	case *task != "" && *all:
		return usageErr(io, "cache evict", "--all evicts every task: drop --task, or drop --all")
	case *task == "" && (*version != "" || *key != ""):
		return usageErr(io, "cache evict", "--version and --key need --task")
	}
	st, err := sf.openExisting(io.Env)
	if errors.Is(err, errNoStore) {
		fmt.Fprintln(io.Out, "evicted 0 entries")
		return exitOK
	}
	if err != nil {
		return storeErr(io, "cache evict", err)
	}
	cat := catalog.New(st)
	if *quarantined {
		n, err := cat.EvictQuarantined(ctx)
		fmt.Fprintf(io.Out, "deleted %s\n", pluralBlobs(n))
		if err != nil {
			return failErr(io, "cache evict", err)
		}
		if *task == "" && !*all {
			return exitOK
		}
	}
	var tasks []string
	if *task != "" {
		tasks = []string{*task}
	}
	if *all {
		var unreadable []string // their tasks are evicted too
		entries, err := cat.ListSkipping(ctx, sf.project, sf.domain, "", func(key string, _ error) {
			if _, _, t, _, _, ok := layout.ParseCatalogEntryKey(key); ok {
				unreadable = append(unreadable, t)
			}
		})
		if err != nil {
			return failErr(io, "cache evict", err)
		}
		tasks = uniqueTasks(entries, unreadable)
	}
	full := *key
	if full != "" {
		entries, err := cat.List(ctx, sf.project, sf.domain, *task)
		if err != nil {
			return failErr(io, "cache evict", err)
		}
		if full, err = expandKey(entries, *version, *key); err != nil {
			return usageErr(io, "cache evict", "%v", err)
		}
		if full == "" {
			fmt.Fprintln(io.Out, "evicted 0 entries")
			return exitOK
		}
	}
	total := 0
	for _, t := range tasks {
		n, err := cat.Evict(ctx, sf.project, sf.domain, t, *version, full)
		total += n
		if err != nil {
			fmt.Fprintf(io.Out, "evicted %s\n", pluralEntries(total))
			return failErr(io, "cache evict", err)
		}
	}
	fmt.Fprintf(io.Out, "evicted %s\n", pluralEntries(total))
	return exitOK
}

func pluralEntries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}

func pluralBlobs(n int) string {
	if n == 1 {
		return "1 quarantined blob"
	}
	return fmt.Sprintf("%d quarantined blobs", n)
}

// uniqueTasks is the sorted set of the entries' tasks and more.
func uniqueTasks(entries []catalog.Entry, more []string) []string {
	out := slices.Clone(more)
	for _, e := range entries {
		out = append(out, e.Task)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// expandKey finds the full key of the entry whose key starts with k (with
// or without "sha256:"); "" when none does.
func expandKey(entries []catalog.Entry, version, k string) (string, error) {
	want := strings.ToLower(strings.TrimPrefix(k, "sha256:"))
	var found []string
	for _, e := range entries {
		if version != "" && e.CacheVersion != version {
			continue
		}
		if strings.HasPrefix(strings.TrimPrefix(e.Key, "sha256:"), want) && !slices.Contains(found, e.Key) {
			found = append(found, e.Key)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("--key %s matches %d entries; give more of it", k, len(found))
}
