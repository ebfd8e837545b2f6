package orchestrator

import (
	"fmt"
	"maps"
	"slices"
	"sort"
)

// assignTaskKeys names every task the workflow uses (through its
// subworkflows too) in Compiled.Tasks. A task keeps its name unless another
// used task has the same one; then the root workflow's inline task (else
// the standalone task) keeps it and the others become "workflow.task"
// (a standalone one "task.standalone").
func (c *compiler) assignTaskKeys(root *wfInfo) {
	seen := map[*wfInfo]bool{}
	var used []*taskInfo
	var walk func(w *wfInfo)
	walk = func(w *wfInfo) {
		if seen[w] {
			return
		}
		seen[w] = true
		for _, n := range w.spec.Nodes {
			ni := w.nodes[n.Name]
			if ni.task != nil {
				used = append(used, ni.task)
			}
			used = append(used, ni.branches...)
			if ni.sub != nil {
				walk(ni.sub)
			}
		}
	}
	walk(root)
	byName := map[string][]*taskInfo{}
	for _, t := range used {
		if _, done := c.keys[t]; !done {
			c.keys[t] = ""
			byName[t.spec.Name] = append(byName[t.spec.Name], t)
		}
	}
	for name, group := range byName {
		rank := func(t *taskInfo) int {
			switch t.spec.Workflow {
			case root.spec.Name:
				return 0
			case "":
				return 1
			}
			return 2
		}
		sort.Slice(group, func(i, j int) bool { return rank(group[i]) < rank(group[j]) })
		for i, t := range group {
			key := name
			if i > 0 && t.spec.Workflow != "" {
				key = t.spec.Workflow + "." + name
			} else if i > 0 {
				key = name + ".standalone"
			}
			c.keys[t] = key
			c.tasks[key] = cloneTemplate(t.tmpl, key)
		}
	}
}

// cloneTemplate copies a template under a new name, so that compiled
// documents share nothing with the spec or each other.
func cloneTemplate(t *TaskTemplate, name string) *TaskTemplate {
	c := *t
	c.Name = name
	c.Command = slices.Clone(t.Command)
	c.Inputs = slices.Clone(t.Inputs)
	c.Outputs = slices.Clone(t.Outputs)
	if t.Env != nil {
		c.Env = maps.Clone(t.Env)
	}
	if t.Cache != nil {
		cache := *t.Cache
		cache.Ignore = slices.Clone(t.Cache.Ignore)
		c.Cache = &cache
	}
	if t.Build != nil {
		b := *t.Build
		c.Build = &b
	}
	return &c
}

// params converts declared parameters to the compiled form, sorted by name.
func params(ps []*ParamSpec) []Param {
	if len(ps) == 0 {
		return nil
	}
	out := make([]Param, len(ps))
	for i, p := range ps {
		out[i] = Param{Name: p.Name, Type: p.Type, Default: p.Default, Description: p.Description}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// template builds a task's TaskTemplate with the workflow defaults def (nil
// for a standalone task) applied: image or build, cache, retries, timeout,
// interruptible and target come from the task when it sets them, else from
// the defaults; resources and env merge key by key.
func (v *validator) template(t *TaskSpec, def *Settings, wf string) *TaskTemplate {
	var d Settings
	if def != nil {
		d = *def
	}
	s := t.Settings
	tmpl := &TaskTemplate{
		Name:    t.Name,
		Command: make([]string, len(t.Command)),
		Inputs:  params(t.Inputs),
		Outputs: params(t.Outputs),
		Dir:     t.Dir,
	}
	for i, a := range t.Command {
		tmpl.Command[i] = a.Value
	}
	img, build, owner := s.Image, s.Build, fmt.Sprintf("task %q", t.Name)
	if img == nil && build == nil {
		img, build, owner = d.Image, d.Build, fmt.Sprintf("defaults of workflow %q", wf)
	}
	switch {
	case img != nil && build != nil:
		v.d.hintf(build.Pos, "keep one: image: runs a ready image, build: makes one from a base and your code",
			"%s gives both image: and build:", owner)
	case img != nil:
		tmpl.Image = img.Value
	case build != nil:
		tmpl.Build = &Build{Base: build.Base, Code: build.Code}
	}
	tmpl.Resources = mergeResources(s.Resources, d.Resources)
	tmpl.Cache = v.cachePolicy(t, s.Cache, d.Cache, wf)
	tmpl.Retries = pick(s.Retries, d.Retries)
	tmpl.Timeout = pick(s.Timeout, d.Timeout)
	tmpl.Interruptible = pick(s.Interruptible, d.Interruptible)
	tmpl.Target = pick(s.Target, d.Target).Value
	if len(s.Env)+len(d.Env) > 0 {
		tmpl.Env = make(map[string]string, len(s.Env)+len(d.Env))
		for k, val := range d.Env {
			tmpl.Env[k] = val
		}
		for k, val := range s.Env {
			tmpl.Env[k] = val
		}
	}
	return tmpl
}

// pick returns *a, else *b, else the zero value.
func pick[T any](a, b *T) T {
	if a != nil {
		return *a
	}
	if b != nil {
		return *b
	}
	var zero T
	return zero
}

func mergeResources(own, def *ResourcesSpec) Resources {
	var a, b ResourcesSpec
	if own != nil {
		a = *own
	}
	if def != nil {
		b = *def
	}
	return Resources{
		CPUMilli:       pick(a.CPUMilli, b.CPUMilli),
		MemoryBytes:    pick(a.MemoryBytes, b.MemoryBytes),
		GPU:            pick(a.GPU, b.GPU),
		Accelerator:    pick(a.Accelerator, b.Accelerator),
		EphemeralBytes: pick(a.EphemeralBytes, b.EphemeralBytes),
	}
}

// cachePolicy merges a task's cache settings with the defaults' (the task's
// win field by field). Caching is on when the deciding cache: (the task's,
// else the defaults') is not turned off; it then needs a version.
func (v *validator) cachePolicy(t *TaskSpec, own, def *CacheSpec, wf string) *CachePolicy {
	c, where := own, fmt.Sprintf("task %q", t.Name)
	if c == nil {
		c, where = def, fmt.Sprintf("defaults of workflow %q", wf)
	}
	if c == nil || (c.Enabled != nil && !*c.Enabled) {
		return nil
	}
	var a, b CacheSpec
	if own != nil {
		a = *own
	}
	if def != nil {
		b = *def
	}
	version := pick(a.Version, b.Version)
	if version == "" {
		v.d.hintf(c.Pos, `add version: "1" (change it to invalidate cached results), or write cache: false`,
			"cache enabled without a version in %s", where)
		return nil
	}
	p := &CachePolicy{Version: version, Serialize: pick(a.Serialize, b.Serialize)}
	ignore := a.Ignore
	if ignore == nil {
		ignore = b.Ignore
	}
	for _, ig := range ignore {
		if slices.ContainsFunc(t.Inputs, func(p *ParamSpec) bool { return p.Name == ig.Value }) {
			p.Ignore = append(p.Ignore, ig.Value)
		}
	}
	slices.Sort(p.Ignore)
	p.Ignore = slices.Compact(p.Ignore)
	return p
}
