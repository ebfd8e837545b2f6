package orchestrator

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator/schedule"
	"go.yaml.in/yaml/v3"
)

func (p *specParser) launchPlanDoc(root *yaml.Node) {
	lp := &LaunchPlanSpec{File: p.file, Active: true}
	lp.Name, lp.Pos = p.docName(root, "launch plan")
	what := fmt.Sprintf("launch plan %q", lp.Name)
	p.fields(root, what, append(launchPlanKeys, "kickoff_time_input"), func(key string, k, v *yaml.Node) {
		switch key {
		case "description":
			lp.Description = p.str(v, "description").Value
		case "workflow":
			lp.Workflow = p.str(v, "workflow of "+what)
		case "fixed_inputs":
			lp.FixedInputs = p.planInputs(v, "fixed_inputs of "+what)
		case "default_inputs":
			lp.DefaultInputs = p.planInputs(v, "default_inputs of "+what)
		case "schedule":
			lp.Schedule = p.schedule(v, what)
		case "triggers":
			lp.Triggers = p.triggers(v, what)
		case "notifications":
			lp.Notifications = p.notifications(v, what)
		case "active":
			if b, ok := p.boolean(v, "active of "+what); ok {
				lp.Active = b
			}
		case "kickoff_time_input":
			p.d.hintf(p.pos(k), "write schedule: {cron: ..., kickoff_time_input: NAME}", "kickoff_time_input belongs inside schedule:")
		}
	})
	if lp.Workflow.Value == "" && lp.Workflow.Pos.Line == 0 {
		p.d.hintf(lp.Pos, "add workflow: NAME", "%s has no workflow", what)
	}
	p.spec.LaunchPlans = append(p.spec.LaunchPlans, lp)
	if prev, dup := register(p.spec.launchPlans, lp.Name, lp); dup {
		p.d.errorf(lp.Pos, "duplicate launch plan %q (first defined at %s)", lp.Name, prev.Pos)
	}
}

// planInputs parses fixed_inputs or default_inputs: literal values only.
func (p *specParser) planInputs(v *yaml.Node, what string) []*BindingSpec {
	bs := p.bindings(v, what)
	for _, b := range bs {
		if b.Ref != nil && !b.bad {
			p.d.hintf(b.ValuePos, "give a literal value; a launch plan has no nodes to refer to",
				"%s: input %q is a reference", what, b.Input)
			b.bad = true
		}
	}
	return bs
}

func (p *specParser) triggers(v *yaml.Node, what string) []*TriggerSpec {
	var out []*TriggerSpec
	p.list(v, "triggers of "+what, func(i int, item *yaml.Node) {
		twhat := fmt.Sprintf("trigger %d of %s", i, what)
		t := &TriggerSpec{Pos: p.pos(item)}
		found := false
		p.fields(item, twhat, []string{"s3"}, func(key string, k, v *yaml.Node) {
			found = true
			p.fields(v, "s3 of "+twhat, []string{"prefix", "suffix", "input"}, func(key string, k, v *yaml.Node) {
				switch key {
				case "prefix":
					t.Prefix = p.str(v, "prefix of "+twhat).Value
				case "suffix":
					t.Suffix = p.str(v, "suffix of "+twhat).Value
				case "input":
					t.Input = p.str(v, "input of "+twhat)
				}
			})
		})
		const hint = "s3: {prefix: incoming/NAME/, suffix: .csv, input: FILE_INPUT}"
		switch {
		case !found:
			p.d.hintf(t.Pos, hint, "%s has no s3:", twhat)
		case !strings.HasPrefix(t.Prefix, layout.IncomingRoot):
			p.d.hintf(t.Pos, "the drop zone is incoming/...; other prefixes hold aloft's own objects",
				"%s: prefix %q must start with incoming/", twhat, t.Prefix)
		case t.Input.Value == "":
			p.d.hintf(t.Pos, hint, "%s names no input", twhat)
		}
		out = append(out, t)
	})
	return out
}

func (p *specParser) notifications(v *yaml.Node, what string) []*NotificationSpec {
	var out []*NotificationSpec
	p.list(v, "notifications of "+what, func(i int, item *yaml.Node) {
		nwhat := fmt.Sprintf("notification %d of %s", i, what)
		n := &NotificationSpec{Pos: p.pos(item)}
		p.fields(item, nwhat, []string{"on", "target"}, func(key string, k, v *yaml.Node) {
			if key == "target" {
				t := p.str(v, "target of "+nwhat)
				n.Target = t.Value
				if _, err := ParseNotifyTarget(t.Value); err != nil && t.Value != "" {
					p.d.hintf(t.Pos, "e.g. target: webhook:https://hooks.slack.com/services/...", "%s: %v", nwhat, err)
				}
				return
			}
			n.On = p.strList(v, "on of "+nwhat)
			for _, s := range n.On {
				if !slices.Contains(notifyPhases, s.Value) {
					p.d.hintf(s.Pos, "on is a list of failed, succeeded, aborted",
						"unknown phase %q in %s%s", s.Value, nwhat, didYouMean(s.Value, notifyPhases))
				}
			}
		})
		if len(n.On) == 0 || n.Target == "" {
			p.d.hintf(n.Pos, `{on: [failed], target: "..."}`, "%s needs on: and target:", nwhat)
		}
		out = append(out, n)
	})
	return out
}

// schedule parses `schedule: {cron: EXPR}` or `{rate: EXPR}` and checks the
// expression with the schedule package.
func (p *specParser) schedule(v *yaml.Node, what string) *ScheduleSpec {
	sp := &ScheduleSpec{Pos: p.pos(p.deref(v))}
	var expr *yaml.Node
	what = "schedule of " + what
	p.fields(v, what, scheduleKeys, func(key string, k, v *yaml.Node) {
		if key == "kickoff_time_input" {
			sp.KickoffInput = p.str(v, "kickoff_time_input of "+what)
			return
		}
		if sp.Kind != "" {
			p.d.errorf(p.pos(k), "%s gives both cron: and rate:", what)
			return
		}
		sp.Kind = key
		if s := p.str(v, key+" of "+what); s.Pos.Line > 0 {
			sp.Expr, sp.Pos, expr = s.Value, s.Pos, p.deref(v)
		}
	})
	if expr == nil {
		if sp.Kind == "" {
			p.d.hintf(sp.Pos, `schedule: {cron: "0 3 * * ? *"} or {rate: "1 day"}`, "%s has no cron: or rate:", what)
		}
		return sp
	}
	sched, err := schedule.Parse(sp.Expr)
	if err != nil {
		var se *schedule.Error
		pos := sp.Pos
		if errors.As(err, &se) {
			pos = p.posAtRune(expr, se.Pos)
		}
		p.d.errorf(pos, "invalid %s expression: %v", sp.Kind, err)
		return sp
	}
	if isRate := sched.Every() > 0; isRate != (sp.Kind == "rate") {
		other := map[bool]string{true: "rate", false: "cron"}[isRate]
		p.d.hintf(sp.Pos, "write schedule: {"+other+": ...}", "%s: %q is a %s expression, not %s", what, sp.Expr, other, sp.Kind)
		return sp
	}
	sp.Canonical = sched.String()
	return sp
}
