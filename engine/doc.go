// Package engine is the shell around orchestrator.Step used on one machine
// (aloft run) and, later, inside the advance Lambda: it loads an
// execution's state from the bucket, applies events, saves the new state
// with an if-match write (reloading and re-applying on a lost race), and
// only then carries out the commands that have effects: dispatching
// attempts through a batchrunner.Dispatcher, cancels, catalog writes. Cache
// lookups only read, so they are answered before the save and their results
// applied in the same batch; events that need nothing urgent are held for up
// to one commit window. Task results arrive as objects in the store (outputs.json,
// error.json), announced by the store's notifications and polled as a
// fallback. Fsyncs are grouped (one per commit window, Decision 5).
//
// It leaves out how a user is shown progress (the CLI observes states), how
// jobs run (dispatchers), and AWS event sources (the functions).
package engine
