// Package awsbatch is the Dispatcher that runs attempts as AWS Batch jobs,
// and reads what AWS Batch says about them: DescribeJobs results and
// EventBridge "Batch Job State Change" events.
//
// # Jobs
//
// Each attempt is one job (Submit), and the items of a map node can be one
// array job (SubmitArray) whose children read their attempt prefixes from a
// manifest in the bucket. A job
//
//   - runs a job definition named by the hash of what it holds (image, the
//     runner entrypoint, job and execution roles, platform), looked up once
//     per process and registered only when missing;
//   - goes to the GPU queue when its task asks for GPUs (always EC2), to the
//     spot queue when the task is interruptible, else to the CPU queue,
//     which runs on Fargate or EC2 (Config.Platform);
//   - asks for the task's cpu, memory and GPUs rounded up to sizes the
//     platform accepts (Size, which also says what it rounded);
//   - has attemptDurationSeconds of the task's timeout plus a minute, so the
//     runner's own timeout fires first and records the failure;
//   - is retried by AWS Batch only when its host was lost (evaluateOnExit:
//     status reason "Host EC2*" -> RETRY, anything else -> EXIT), since
//     every other retry is the engine's: the claim in the bucket lets the
//     same job's next attempt proceed;
//   - is named "aloft-<exec>-<node>[.<item>]-a<attempt>" (made valid) and
//     tagged aloft:project, aloft:domain, aloft:execution, aloft:node and
//     aloft:attempt (aloft:item for a single map item; aloft:array, the
//     manifest key, for an array job), with propagateTags.
//
// SubmitJob calls are paced by a client-side limiter and throttled calls
// are retried with exponential backoff and jitter; an error that still
// escapes is an *Error whose Temporary method says whether to try again.
//
// # Task images must contain the runner
//
// A job's container command is only the runner's arguments
// (["--store", "s3://bucket", "--attempt", "data/<exec>/<node>/<n>/"] or
// ["--store", "s3://bucket", "--array", "data/<exec>/<node>/array-<hash>.json"]),
// so the task's image must hold a Linux build of aloft-runner at
// /aloft/bin/aloft-runner as its ENTRYPOINT, next to whatever the task's
// command needs (python3, the task's code at /aloft/code). `aloft register`
// makes such images without Docker (package images: the runner and the
// task's code added as layers to the base image, Decision 16). The
// runner finds its job identity in AWS_BATCH_JOB_ID and, in an array
// child, its index in AWS_BATCH_JOB_ARRAY_INDEX; the job role must be
// allowed to read and write the bucket.
//
// # Left out
//
// Deciding anything: which attempt to run or retry is the engine's, and a
// FAILED job is only a hint until the store has no result for it (Outcome
// explains how each failure is classified). Also left out: compute
// environments and queues (the CDK stack makes them), log reading, image
// building, and choosing instance types for Resources.Accelerator (put such
// tasks on a queue whose compute environment has those GPUs).
package awsbatch
