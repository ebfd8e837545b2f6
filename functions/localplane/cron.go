package localplane

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/orchestrator/schedule"
)

// Cron is a functions.RuleManager that fires schedule rules in-process: each
// rule's next fire time comes from aloft's EventBridge schedule parser, and
// a firing calls Fire with the rule's input (the time filled in). Each
// enabled rule has a goroutine; Stop ends them all and waits for them.
type Cron struct {
	Fire func(ctx context.Context, input []byte)
	Now  func() time.Time

	mu    sync.Mutex
	rules map[string]*cronRule
	g     group
}

var _ functions.RuleManager = (*Cron)(nil)

type cronRule struct {
	rule   functions.Rule
	sched  schedule.Schedule
	cancel context.CancelFunc
}

// errStopped is PutRule's answer once the cron has stopped.
var errStopped = errors.New("the cron has stopped")

// PutRule (re)schedules a rule.
func (c *Cron) PutRule(_ context.Context, r functions.Rule) error {
	s, err := schedule.Parse(r.Schedule)
	if err != nil {
		return fmt.Errorf("rule %s: %w", r.Name, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rules == nil {
		c.rules = map[string]*cronRule{}
	}
	if old := c.rules[r.Name]; old != nil {
		old.cancel()
	}
	// A rule's firings outlive the request that put it: they end when the
	// rule is replaced or deleted, or the cron stops.
	ctx, cancel := context.WithCancel(context.Background())
	cr := &cronRule{rule: r, sched: s, cancel: cancel}
	c.rules[r.Name] = cr
	if r.Enabled {
		done := c.g.doneChan()
		if !c.g.goFunc(func() { c.loop(ctx, done, cr) }) {
			cancel()
			delete(c.rules, r.Name)
			return fmt.Errorf("rule %s: %w", r.Name, errStopped)
		}
	}
	return nil
}

// DeleteRule stops a rule.
func (c *Cron) DeleteRule(_ context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.rules[name]; old != nil {
		old.cancel()
		delete(c.rules, name)
	}
	return nil
}

// Stop ends every rule (a firing in progress sees its context cancelled)
// and returns once their goroutines have ended; later rules are refused.
func (c *Cron) Stop() {
	c.mu.Lock()
	for _, r := range c.rules {
		r.cancel()
	}
	c.mu.Unlock()
	c.g.stop()
}

// Rules lists the scheduled rules and their next fire times.
func (c *Cron) Rules() map[string]time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]time.Time{}
	for n, r := range c.rules {
		if next, ok := r.sched.Next(c.now()); ok && r.rule.Enabled {
			out[n] = next
		}
	}
	return out
}

func (c *Cron) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cron) loop(ctx context.Context, done <-chan struct{}, r *cronRule) {
	for {
		next, ok := r.sched.Next(c.now())
		if !ok {
			return
		}
		t := time.NewTimer(next.Sub(c.now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-done:
			t.Stop()
			return
		case <-t.C:
		}
		in := strings.Replace(r.rule.Input, `"`+functions.TimePlaceholder+`"`, `"`+next.UTC().Format(time.RFC3339)+`"`, 1)
		c.Fire(ctx, []byte(in))
	}
}
