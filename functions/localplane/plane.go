package localplane

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/registry"
	"github.com/aloft-run/aloft/store"
)

// Bucket is the bucket name `aloft dev` gives its directory store in the
// S3-shaped events it makes.
const Bucket = "local"

// Advancer is what the plane asks of the advance function.
type Advancer interface {
	AdvanceBatch(ctx context.Context, msgs []functions.SQSMessage) functions.BatchResponse
	SweepAll(ctx context.Context) (functions.SweepSummary, error)
}

// Plane runs trigger, advance and registrar in-process over a store that
// announces its writes (the directory store: its own writes, and files
// copied in by other processes through Watch) or over an SQS queue of a
// bucket's events (Queue), with an in-process cron for active launch plans'
// schedules: the control plane of AWS on one machine.
type Plane struct {
	Store    store.Store
	Advance  Advancer
	Trigger  func(ctx context.Context, event json.RawMessage) ([]functions.Launched, error)
	Register func(ctx context.Context, event json.RawMessage) (functions.Registered, error)
	// Cron, if set, is the registrar's rule manager; Run stops it.
	Cron *Cron
	Log  *slog.Logger
	Now  func() time.Time

	// Watch, if set, starts announcing objects written by other processes
	// (the directory store's Watch).
	Watch func(ctx context.Context) error
	// Queue, if set, is read for the bucket's events (LocalStack), through
	// EventBridge or as S3 notifications, from QueueURL.
	Queue    SQSReceiver
	QueueURL string
	// SweepEvery is how often every active execution is swept (default 5s).
	SweepEvery time.Duration
	// Window is how long object events are gathered into one advance batch
	// (default 20ms), as SQS batches them for Lambda.
	Window time.Duration
	// Ready, if set, is called once events are being heard and the first
	// sweep is done.
	Ready func()

	mu      sync.Mutex
	pending []functions.SQSMessage
	kick    chan struct{}
	seq     int
	g       group // deliveries, wake-up and redelivery timers, the queue reader
}

// Wire gives the plane the three functions over base and eng: advance,
// trigger, and registrar with a Cron (firing trigger) as its rule manager.
// eng's Config.Wake should be the plane's Wake.
func (p *Plane) Wire(base functions.Base, eng *engine.Engine) {
	trig := &functions.Trigger{Base: base}
	p.Cron = &Cron{Fire: func(ctx context.Context, in []byte) {
		if _, err := trig.Handle(ctx, in); err != nil {
			p.log().Error("scheduled run", "error", err)
		}
	}}
	reg := &functions.Registrar{Base: base, Rules: p.Cron}
	p.Store, p.Log = base.Store, base.Log
	p.Advance, p.Trigger, p.Register = &functions.Advance{Base: base, Engine: eng}, trig.Handle, reg.Handle
}

func (p *Plane) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Plane) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Run serves until ctx ends: it schedules the active launch plans, sweeps
// once (executions a previous session left are carried on), then routes
// every object-created event to the handler EventBridge would send it to.
// It returns once every goroutine and timer it started (deliveries,
// wake-ups, redeliveries, the queue reader, the cron's rules) has ended.
func (d *Plane) Run(ctx context.Context) error {
	defer d.g.stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the queue reader and deliveries before the join
	if d.Cron != nil {
		defer d.Cron.Stop()
	}
	if d.SweepEvery <= 0 {
		d.SweepEvery = 5 * time.Second
	}
	if d.Window <= 0 {
		d.Window = 20 * time.Millisecond
	}
	kick := d.kickChan()
	if n, ok := d.Store.(store.Notifier); ok {
		cancel := n.Subscribe(func(ev store.Event) { d.object(ctx, ev) })
		defer cancel()
	}
	if d.Watch != nil {
		if err := d.Watch(ctx); err != nil {
			return err
		}
	}
	if d.Queue != nil {
		d.g.goFunc(func() {
			if err := d.pollSQS(ctx, d.Queue, d.QueueURL); err != nil && ctx.Err() == nil {
				d.log().Error("reading events", "queue", d.QueueURL, "error", err)
			}
		})
	}
	plans, err := registry.ActivePlans(ctx, d.Store)
	if err != nil {
		return err
	}
	for _, lp := range plans {
		ev := functions.ObjectCreated(Bucket, layout.PlanPointerKey(lp.Project, lp.Domain, lp.Name), 0, "", "", d.now())
		if _, err := d.Register(ctx, ev); err != nil {
			d.log().Warn("schedule of an active launch plan", "launch_plan", lp.Name, "error", err)
		}
	}
	if _, err := d.Advance.SweepAll(ctx); err != nil {
		d.log().Warn("sweep", "error", err)
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
			if _, err := d.Advance.SweepAll(ctx); err != nil {
				d.log().Warn("sweep", "error", err)
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
				resp := d.Advance.AdvanceBatch(ctx, batch[:n])
				d.redeliver(batch[:n], resp)
				batch = batch[n:]
			}
		}
	}
}

// redeliver queues the failed messages of a batch again, as SQS makes them
// visible again after their visibility timeout.
func (d *Plane) redeliver(batch []functions.SQSMessage, resp functions.BatchResponse) {
	if len(resp.BatchItemFailures) == 0 {
		return
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	d.g.after(time.Second, func() {
		for _, m := range batch {
			if failed[m.MessageID] {
				d.enqueue(m.Body)
			}
		}
	})
}

// object routes one object-created event the way the stack's rules do.
func (d *Plane) object(ctx context.Context, ev store.Event) {
	body := functions.ObjectCreated(Bucket, ev.Key, ev.Size, ev.ETag, "", d.now())
	switch t := s3Target(functions.TypeObjectCreated, ev.Key); t {
	case toTrigger, toRegistrar:
		d.g.goFunc(func() { d.deliver(ctx, t, ev.Key, body) })
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
	created := detailType == functions.TypeObjectCreated
	switch {
	case isPlanPointerKey(key) && (created || detailType == functions.TypeObjectDeleted):
		return toRegistrar
	case !created:
		return noTarget
	case strings.HasPrefix(key, layout.IncomingRoot):
		return toTrigger
	case strings.HasPrefix(key, layout.RequestsRoot) || layout.IsAttemptSignal(key):
		return toAdvance
	}
	return noTarget
}

// deliver hands an S3 event to trigger or registrar; false when it failed
// (and should come again).
func (d *Plane) deliver(ctx context.Context, t target, key string, event []byte) bool {
	var err error
	name := "trigger"
	if t == toTrigger {
		_, err = d.Trigger(ctx, event)
	} else {
		name = "registrar"
		_, err = d.Register(ctx, event)
	}
	if err != nil {
		d.log().Error(name, "key", key, "error", err)
	}
	return err == nil
}

func isPlanPointerKey(key string) bool {
	_, _, _, ok := layout.ParsePlanPointerKey(key)
	return ok
}

// enqueue adds a message to the next advance batch.
func (d *Plane) enqueue(body string) {
	d.mu.Lock()
	d.seq++
	d.pending = append(d.pending, functions.SQSMessage{MessageID: fmt.Sprintf("dev-%d", d.seq), Body: body, EventSource: "aloft:dev"})
	d.mu.Unlock()
	select {
	case d.kickChan() <- struct{}{}:
	default:
	}
}

func (d *Plane) kickChan() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.kick == nil {
		d.kick = make(chan struct{}, 1)
	}
	return d.kick
}

// Wake is the engine's Config.Wake under the plane: a timer that sends
// advance a wake message when the retry is due (stopped when Run returns).
func (d *Plane) Wake(_ context.Context, ref engine.Ref, at time.Time) error {
	var m functions.WakeMessage
	m.Wake.Project, m.Wake.Domain, m.Wake.Exec = ref.Project, ref.Domain, ref.Exec
	body, _ := json.Marshal(m)
	d.g.after(time.Until(at), func() { d.enqueue(string(body)) })
	return nil
}

// SQSReceiver is the part of the SQS client the queue reader uses.
type SQSReceiver interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// pollSQS feeds the loop from an SQS queue that receives the bucket's
// events (LocalStack), through EventBridge or as S3 notifications: each is
// routed as the stack's rules route it, and the message deleted once
// handled (a failed one is left to reappear).
func (d *Plane) pollSQS(ctx context.Context, q SQSReceiver, queueURL string) error {
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
			events, isNotification := functions.FromS3Notification([]byte(body))
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
func (d *Plane) route(ctx context.Context, id string, event []byte) bool {
	env, err := functions.ParseEnvelope(event)
	if err == nil && env.Source == functions.SourceS3 {
		if s3, err := env.S3(); err == nil {
			switch t := s3Target(env.DetailType, s3.Object.Key); t {
			case toTrigger, toRegistrar:
				return d.deliver(ctx, t, s3.Object.Key, event)
			case noTarget:
				return true // no rule sends it anywhere
			}
		}
	}
	resp := d.Advance.AdvanceBatch(ctx, []functions.SQSMessage{{MessageID: id, Body: string(event)}})
	return len(resp.BatchItemFailures) == 0
}
