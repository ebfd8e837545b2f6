package orchestrator

import (
	"fmt"
	"sort"
)

// launchPlan checks a launch plan against its workflow and types its
// input values.
func (v *validator) launchPlan(lp *LaunchPlanSpec) {
	what := fmt.Sprintf("launch plan %q", lp.Name)
	wf := v.s.workflows[lp.Workflow.Value]
	if wf == nil {
		if lp.Workflow.Pos.Line > 0 {
			known := make([]string, 0, len(v.s.workflows))
			for name := range v.s.workflows {
				known = append(known, name)
			}
			sort.Strings(known)
			v.d.errorf(lp.Workflow.Pos, "%s runs unknown workflow %q%s", what, lp.Workflow.Value, didYouMean(lp.Workflow.Value, known))
		}
		return
	}
	w := v.ck.wfs[wf]
	v.planInputs(w, what, "fixed_inputs", lp.FixedInputs)
	v.planInputs(w, what, "default_inputs", lp.DefaultInputs)
	for _, b := range lp.DefaultInputs {
		if bindingFor(lp.FixedInputs, b.Input) != nil {
			v.d.hintf(b.Pos, "a fixed input cannot be overridden, so it has no default; keep one of them",
				"%s gives input %q both in fixed_inputs and default_inputs", what, b.Input)
		}
	}
	provided := func(name string) bool {
		return bindingFor(lp.FixedInputs, name) != nil || bindingFor(lp.DefaultInputs, name) != nil
	}
	if s := lp.Schedule; s != nil {
		ok := v.planInput(w, what, "kickoff_time_input", s.KickoffInput, KindDatetime, lp.FixedInputs)
		if ok && s.Canonical != "" {
			v.requireInputs(w, what, "its schedule", s.Pos, func(name string) bool {
				return provided(name) || name == s.KickoffInput.Value
			})
		}
	}
	for _, t := range lp.Triggers {
		ok := v.planInput(w, what, "trigger input", t.Input, KindFile, lp.FixedInputs)
		if ok && t.Input.Value != "" {
			v.requireInputs(w, what, "its trigger", t.Pos, func(name string) bool {
				return provided(name) || name == t.Input.Value
			})
		}
	}
}

// planInputs types fixed or default inputs by the workflow's inputs.
func (v *validator) planInputs(w *wfInfo, what, field string, bs []*BindingSpec) {
	for _, b := range bs {
		p := w.in.byName[b.Input]
		if p == nil {
			v.d.hintf(b.Pos, declaredHint(w.in.what, "inputs", w.in.names()),
				"%s: %s names unknown input %q%s", what, field, b.Input, didYouMean(b.Input, w.in.names()))
			continue
		}
		if b.bad || p.Type.Kind == KindNone {
			continue
		}
		l, err := ParseValue(p.Type, b.Value)
		if err != nil {
			v.d.hintf(b.ValuePos, declaredAt(&w.in, p), "%s: %s %q: %v", what, field, b.Input, err)
			continue
		}
		b.lit = coerceTo(l, p.Type)
	}
}

// planInput checks an input named by a schedule or trigger: it exists, has
// the kind, and is not fixed. It reports whether it is fine (or unset).
func (v *validator) planInput(w *wfInfo, what, field string, name Str, kind Kind, fixed []*BindingSpec) bool {
	if name.Value == "" {
		return true
	}
	p := w.in.byName[name.Value]
	switch {
	case p == nil:
		v.d.hintf(name.Pos, declaredHint(w.in.what, "inputs", w.in.names()),
			"%s: %s %q is not an input of workflow %q%s", what, field, name.Value, w.spec.Name, didYouMean(name.Value, w.in.names()))
	case p.Type.Kind != kind && p.Type.Kind != KindNone:
		v.d.hintf(name.Pos, declaredAt(&w.in, p), "%s: %s %q must be a %s input, not %s", what, field, name.Value, kind, p.Type)
	case bindingFor(fixed, name.Value) != nil:
		v.d.errorf(name.Pos, "%s: %s %q is also a fixed input", what, field, name.Value)
	default:
		return true
	}
	return false
}

// requireInputs reports required workflow inputs that a scheduled or
// triggered run would lack.
func (v *validator) requireInputs(w *wfInfo, what, by string, pos Pos, given func(string) bool) {
	for _, p := range w.spec.Inputs {
		if p.Default == nil && !p.Type.Optional && p.Type.Kind != KindNone && !given(p.Name) {
			v.d.hintf(pos, "give it in fixed_inputs or default_inputs, or a default in the workflow",
				"%s: runs started by %s lack required input %q (%s)", what, by, p.Name, p.Type)
		}
	}
}
