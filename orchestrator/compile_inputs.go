package orchestrator

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ResolveInputs gives the inputs of a run of c: the given values (ints
// converted where floats are expected), defaults for the rest, and the none
// value for optional inputs left out. It reports, all at once, unknown
// names, missing required inputs and values of the wrong type.
func ResolveInputs(c *Compiled, given map[string]Literal) (map[string]Literal, error) {
	var errs []error
	known := make([]string, len(c.Inputs))
	for i, p := range c.Inputs {
		known[i] = p.Name
	}
	for _, name := range sortedKeys(given) {
		if !slices.Contains(known, name) {
			errs = append(errs, fmt.Errorf("workflow %q has no input %q%s (its inputs: %s)",
				c.Name, name, didYouMean(name, known), strings.Join(known, ", ")))
		}
	}
	out := make(map[string]Literal, len(c.Inputs))
	for _, p := range c.Inputs {
		l, ok := given[p.Name]
		switch {
		case ok && !l.Conforms(p.Type):
			errs = append(errs, fmt.Errorf("input %q must be %s, got %s", p.Name, p.Type, describeLiteral(l)))
		case ok:
			out[p.Name] = coerceTo(l, p.Type)
		case p.Default != nil:
			out[p.Name] = *p.Default
		case p.Type.Optional:
			out[p.Name] = Literal{}
		default:
			errs = append(errs, fmt.Errorf("missing required input %q (%s)", p.Name, p.Type))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// describeLiteral renders a literal for messages: `string "abc"`, `list`.
func describeLiteral(l Literal) string {
	switch l.Kind {
	case KindNone:
		return "none"
	case KindList, KindMap:
		return l.Kind.String()
	}
	s := l.Text()
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return l.Kind.String() + " " + strconv.Quote(s)
}

// ResolveLaunchPlan returns the named launch plan with its input values
// typed by its workflow's inputs.
func (s *Spec) ResolveLaunchPlan(name string) (*LaunchPlan, error) {
	lp := s.launchPlans[name]
	if lp == nil {
		known := make([]string, 0, len(s.launchPlans))
		for n := range s.launchPlans {
			known = append(known, n)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("unknown launch plan %q%s", name, didYouMean(name, known))
	}
	out := &LaunchPlan{
		Name:     lp.Name,
		Workflow: lp.Workflow.Value,
		Fixed:    map[string]Literal{},
		Defaults: map[string]Literal{},
		Active:   lp.Active,
	}
	for _, b := range lp.FixedInputs {
		out.Fixed[b.Input] = b.lit
	}
	for _, b := range lp.DefaultInputs {
		out.Defaults[b.Input] = b.lit
	}
	if sc := lp.Schedule; sc != nil {
		out.Schedule, out.KickoffInput = sc.Canonical, sc.KickoffInput.Value
	}
	for _, t := range lp.Triggers {
		out.Triggers = append(out.Triggers, Trigger{Prefix: t.Prefix, Suffix: t.Suffix, Input: t.Input.Value})
	}
	for _, n := range lp.Notifications {
		on := make([]string, len(n.On))
		for i, o := range n.On {
			on[i] = o.Value
		}
		out.Notifications = append(out.Notifications, Notification{On: on, Target: n.Target})
	}
	return out, nil
}
