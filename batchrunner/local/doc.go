// Package local is the Dispatcher that runs attempts on this machine: the
// executor behind `aloft run` and `aloft dev`.
//
// Each job is a goroutine calling batchrunner.Run, so the only process a
// task costs is the task itself; with Options.Docker it is a `docker run` of
// aloft-runner in the task's image instead (aloft run --executor docker).
// The executor shares out CPU, memory and GPUs by the tasks' requests and
// never starts a job that would oversubscribe them: jobs wait in a FIFO
// queue, and one that could never fit fails at once with a permanent error.
// GPU tasks get distinct device indices in CUDA_VISIBLE_DEVICES. The claim
// of each attempt records this process (pid, start time, boot id), and the
// executor is the local adapter of the engine's Liveness port: a sweep
// reclaims the attempts of an executor whose process is gone.
//
// Left out: reporting completions (the engine watches the store for
// outputs.json and error.json), retries (the engine's), and sharing a
// machine between several executors (each assumes the machine is its own).
package local
