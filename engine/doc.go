// Package engine is the shell around orchestrator.Step: it loads an
// execution's state from the bucket, applies events, saves the new state
// with an if-match write (reloading and re-applying on a lost race), and
// only then carries out the commands that have effects: dispatching
// attempts through a batchrunner.Dispatcher, cancels, catalog writes.
//
// Two drivers share that step-save-act cycle. Run drives one execution on
// one machine until it ends (aloft run): task results arrive as objects in
// the store (outputs.json, error.json), announced by the store's
// notifications and polled as a fallback; events that need nothing urgent
// are held for up to one batching window, and fsyncs are grouped (one per
// commit window, Decision 5). Advance and Sweep apply one batch of signals
// to a saved execution and return, the way event-driven shells (the
// advance function, aloft dev) use it. In both, cache lookups only read,
// so they are answered before the save and their results applied in the
// same batch. A sweep also asks the Liveness port (one adapter per target)
// about attempts older than a grace period, and fails or reclaims those
// whose job ended without a result (Decision 22). Executions an `aloft run`
// process owns (Own, its owner marker) are left alone by Advance and Sweep.
//
// Again starts a new execution from an ended one (Decision 25): recover
// reuses what ended with outputs there, relaunch reruns it all.
//
// Serialized caching (Decision 33): a Reserve takes the cache key's
// reservation in the catalog (if-absent, or an expired lease taken over
// with if-match), and the entry is looked up again once it is taken; held
// leases are renewed every Config.ReservationRenew while their nodes run.
// Waiting nodes learn of the holder's entry from the store's notifications
// of catalog writes and, for another process's writes, from the poll (Run)
// or the sweep (Advance), which look their entries up.
//
// It leaves out how a user is shown progress (the CLI observes states), how
// jobs run (dispatchers), and AWS event sources (the functions).
package engine
