package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/aloft-run/aloft/batchrunner/local"
	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/functions"
	"github.com/aloft-run/aloft/functions/localplane"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
	"github.com/aloft-run/aloft/store/s3store"
	"github.com/aloft-run/aloft/store/storeurl"
)

const devAbout = `
Runs aloft's control plane on this machine: the trigger, advance and
registrar functions in-process, over the bucket directory (default
.aloft/bucket), with an in-process cron for active launch plans' schedules
and the local executor for tasks. Register a spec and activate its launch
plans (aloft register FILE --version V --activate), then drop a file where
a trigger looks, for example

    cp pima.csv .aloft/bucket/incoming/diabetes/

and the run starts once the copy is complete. aloft launch and
aloft executions terminate work against the same bucket.

With --aws-endpoint URL the same loop runs against LocalStack (or another
S3/SQS endpoint): the bucket is --store s3://BUCKET at that endpoint, and
events (S3 notifications through EventBridge) are read from --queue-url.
Ctrl-C stops it; runs in flight carry on at the next start.`

func devCmd(ctx context.Context, args []string, io Stdio) int {
	engineGC()
	var f storeFlags
	fs := newFlagSet("dev", "aloft dev [--store DIR] [--max-parallel N] [--sweep D]\n       aloft dev --aws-endpoint URL --store s3://BUCKET --queue-url URL", devAbout, io)
	f.register(fs)
	maxParallel := fs.Int("max-parallel", 0, "run at most `N` tasks at once (default 2×CPUs, at least 4)")
	sweep := fs.Duration("sweep", 5*time.Second, "how often every active execution is swept (`duration`)")
	endpoint := fs.String("aws-endpoint", "", "run against this S3/SQS `URL` (LocalStack) instead of a directory")
	queueURL := fs.String("queue-url", "", "with --aws-endpoint: the SQS `URL` EventBridge sends the bucket's events to")
	sqsEndpoint := fs.String("sqs-endpoint", "", "with --aws-endpoint: SQS at this `URL` instead (default: --aws-endpoint)")
	rest, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	switch {
	case len(rest) > 0:
		return usageErr(io, "dev", "unexpected argument %q (aloft dev takes only flags)", rest[0])
	case *sweep < 100*time.Millisecond:
		return usageErr(io, "dev", "--sweep %s: want at least 100ms", *sweep)
	case *endpoint != "" && (*queueURL == "" || !strings.HasPrefix(f.store, "s3://")):
		return usageErr(io, "dev", "--aws-endpoint needs --store s3://BUCKET and --queue-url URL")
	case *endpoint == "" && (*queueURL != "" || *sqsEndpoint != ""):
		return usageErr(io, "dev", "--queue-url and --sqs-endpoint go with --aws-endpoint")
	}
	log := slog.New(newPeopleHandler(io.Err))
	var st store.Store
	var dir *dirstore.Store
	var bucket string
	var awsCfg aws.Config
	if *endpoint != "" {
		var err error
		awsCfg, err = awsconfig.LoadDefaultConfig(ctx, awsconfig.WithBaseEndpoint(*endpoint))
		if err != nil {
			return failErr(io, "dev", err)
		}
		b, prefix, _ := storeurl.S3(f.store)
		s3, err := s3store.Open(ctx, b, prefix, s3store.WithEndpoint(*endpoint))
		if err != nil {
			return failErr(io, "dev", err)
		}
		st, bucket = s3, b
	} else {
		loc, err := f.location(io.Env)
		if err != nil {
			return failErr(io, "dev", err)
		}
		d, ok := localDir(loc)
		if !ok {
			return usageErr(io, "dev", "--store %s: aloft dev runs over a directory (or give --aws-endpoint)", loc)
		}
		if dir, err = dirstore.Open(d); err != nil {
			return failErr(io, "dev", err)
		}
		st, bucket = dir, localplane.Bucket
	}
	ex, err := local.New(st, local.Options{MaxParallel: *maxParallel, Log: io.Err})
	if err != nil {
		return failErr(io, "dev", err)
	}
	plane := &localplane.Plane{SweepEvery: *sweep}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: ex, Wake: plane.Wake, Now: io.Env.Now, NewID: io.Env.NewID,
		Warn: func(msg string) { log.Warn(msg) }, Finished: functions.LogFinished(log)})
	if err != nil {
		return failErr(io, "dev", err)
	}
	plane.Wire(functions.Base{Store: st, Bucket: bucket, Log: log}, eng)
	if dir != nil {
		plane.Watch = func(ctx context.Context) error { return dir.Watch(ctx, "") }
	}
	plane.Ready = func() {
		fmt.Fprintf(io.Err, "aloft dev: serving %s (drop files under %s; Ctrl-C stops)\n", st.URI(""), st.URI(layout.IncomingRoot))
	}
	if *endpoint != "" {
		se := *sqsEndpoint
		if se == "" {
			se = *endpoint
		}
		plane.Queue = sqs.NewFromConfig(awsCfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(se) })
		plane.QueueURL = *queueURL
	}
	if err := plane.Run(ctx); err != nil {
		return failErr(io, "dev", err)
	}
	ex.Wait()
	fmt.Fprintln(io.Err, "aloft dev: stopped")
	return exitOK
}

// newPeopleHandler prints log records as short lines: t=15:04:05 msg=… k=v.
func newPeopleHandler(w io.Writer) slog.Handler {
	return slog.NewTextHandler(w, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		switch a.Key {
		case slog.TimeKey:
			return slog.String("t", a.Value.Time().Format("15:04:05"))
		case slog.LevelKey:
			if a.Value.Any().(slog.Level) == slog.LevelInfo {
				return slog.Attr{}
			}
		}
		return a
	}})
}
