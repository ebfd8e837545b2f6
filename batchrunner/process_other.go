//go:build unix && !linux

package batchrunner

import "context"

func runProcess(ctx context.Context, spec procSpec, sink *logSink) procResult {
	return runProcessThreads(ctx, spec, sink)
}
