// Package localplane is aloft's control plane on one machine, as `aloft dev`
// runs it: the trigger, advance and registrar handlers of package functions
// driven in-process by a store that announces its writes (the directory
// store, or an SQS queue of a bucket's events under LocalStack), with an
// in-process cron for launch plans' schedules (Cron), delayed wake-ups as
// timers, and advance batches gathered as SQS gathers them (Plane).
//
// Every goroutine and timer a Plane or a Cron starts is tied to its
// lifetime: Plane.Run returns, and Cron.Stop returns, only once all of
// them have ended.
package localplane
