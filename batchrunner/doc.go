// Package batchrunner runs tasks: it owns the attempt contract in the bucket,
// the in-container runner, and the small Dispatcher interface the engine
// hands attempts to.
//
// An attempt lives under its prefix, data/<exec>/<node>/<attempt>/ (a map
// item's node segment is <node>.<item>):
//
//	inputs.json   the Attempt: task template and input literals (written by the engine)
//	claim.json    which job runs it (create-if-absent: a duplicate job exits at once)
//	log.txt       the task's combined stdout and stderr (absent when it printed nothing;
//	              past RunOptions.LogLimit, 64 MiB, its head and tail around a line
//	              saying how many bytes were dropped)
//	outputs/...   file and directory outputs, with SHA-256 digests
//	outputs.json  the outputs; written last, its creation is the completion event
//	error.json    or the failure: kind, exit code, signal, message, log tail
//
// Run is that contract from the runner's side, used alike by the static
// aloft-runner binary inside Batch containers and by the local executor
// (batchrunner/local) in-process, so a local task costs one process: the
// task itself. Run claims the attempt, fetches inputs into a scratch
// directory (copies, never the store's own files, each hashed as it is
// copied: bytes that differ from the input's recorded digest fail the
// attempt with a system error, which is retried; Decision 23), renders the command template ({{inputs.x}}, {{outputs.y}})
// into an argv that no shell ever sees, runs it in its own process group
// under its timeout and memory limit (a cgroup v1 memory cgroup where one
// can be made, else RSS polling), and validates and uploads the declared
// outputs. Task failures are results (error.json), not Go errors. A
// symbolic link in an output (or inside a directory output) that resolves
// outside the attempt's scratch directory fails the attempt (Decision
// 23); one inside it is followed.
//
// A scratch directory is named aloft-pid<pid>-<exec>-<node>-<n> under
// RunOptions.WorkDir: RemoveStaleScratch removes those whose runner
// process is gone (killed with -9), and the local executor calls it when
// it is made.
//
// Two process runners start and watch a task (process.go), sharing the
// start, kill and wait steps and differing in how they wait. On Linux with
// pidfds (5.3 on) a task without a memory cgroup takes runProcessPolled:
// one poll(2) loop on the calling goroutine over the output pipe, the
// task's pidfd and an eventfd for ctx, so a short task costs no goroutine
// switches; this is the fast path that `make bench` measures as
// BenchmarkRunTrueNoSync (the whole attempt) against BenchmarkExecTrue (a
// bare os/exec run of true). A task in a memory cgroup, and every task on
// older kernels and other Unix systems, takes runProcessThreads: it forks
// on a goroutine whose locked thread enters the cgroup for the fork (and,
// should it fail to leave, dies with the task), reads output on a second
// and waits on channels; a memory-bound task runs long enough that these
// goroutines cost nothing that matters. Tests pick a runner with
// procSpec.threads.
//
// An out-of-memory kill anywhere in the task's cgroup fails the attempt
// as out of memory even when the task's main process exits 0 (a pipeline
// hides a killed stage); RSS polling kills the whole process group and
// reports the same. cgroup v2 is not used (see enterNewCgroup).
//
// What a task sees: {{inputs.x}} is a local path for a file (inputs/x, with
// the source's extension kept: inputs/dataset.csv) or a directory
// (inputs/x/), the text of a primitive, and JSON text for json, list and
// map (files inside a list or map become local paths). {{outputs.y}} is the
// path outputs/y, which the task creates: a file, a directory, or for any
// other type a file holding the value as text ("0.7598", JSON for json,
// list and map). The command runs in the task's Dir (the workflow file's
// directory) or else the scratch directory, with the caller's environment,
// the task's env, and ALOFT_PROJECT, ALOFT_DOMAIN, ALOFT_EXECUTION,
// ALOFT_NODE, ALOFT_ITEM (-1 unless a map item), ALOFT_ATTEMPT,
// ALOFT_JOB_ID, ALOFT_INPUT_DIR, ALOFT_OUTPUT_DIR, and CUDA_VISIBLE_DEVICES
// when GPUs were assigned.
//
// Left out, on purpose: deciding what to run or retry (the engine's Step),
// ingesting external inputs into the store before a run (the engine's shell
// does it; Run can still fetch https URLs and local paths), cloud backends
// (batchrunner/awsbatch and batchrunner/gcpbatch), and image building.
// Windows is not supported (process groups and signals are Unix ones); on
// Unix systems other than Linux there is no parent-death signal and no
// memory limit.
package batchrunner
