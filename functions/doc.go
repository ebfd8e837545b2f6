// Package functions holds the handlers of aloft's Lambda functions, one
// type each over only the ports it uses: Advance (the store, the engine, and
// the dispatcher's job events), Trigger (the store) and Registrar (the store
// and a RuleManager). Each embeds a Base (the store events name, the clock,
// the logger). The same handlers run in Lambda, where each function's main
// under functions/ wires its own dependencies (OpenAWS, Main), and in-process
// under `aloft dev` (package functions/localplane).
//
// Beside the handlers it keeps the wire shapes of the events they receive
// (EventBridge envelopes, SQS batches, S3 notifications), the rule patterns
// the stack installs (RulePatterns), the AWS adapters (EventBridgeRules,
// SQSWaker, BatchJobEvents, BatchDescriber) and the functions'
// configuration (Env, ReadEnv). See README.md for the events each one
// receives and its configuration.
package functions
