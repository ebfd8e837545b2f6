package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"
)

// topics are the two SNS topics of Decision 26: notifications of runs
// (the `sns` target) and the stack's alarms, kept apart so that operators
// and workflow owners subscribe separately.
type topics struct {
	notify, alarm awssns.Topic
}

func newTopics(st awscdk.Stack, p Props) topics {
	topic := func(id, desc string, emails []string) awssns.Topic {
		t := awssns.NewTopic(st, jsii.String(id), &awssns.TopicProps{
			DisplayName: jsii.String(p.StackName + " " + desc),
			EnforceSSL:  jsii.Bool(true),
		})
		for _, e := range emails {
			t.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
		}
		return t
	}
	return topics{
		notify: topic("NotificationTopic", "run notifications", p.NotifyEmails),
		alarm:  topic("AlarmTopic", "alarms", p.AlarmEmails),
	}
}

// Alarm thresholds.
const (
	// OldestMessageAlarmSeconds: advance normally drains its queue within
	// seconds; a message this old means advance is failing or throttled.
	OldestMessageAlarmSeconds = 15 * 60
	alarmPeriodMinutes        = 5
)

// newAlarms watches what an operator must hear about: anything in either
// dead-letter queue, advance erroring, advance's queue backing up, and
// Batch cancelling jobs that waited RUNNABLE too long (no capacity).
func newAlarms(st awscdk.Stack, p Props, q queues, c compute, f functions, t topics) {
	period := awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes))
	action := awscloudwatchactions.NewSnsAction(t.alarm)
	alarm := func(id, desc string, m awscloudwatch.IMetric, threshold float64) {
		a := awscloudwatch.NewAlarm(st, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(desc),
			Metric:             m,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
	}
	maxOf := &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")}
	sumOf := &awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}
	alarm("AdvanceDeadLettersAlarm", "advance messages failed 5 times and wait in the advance dead-letter queue",
		q.dead.MetricApproximateNumberOfMessagesVisible(maxOf), 1)
	alarm("EventsDeadLettersAlarm", "events or schedule deliveries that could not be delivered wait in the events dead-letter queue",
		q.events.MetricApproximateNumberOfMessagesVisible(maxOf), 1)
	alarm("AdvanceErrorsAlarm", "the advance function returned errors",
		f.advance.MetricErrors(sumOf), 1)
	alarm("AdvanceQueueAgeAlarm", "the oldest message in the advance queue waited more than 15 minutes",
		q.advance.MetricApproximateAgeOfOldestMessage(maxOf), OldestMessageAlarmSeconds)

	// Batch cancels a job stuck RUNNABLE with one of RunnableReasons; this
	// rule matches those cancellations on aloft's queues and the alarm
	// counts its matches.
	queueArns := make([]any, 0, 4)
	for _, jq := range c.queues() {
		queueArns = append(queueArns, jq.JobQueueArn())
	}
	reasons := make([]any, len(RunnableReasons))
	for i, r := range RunnableReasons {
		reasons[i] = map[string]any{"wildcard": "*" + string(r) + "*"}
	}
	stuck := awsevents.NewRule(st, jsii.String("StuckRunnableRule"), &awsevents.RuleProps{
		Description: jsii.String("jobs Batch cancelled after waiting RUNNABLE too long (no capacity); counted by the stuck-jobs alarm"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.batch"),
			DetailType: jsii.Strings("Batch Job State Change"),
			Detail:     &map[string]any{"jobQueue": queueArns, "status": []any{"FAILED"}, "statusReason": reasons},
		},
	})
	alarm("StuckRunnableAlarm", "Batch cancelled aloft jobs that waited RUNNABLE too long: check vCPU and GPU quotas and instance availability",
		awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/Events"), MetricName: jsii.String("MatchedEvents"),
			DimensionsMap: &map[string]*string{"RuleName": stuck.RuleName()},
			Period:        period, Statistic: jsii.String("Sum"),
		}), 1)
}
