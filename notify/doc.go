// Package notify tells people how an execution ended (Decision 26). Sender
// implements engine.Notifier for the three kinds of target a launch plan's
// notifications or --notify may name:
//
//	webhook:https://HOST/PATH  a POST of the Message as JSON; its text field
//	                           makes a Slack incoming-webhook URL work as is
//	eventbridge                PutEvents on the default bus: source aloft,
//	                           detail-type "aloft Execution Status Change",
//	                           the Message as detail
//	sns                        Publish of the Message to the stack's
//	                           notification topic (TopicARN)
//
// Delivery, deduplication and what a failure does are the engine's: a
// Sender only sends once per call and reports what went wrong.
package notify
