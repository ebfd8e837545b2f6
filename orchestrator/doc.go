// Package orchestrator is aloft's pure core: the spec language (Parse,
// validation with every error at once and its file:line:col), typed values
// (Type, Literal and their canonical encoding), the compiler (Compile: a
// deterministic Compiled document with subworkflows inlined and
// conditionals lowered), and the state machine
//
//	Step(state, event, now) -> (state', []Command)
//
// which holds every workflow semantic: phases, retries with backoff, user
// and system error budgets, failure policies, cancellation, cache lookups,
// map items and conditional branches.
//
// It deliberately has no I/O, no clock, no randomness and no cloud SDK: time
// arrives as now, ids and attempt numbers arrive on events or in the state.
// Shells (the engine package, the Lambda functions, the simulator in the
// tests) load state, call Step, persist, then carry out the commands.
// See README.md for the state diagram and vocabulary.
package orchestrator
