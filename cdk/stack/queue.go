package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// Advance's queue and its consumer: a visibility timeout of at least six
// times the function timeout plus the batching window (AWS guidance for
// SQS event sources), and a message that fails MaxReceiveCount times goes
// to the dead-letter queue.
const (
	AdvanceTimeoutSeconds        = 60
	AdvanceBatchSize             = 10
	AdvanceBatchingWindowSeconds = 2
	AdvanceMaxConcurrency        = 10
	MaxReceiveCount              = 5
	QueueVisibilitySeconds       = 6*AdvanceTimeoutSeconds + AdvanceBatchingWindowSeconds
)

type queues struct {
	advance awssqs.Queue // events for advance (EventBridge -> SQS -> advance)
	dead    awssqs.Queue // advance messages that failed MaxReceiveCount times
	events  awssqs.Queue // events EventBridge could not deliver, and failed async invocations of trigger and registrar
}

func newQueues(st awscdk.Stack, p Props) queues {
	retention := awscdk.Duration_Days(jsii.Number(14))
	dead := awssqs.NewQueue(st, jsii.String("AdvanceDeadLetterQueue"), &awssqs.QueueProps{
		QueueName:       jsii.String(p.name("advance-dlq")),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: retention,
	})
	advance := awssqs.NewQueue(st, jsii.String("AdvanceQueue"), &awssqs.QueueProps{
		QueueName:         jsii.String(p.name("advance")),
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(QueueVisibilitySeconds)),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dead,
			MaxReceiveCount: jsii.Number(MaxReceiveCount),
		},
	})
	events := awssqs.NewQueue(st, jsii.String("EventsDeadLetterQueue"), &awssqs.QueueProps{
		QueueName:       jsii.String(p.name("events-dlq")),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: retention,
	})
	return queues{advance: advance, dead: dead, events: events}
}
