package orchestrator

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

var targets = []string{"local", "aws-batch", "gcp-batch"}

// setting parses one run setting of a task or of a workflow's defaults.
func (p *specParser) setting(s *Settings, key string, v *yaml.Node, what string) {
	switch key {
	case "image":
		x := p.str(v, "image of "+what)
		s.Image = &x
	case "build":
		s.Build = p.build(v, what)
	case "resources":
		s.Resources = p.resources(v, what)
	case "cache":
		s.Cache = p.cache(v, what)
	case "retries":
		if n, ok := p.integer(v, "retries of "+what); ok && (n < 0 || n > 10) {
			p.d.errorf(p.pos(v), "retries of %s must be between 0 and 10, got %d", what, n)
		} else if ok {
			s.Retries = &n
		}
	case "timeout":
		if d, ok := p.duration(v, "timeout of "+what); ok {
			s.Timeout = &d
		}
	case "interruptible":
		if b, ok := p.boolean(v, "interruptible of "+what); ok {
			s.Interruptible = &b
		}
	case "env":
		s.Env = map[string]string{}
		p.entries(v, "env of "+what, func(name string, k, v *yaml.Node) {
			s.Env[name] = p.str(v, fmt.Sprintf("env %s of %s", name, what)).Value
		})
	case "target":
		x := p.str(v, "target of "+what)
		if x.Pos.Line > 0 && !slices.Contains(targets, x.Value) {
			p.d.hintf(x.Pos, "target is local, aws-batch or gcp-batch", "unknown target %q%s", x.Value, didYouMean(x.Value, targets))
		}
		s.Target = &x
	}
}

func (p *specParser) build(v *yaml.Node, what string) *BuildSpec {
	b := &BuildSpec{Pos: p.pos(p.deref(v)), Code: "."}
	p.fields(v, "build of "+what, []string{"base", "code"}, func(key string, k, v *yaml.Node) {
		if key == "base" {
			b.Base = p.str(v, "base of "+what).Value
		} else {
			b.Code = p.str(v, "code of "+what).Value
		}
	})
	if b.Base == "" {
		p.d.hintf(b.Pos, "build: {base: python:3.11-slim, code: ./tasks}", "build of %s has no base image", what)
	}
	return b
}

const (
	cpuHint    = `use cores ("2", 0.5) or millicores ("500m")`
	memoryHint = "use Mi/Gi (binary) or M/G (decimal), e.g. 200Mi, 4Gi or 1G, or a number of bytes"
)

func (p *specParser) resources(v *yaml.Node, what string) *ResourcesSpec {
	r := &ResourcesSpec{Pos: p.pos(p.deref(v))}
	what = "resources of " + what
	p.fields(v, what, []string{"cpu", "memory", "gpu", "accelerator", "ephemeral_storage"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "cpu":
			if s := p.str(v, "cpu of "+what); s.Pos.Line > 0 {
				if m, err := parseCPU(s.Value); err != nil {
					p.d.hintf(s.Pos, cpuHint, "invalid cpu %q in %s: %v", s.Value, what, err)
				} else {
					r.CPUMilli = &m
				}
			}
		case "memory", "ephemeral_storage":
			if s := p.str(v, key+" of "+what); s.Pos.Line > 0 {
				if b, err := parseBytes(s.Value); err != nil {
					p.d.hintf(s.Pos, memoryHint, "invalid %s %q in %s: %v", key, s.Value, what, err)
				} else if key == "memory" {
					r.MemoryBytes = &b
				} else {
					r.EphemeralBytes = &b
				}
			}
		case "gpu":
			if n, ok := p.integer(v, "gpu of "+what); ok && n < 0 {
				p.d.errorf(p.pos(v), "gpu of %s must not be negative, got %d", what, n)
			} else if ok {
				r.GPU = &n
			}
		case "accelerator":
			s := p.str(v, "accelerator of "+what).Value
			r.Accelerator = &s
		}
	})
	return r
}

// cache parses `cache: {version, ignore, serialize, enabled}` or a bool.
func (p *specParser) cache(v *yaml.Node, what string) *CacheSpec {
	v = p.deref(v)
	c := &CacheSpec{Pos: p.pos(v)}
	if v.Kind != yaml.MappingNode {
		b, ok := p.boolean(v, "cache of "+what)
		if !ok {
			return nil
		}
		c.Enabled = &b
		return c
	}
	p.fields(v, "cache of "+what, []string{"enabled", "version", "ignore", "serialize"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "enabled":
			if b, ok := p.boolean(v, "enabled of cache of "+what); ok {
				c.Enabled = &b
			}
		case "version":
			if s := p.str(v, "cache version of "+what); s.Value != "" {
				c.Version = &s.Value
			} else if s.Pos.Line > 0 {
				p.d.errorf(s.Pos, "empty cache version in %s", what)
			}
		case "ignore":
			c.Ignore = p.strList(v, "cache ignore of "+what)
		case "serialize":
			if b, ok := p.boolean(v, "serialize of cache of "+what); ok {
				c.Serialize = &b
			}
		}
	})
	return c
}
