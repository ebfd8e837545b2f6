package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/orchestrator/schedule"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
)

// DevBucket is the bucket name `aloft dev` gives its directory store in the
// S3-shaped events it makes.
const DevBucket = "local"

// Dev runs trigger, advance and registrar in-process over a store that
// announces its writes (the directory store: its own writes, and files
// copied in by other processes through Watch), with an in-process cron for
// active launch plans' schedules: the control plane of AWS on one machine.
type Dev struct {
	Control *Control
	// Watch, if set, starts announcing objects written by other processes
	// (the directory store's Watch).
	Watch func(ctx context.Context) error
	// SweepEvery is how often every active execution is swept (default 5s).
	SweepEvery time.Duration
	// Window is how long object events are gathered into one advance batch
	// (default 20ms), as SQS batches them for Lambda.
	Window time.Duration
	// Ready, if set, is called once events are being heard and the first
	// sweep is done.
	Ready func()

	mu      sync.Mutex
	pending []SQSMessage
	kick    chan struct{}
	seq     int
}

// Cron is a RuleManager that fires schedule rules in-process: each rule's
// next fire time comes from aloft's EventBridge schedule parser, and a
// firing calls Fire with the rule's input (the time filled in).
type Cron struct {
	Fire func(ctx context.Context, input []byte)
	Now  func() time.Time

	mu    sync.Mutex
	rules map[string]*cronRule
	ctx   context.Context
}

type cronRule struct {
	rule   Rule
	sched  schedule.Schedule
	cancel context.CancelFunc
}

// Start makes the cron fire until ctx ends.
func (c *Cron) Start(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ctx = ctx
	if c.rules == nil {
		c.rules = map[string]*cronRule{}
	}
}

// PutRule (re)schedules a rule.
func (c *Cron) PutRule(_ context.Context, r Rule) error {
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
	base := c.ctx
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithCancel(base)
	cr := &cronRule{rule: r, sched: s, cancel: cancel}
	c.rules[r.Name] = cr
	if r.Enabled {
		go c.loop(ctx, cr)
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

func (c *Cron) loop(ctx context.Context, r *cronRule) {
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
		case <-t.C:
		}
		in := strings.Replace(r.rule.Input, `"`+TimePlaceholder+`"`, `"`+next.UTC().Format(time.RFC3339)+`"`, 1)
		c.Fire(ctx, []byte(in))
	}
}

// Run serves until ctx ends: it schedules the active launch plans, sweeps
// once (executions a previous session left are carried on), then routes
// every object-created event to the handler EventBridge would send it to.
func (d *Dev) Run(ctx context.Context) error {
	c := d.Control
	if d.SweepEvery <= 0 {
		d.SweepEvery = 5 * time.Second
	}
	if d.Window <= 0 {
		d.Window = 20 * time.Millisecond
	}
	kick := d.kickChan()
	if cr, ok := c.Rules.(*Cron); ok {
		cr.Start(ctx)
	}
	if n, ok := c.Store.(store.Notifier); ok {
		cancel := n.Subscribe(func(ev store.Event) { d.object(ctx, ev) })
		defer cancel()
	}
	if d.Watch != nil {
		if err := d.Watch(ctx); err != nil {
			return err
		}
	}
	plans, err := registry.ActivePlans(ctx, c.Store)
	if err != nil {
		return err
	}
	for _, lp := range plans {
		ev := ObjectCreated(DevBucket, layout.PlanPointerKey(lp.Project, lp.Domain, lp.Name), 0, "", "", c.now())
		if _, err := c.Registrar(ctx, ev, ""); err != nil {
			c.log().Warn("schedule of an active launch plan", "launch_plan", lp.Name, "error", err)
		}
	}
	if _, err := c.SweepAll(ctx); err != nil {
		c.log().Warn("sweep", "error", err)
	}
	if d.Ready != nil {
		d.Ready()
	}
	sweep := time.NewTicker(d.SweepEvery)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sweep.C:
			if _, err := c.SweepAll(ctx); err != nil {
				c.log().Warn("sweep", "error", err)
			}
		case <-kick:
			select { // gather the batch's company, as SQS does
			case <-ctx.Done():
				return nil
			case <-time.After(d.Window):
			}
			d.mu.Lock()
			batch := d.pending
			d.pending = nil
			d.mu.Unlock()
			for len(batch) > 0 {
				n := min(len(batch), 10)
				resp := c.AdvanceBatch(ctx, batch[:n])
				d.redeliver(batch[:n], resp)
				batch = batch[n:]
			}
		}
	}
}

// redeliver queues the failed messages of a batch again, as SQS makes them
// visible again after their visibility timeout.
func (d *Dev) redeliver(batch []SQSMessage, resp BatchResponse) {
	if len(resp.BatchItemFailures) == 0 {
		return
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	time.AfterFunc(time.Second, func() {
		for _, m := range batch {
			if failed[m.MessageID] {
				d.enqueue(m.Body)
			}
		}
	})
}

// object routes one object-created event the way the stack's rules do.
func (d *Dev) object(ctx context.Context, ev store.Event) {
	body := ObjectCreated(DevBucket, ev.Key, ev.Size, ev.ETag, "", d.Control.now())
	switch t := s3Target(TypeObjectCreated, ev.Key); t {
	case toTrigger, toRegistrar:
		go d.deliver(ctx, t, ev.Key, body)
	case toAdvance:
		d.enqueue(string(body))
	}
}

// target is the function an S3 event goes to.
type target int

const (
	noTarget target = iota
	toTrigger
	toRegistrar
	toAdvance
)

// s3Target routes an S3 event by its type and key as the stack's rules do
// (RulePatterns), and also sends attempts' claims to advance: here they mark
// attempts running; in AWS, Batch's RUNNING events do.
func s3Target(detailType, key string) target {
	created := detailType == TypeObjectCreated
	switch {
	case isPlanPointerKey(key) && (created || detailType == TypeObjectDeleted):
		return toRegistrar
	case !created:
		return noTarget
	case isDropKey(key):
		return toTrigger
	case strings.HasPrefix(key, layout.RequestsRoot) || layout.IsAttemptSignal(key):
		return toAdvance
	}
	return noTarget
}

// deliver hands an S3 event to trigger or registrar; false when it failed
// (and should come again).
func (d *Dev) deliver(ctx context.Context, t target, key string, event []byte) bool {
	c := d.Control
	var err error
	name := "trigger"
	if t == toTrigger {
		_, err = c.Trigger(ctx, event)
	} else {
		name = "registrar"
		_, err = c.Registrar(ctx, event, "")
	}
	if err != nil {
		c.log().Error(name, "key", key, "error", err)
	}
	return err == nil
}

// isDropKey reports whether key is a drop-zone object that may trigger
// runs (not a temporary name, Decision 27).
func isDropKey(key string) bool {
	_, ok := layout.ParseIncomingKey(key)
	return ok
}

func isPlanPointerKey(key string) bool {
	_, _, _, ok := layout.ParsePlanPointerKey(key)
	return ok
}

// enqueue adds a message to the next advance batch.
func (d *Dev) enqueue(body string) {
	d.mu.Lock()
	d.seq++
	d.pending = append(d.pending, SQSMessage{MessageID: fmt.Sprintf("dev-%d", d.seq), Body: body, EventSource: "aloft:dev"})
	d.mu.Unlock()
	select {
	case d.kickChan() <- struct{}{}:
	default:
	}
}

func (d *Dev) kickChan() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.kick == nil {
		d.kick = make(chan struct{}, 1)
	}
	return d.kick
}

// Wake is the engine's Config.Wake under dev: a timer that sends advance a
// wake message when the retry is due.
func (d *Dev) Wake(_ context.Context, ref engine.Ref, at time.Time) error {
	var m WakeMessage
	m.Wake.Project, m.Wake.Domain, m.Wake.Exec = ref.Project, ref.Domain, ref.Exec
	body, _ := json.Marshal(m)
	time.AfterFunc(time.Until(at), func() { d.enqueue(string(body)) })
	return nil
}

// SQSReceiver is the part of the SQS client PollSQS uses.
type SQSReceiver interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// PollSQS feeds the loop from an SQS queue that receives the bucket's
// events (LocalStack), through EventBridge or as S3 notifications: each is
// routed as the stack's rules route it, and the message deleted once
// handled (a failed one is left to reappear).
func (d *Dev) PollSQS(ctx context.Context, q SQSReceiver, queueURL string) error {
	for ctx.Err() == nil {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL),
			MaxNumberOfMessages: 10, WaitTimeSeconds: 10})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, m := range out.Messages {
			body := aws.ToString(m.Body)
			events, isNotification := FromS3Notification([]byte(body))
			if !isNotification {
				events = [][]byte{[]byte(body)} // an EventBridge event
			}
			ok := true
			for _, ev := range events {
				ok = d.route(ctx, aws.ToString(m.MessageId), ev) && ok
			}
			if ok {
				_, _ = q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle})
			}
		}
	}
	return nil
}

// route hands one EventBridge event to the handler the stack's rules send
// it to; false when it failed and should come again.
func (d *Dev) route(ctx context.Context, id string, event []byte) bool {
	env, err := ParseEnvelope(event)
	if err == nil && env.Source == SourceS3 {
		if s3, err := env.S3(); err == nil {
			switch t := s3Target(env.DetailType, s3.Object.Key); t {
			case toTrigger, toRegistrar:
				return d.deliver(ctx, t, s3.Object.Key, event)
			case noTarget:
				return true // no rule sends it anywhere
			}
		}
	}
	resp := d.Control.AdvanceBatch(ctx, []SQSMessage{{MessageID: id, Body: string(event)}})
	return len(resp.BatchItemFailures) == 0
}
