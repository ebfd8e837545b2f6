package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/layout"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
	"github.com/aloft-run/aloft/store/s3store"
	"github.com/aloft-run/aloft/store/storeurl"
)

// storeFlags are the flags of every command that uses the bucket.
type storeFlags struct {
	store, project, domain string
	fs                     *flag.FlagSet
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.store, "store", "", "the bucket: a `directory`, file:///dir or s3://bucket[/prefix] (default $ALOFT_STORE, else the config file's store, else .aloft/bucket)")
	fs.StringVar(&f.project, "project", "default", "the `project`")
	fs.StringVar(&f.domain, "domain", "development", "the `domain`")
}

// scoped reports whether --project or --domain was given.
func (f *storeFlags) scoped() bool {
	return flagSet(f.fs, "project") || flagSet(f.fs, "domain")
}

// location is where the bucket is: --store, else $ALOFT_STORE, else the
// config file's store (aloft config from-stack), else .aloft/bucket
// (Decision 4). A relative directory resolves against the working
// directory, so the result is an s3:// or file:// URI or an absolute path.
func (f *storeFlags) location(env Env) (string, error) {
	loc, _, err := f.resolve(env)
	return loc, err
}

// resolve is location, with the AWS region of the bucket when the config
// file named it (the region of the stack that made it); "" otherwise, for
// the standard AWS configuration to decide.
func (f *storeFlags) resolve(env Env) (loc, region string, err error) {
	loc = f.store
	if loc == "" {
		loc = env.Store
	}
	if loc == "" {
		c, found, err := loadConfig(env)
		if err != nil {
			return "", "", err
		}
		if found {
			loc, region = c.Store, c.Region
		}
	}
	return absLocation(loc, env), region, nil
}

// openAt opens the bucket at loc; an S3 bucket with a known region is
// opened in it.
func openAt(ctx context.Context, loc, region string) (store.Store, error) {
	if bucket, prefix, ok := storeurl.S3(loc); ok && region != "" {
		return s3store.Open(ctx, bucket, prefix, s3store.WithRegion(region))
	}
	return storeurl.Open(ctx, loc)
}

// absLocation makes a directory location absolute; "" is .aloft/bucket.
func absLocation(loc string, env Env) string {
	if loc == "" {
		loc = filepath.Join(".aloft", "bucket")
	}
	if strings.Contains(loc, "://") {
		return loc
	}
	if !filepath.IsAbs(loc) && env.Dir != "" {
		loc = filepath.Join(env.Dir, loc)
	}
	return loc
}

// localDir is the directory of a directory or file:// location; ok is
// false for others (s3://).
func localDir(loc string) (dir string, ok bool) {
	if !strings.Contains(loc, "://") {
		return loc, true
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "file" || u.Host != "" && u.Host != "localhost" {
		return "", false // storeurl.Open says what is wrong
	}
	return filepath.FromSlash(u.Path), true
}

// openBucket opens the bucket, creating a directory one if it is missing.
func (f *storeFlags) openBucket(ctx context.Context, env Env) (store.Store, error) {
	loc, region, err := f.resolve(env)
	if err != nil {
		return nil, err
	}
	return openAt(ctx, loc, region)
}

// errNoStore says the bucket directory does not exist: nothing ran here yet.
var errNoStore = errors.New("no bucket")

// openExisting opens the bucket for reading; errNoStore when it is a
// directory that is absent, so that looking creates nothing. (It takes no
// ctx: opening reads configuration, not the bucket, so it needs none.)
func (f *storeFlags) openExisting(env Env) (store.Store, error) {
	loc, region, err := f.resolve(env)
	if err != nil {
		return nil, err
	}
	if dir, ok := localDir(loc); ok {
		if _, err := os.Stat(dir); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%w at %s (run a workflow first, or pass --store DIR or s3://bucket)", errNoStore, dir)
			}
			return nil, err
		}
	}
	return openAt(context.Background(), loc, region)
}

// aloft run drives the local executor over a directory bucket, so its
// store methods shadow storeFlags' with ones that open a dirstore. Its
// default is --store, else $ALOFT_STORE, else .aloft/bucket: the config
// file's store is the deployed stack's bucket, which run does not use.

// register adds the bucket flags, saying what run accepts.
func (f *runFlags) register(fs *flag.FlagSet) {
	f.storeFlags.register(fs)
	fs.Lookup("store").Usage = "the bucket `directory` (default $ALOFT_STORE, else .aloft/bucket)"
}

// runDir is the bucket directory of aloft run.
func (f *runFlags) runDir(env Env) (string, error) {
	loc := f.store
	if loc == "" {
		loc = env.Store
	}
	loc = absLocation(loc, env)
	dir, ok := localDir(loc)
	if !ok {
		return "", &storeurl.LocationError{URI: loc, Why: "aloft run runs tasks on this machine over a directory bucket; to run on AWS, use aloft register and aloft launch"}
	}
	return dir, nil
}

// open opens (creating it if needed) the bucket of aloft run.
func (f *runFlags) open(env Env) (*dirstore.Store, error) {
	dir, err := f.runDir(env)
	if err != nil {
		return nil, err
	}
	return dirstore.Open(dir)
}

// openExisting opens the bucket of aloft run --resume; errNoStore when it
// is absent.
func (f *runFlags) openExisting(env Env) (*dirstore.Store, error) {
	dir, err := f.runDir(env)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s (run a workflow first, or pass --store DIR)", errNoStore, dir)
		}
		return nil, err
	}
	return dirstore.Open(dir)
}

// storeErr reports a failure to open the bucket: a location that names no
// store is a usage error (exit 2), anything else a failure (exit 1).
func storeErr(io Stdio, cmd string, err error) int {
	var le *storeurl.LocationError
	if errors.As(err, &le) {
		return usageErr(io, cmd, "--store: %v", err)
	}
	return failErr(io, cmd, err)
}

// isS3 reports whether st is an S3 bucket.
func isS3(st store.Store) bool { return strings.HasPrefix(st.URI(""), "s3://") }

// errNoExecution is returned by findExecution for an unknown id.
var errNoExecution = errors.New("no such execution")

// findExecution locates execution id: in --project/--domain when given,
// else in the defaults and then in any project and domain of the index.
func (f *storeFlags) findExecution(ctx context.Context, st store.Store, id string) (engine.Ref, error) {
	ref := engine.Ref{Project: f.project, Domain: f.domain, Exec: id}
	if strings.ContainsAny(id, "/\\") || id == "" || id == "." || id == ".." {
		return engine.Ref{}, fmt.Errorf("%w: %q is not an execution id", errNoExecution, id)
	}
	if _, err := st.Head(ctx, ref.StateKey()); err == nil {
		return ref, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return engine.Ref{}, err
	}
	if !f.scoped() {
		objs, err := store.ListKeys(ctx, st, layout.IndexRoot)
		if err != nil {
			return engine.Ref{}, err
		}
		for _, o := range objs {
			if p, d, exec, ok := layout.ParseIndexKey(o.Key); ok && exec == id {
				return engine.Ref{Project: p, Domain: d, Exec: id}, nil
			}
		}
		return engine.Ref{}, fmt.Errorf("%w %q (aloft executions list shows them)", errNoExecution, id)
	}
	return engine.Ref{}, fmt.Errorf("%w %q in %s/%s (aloft executions list shows them)", errNoExecution, id, f.project, f.domain)
}
