package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aloft-run/aloft/orchestrator"
	"github.com/aloft-run/aloft/registry"
)

// Launched is one launch request trigger wrote (or found written).
type Launched struct {
	Execution  string `json:"execution"`
	Project    string `json:"project"`
	Domain     string `json:"domain"`
	LaunchPlan string `json:"launch_plan"`
	New        bool   `json:"new"` // false: a duplicated event, nothing new started
}

// Trigger is the trigger function: it starts runs by writing launch
// requests, and needs only the store.
type Trigger struct {
	Base
}

// Handle is the trigger function's Lambda handler. It handles an S3 object created under incoming/ (every active launch
// plan whose trigger matches the key starts one run with the object bound to
// the trigger's input) and a schedule rule's input (the launch plan starts
// one run with the scheduled time as its kickoff input). Runs start by
// writing launch requests with derived ids, so a duplicated event starts
// nothing new; advance consumes them.
func (c *Trigger) Handle(ctx context.Context, raw json.RawMessage) ([]Launched, error) {
	var sched ScheduleInput
	if err := json.Unmarshal(raw, &sched); err == nil && sched.Schedule != nil {
		return c.triggerSchedule(ctx, sched)
	}
	env, err := ParseEnvelope(raw)
	if err != nil {
		return nil, fmt.Errorf("trigger: want an S3 Object Created event or a schedule input: %w", err)
	}
	if env.Source != SourceS3 || env.DetailType != TypeObjectCreated {
		return nil, fmt.Errorf("trigger: %s from %s is not for trigger", env.DetailType, env.Source)
	}
	d, err := env.S3()
	if err != nil {
		return nil, err
	}
	key, ok := c.keyOf(d.Bucket.Name, d.Object.Key)
	if !ok {
		return nil, fmt.Errorf("trigger: s3://%s/%s is not in aloft's bucket", d.Bucket.Name, d.Object.Key)
	}
	plans, err := registry.ActivePlans(ctx, c.Store)
	if err != nil {
		return nil, fmt.Errorf("trigger: %w", err)
	}
	version := d.Object.VersionID
	if version == "" {
		version = strings.Trim(d.Object.ETag, `"`)
	}
	var out []Launched
	for _, lp := range plans {
		for _, t := range lp.Triggers {
			if !strings.HasPrefix(key, t.Prefix) || !strings.HasSuffix(key, t.Suffix) {
				continue
			}
			r := &registry.LaunchRequest{
				ID:      registry.TriggerID(lp.Project, lp.Domain, lp.Name, key, version),
				Project: lp.Project, Domain: lp.Domain, LaunchPlan: lp.Name, Version: lp.Version,
				Inputs:      map[string]orchestrator.Literal{t.Input: orchestrator.File(orchestrator.Blob{URI: c.Store.URI(key)})},
				RequestedAt: c.now().UTC(),
				Cause:       "trigger " + c.Store.URI(key),
			}
			l, err := c.request(ctx, r)
			if err != nil {
				return out, err
			}
			out = append(out, l)
			break // one run per launch plan, whichever of its triggers matched
		}
	}
	c.log().Info("trigger", "key", key, "runs", len(out))
	return out, nil
}

func (c *Trigger) triggerSchedule(ctx context.Context, in ScheduleInput) ([]Launched, error) {
	s := in.Schedule
	if s.Project == "" || s.Domain == "" || s.LaunchPlan == "" || s.Time.IsZero() {
		return nil, errors.New("trigger: a schedule input needs project, domain, launch_plan and time")
	}
	lp, err := registry.GetLaunchPlan(ctx, c.Store, s.Project, s.Domain, s.LaunchPlan, "")
	if errors.Is(err, registry.ErrNotFound) {
		c.log().Warn("schedule fired for a launch plan that is not active", "launch_plan", s.LaunchPlan)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trigger: %w", err)
	}
	inputs := map[string]orchestrator.Literal{}
	if lp.KickoffInput != "" {
		inputs[lp.KickoffInput] = orchestrator.Datetime(s.Time)
	}
	r := &registry.LaunchRequest{
		ID:      registry.ScheduleID(s.Project, s.Domain, s.LaunchPlan, s.Time),
		Project: s.Project, Domain: s.Domain, LaunchPlan: s.LaunchPlan, Version: lp.Version,
		Inputs: inputs, RequestedAt: c.now().UTC(), Cause: "schedule " + s.Time.UTC().Format("2006-01-02T15:04:05Z"),
	}
	l, err := c.request(ctx, r)
	if err != nil {
		return nil, err
	}
	return []Launched{l}, nil
}

func (c *Trigger) request(ctx context.Context, r *registry.LaunchRequest) (Launched, error) {
	created, err := registry.PutLaunchRequest(ctx, c.Store, r)
	if err != nil {
		return Launched{}, fmt.Errorf("trigger: %w", err)
	}
	return Launched{Execution: r.ID, Project: r.Project, Domain: r.Domain, LaunchPlan: r.LaunchPlan, New: created}, nil
}
