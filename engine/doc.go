// Package engine is the shell around orchestrator.Step used on one machine
// (aloft run) and, later, inside the advance Lambda: it loads an
// execution's state from the bucket, applies a batch of events, saves the
// new state with an if-match write (reloading and re-applying on a lost
// race), and only then carries out the commands with its adapters: the
// catalog for cache lookups and writes, a batchrunner.Dispatcher for
// attempts. Task results arrive as objects in the store (outputs.json,
// error.json), announced by the store's notifications and polled as a
// fallback. Fsyncs are grouped (one per commit window, Decision 5).
//
// It leaves out how a user is shown progress (the CLI observes states), how
// jobs run (dispatchers), and AWS event sources (the functions).
package engine
