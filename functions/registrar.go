package functions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/registry"
)

// Rule is a launch plan's schedule rule: when it fires, trigger receives
// Input with "<time>" replaced by the event's time (an input transformer).
type Rule struct {
	Name        string
	Schedule    string // cron(...) or rate(...)
	Enabled     bool
	Description string
	// Input is the ScheduleInput template; its time is the placeholder
	// TimePlaceholder.
	Input string
}

// TimePlaceholder stands for the scheduled time in Rule.Input (EventBridge
// input transformers write `<time>`, mapped from `$.time`).
const TimePlaceholder = "<time>"

// RuleManager creates, updates and deletes schedule rules (EventBridge in
// AWS, an in-process cron under `aloft dev`).
type RuleManager interface {
	PutRule(ctx context.Context, r Rule) error
	// DeleteRule removes a rule; a missing rule is not an error.
	DeleteRule(ctx context.Context, name string) error
}

// Registered is what the registrar did for one active.json event.
type Registered struct {
	Rule       string `json:"rule"`
	LaunchPlan string `json:"launch_plan"`
	Action     string `json:"action"` // put, disabled, deleted
	Schedule   string `json:"schedule,omitempty"`
}

// DefaultRulePrefix names the rules the registrar manages.
const DefaultRulePrefix = "aloft-lp-"

// RuleName is the schedule rule of a launch plan: the prefix and
// project-domain-name, within EventBridge's 64 characters of
// [A-Za-z0-9._-]; a name that had to be cut or cleaned gets a hash suffix so
// two launch plans never share a rule.
func RuleName(prefix, project, domain, name string) string {
	full := project + "-" + domain + "-" + name
	clean := ruleBad.ReplaceAllString(full, "_")
	n := prefix + clean
	if clean == full && len(n) <= 64 {
		return n
	}
	sum := sha256.Sum256([]byte(full))
	h := hex.EncodeToString(sum[:])[:10]
	keep := 64 - len(prefix) - len(h) - 1
	if len(clean) > keep {
		clean = clean[:keep]
	}
	return prefix + clean + "-" + h
}

var ruleBad = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// Registrar is the registrar function: it keeps launch plans' schedule
// rules in step with their active.json pointers.
type Registrar struct {
	Base
	// Rules manages the schedule rules (EventBridge, or the local cron).
	Rules RuleManager
	// Prefix names the rules it manages (default DefaultRulePrefix).
	Prefix string
}

// Handle is the registrar function's Lambda handler. It handles an active.json created or deleted (via EventBridge):
// the launch plan's schedule rule is created or updated to its active
// version's schedule, disabled when the pointer says paused, and deleted
// when the pointer is removed or the active version has no schedule.
func (c *Registrar) Handle(ctx context.Context, raw json.RawMessage) (Registered, error) {
	prefix := c.Prefix
	if c.Rules == nil {
		return Registered{}, errors.New("registrar: no rule manager configured")
	}
	env, err := ParseEnvelope(raw)
	if err != nil {
		return Registered{}, fmt.Errorf("registrar: %w", err)
	}
	d, err := env.S3()
	if err != nil {
		return Registered{}, fmt.Errorf("registrar: %w", err)
	}
	key, ok := c.keyOf(d.Bucket.Name, d.Object.Key)
	if !ok {
		return Registered{}, fmt.Errorf("registrar: s3://%s/%s is not in aloft's bucket", d.Bucket.Name, d.Object.Key)
	}
	p, dom, name, ok := layout.ParsePlanPointerKey(key)
	if !ok {
		return Registered{}, fmt.Errorf("registrar: %s is not a launch plan's active.json", key)
	}
	if prefix == "" {
		prefix = DefaultRulePrefix
	}
	out := Registered{Rule: RuleName(prefix, p, dom, name), LaunchPlan: p + "/" + dom + "/" + name}
	var lp *registry.LaunchPlan
	var active *registry.Active
	if env.DetailType == TypeObjectCreated {
		// Read what is there now, not what the event says: events may come
		// out of order, and the pointer is the truth.
		active, err = registry.GetActive(ctx, c.Store, p, dom, name)
		if err == nil {
			lp, err = registry.GetLaunchPlan(ctx, c.Store, p, dom, name, active.Version)
		}
		if err != nil && !errors.Is(err, registry.ErrNotFound) {
			return out, fmt.Errorf("registrar: %w", err)
		}
	}
	if lp == nil || lp.Schedule == "" {
		if err := c.Rules.DeleteRule(ctx, out.Rule); err != nil {
			return out, fmt.Errorf("registrar: delete rule %s: %w", out.Rule, err)
		}
		out.Action = "deleted"
		c.log().Info("registrar", "rule", out.Rule, "action", out.Action)
		return out, nil
	}
	in, _ := json.Marshal(map[string]any{"schedule": map[string]string{
		"project": p, "domain": dom, "launch_plan": name, "time": "TIME"}})
	input := string(regexp.MustCompile(`"TIME"`).ReplaceAll(in, []byte(`"`+TimePlaceholder+`"`)))
	r := Rule{Name: out.Rule, Schedule: lp.Schedule, Enabled: !active.Paused, Input: input,
		Description: fmt.Sprintf("aloft launch plan %s version %s", out.LaunchPlan, lp.Version)}
	if err := c.Rules.PutRule(ctx, r); err != nil {
		return out, fmt.Errorf("registrar: put rule %s: %w", out.Rule, err)
	}
	out.Action, out.Schedule = "put", lp.Schedule
	if active.Paused {
		out.Action = "disabled"
	}
	c.log().Info("registrar", "rule", out.Rule, "action", out.Action, "schedule", lp.Schedule)
	return out, nil
}
