package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aloft-run/aloft/engine"
	"github.com/aloft-run/aloft/store"
	"github.com/aloft-run/aloft/store/dirstore"
)

// storeFlags are the flags of every command that uses the bucket.
type storeFlags struct {
	store, project, domain string
	fs                     *flag.FlagSet
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	fs.StringVar(&f.store, "store", "", "the bucket `directory` (default $ALOFT_STORE, else .aloft/bucket)")
	fs.StringVar(&f.project, "project", "default", "the `project`")
	fs.StringVar(&f.domain, "domain", "development", "the `domain`")
}

// scoped reports whether --project or --domain was given.
func (f *storeFlags) scoped() bool {
	set := false
	f.fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == "project" || fl.Name == "domain" })
	return set
}

// dir is the bucket directory: --store, else $ALOFT_STORE, else
// .aloft/bucket (Decision 4), relative to the working directory.
func (f *storeFlags) dir(env Env) string {
	d := f.store
	if d == "" {
		d = env.Store
	}
	if d == "" {
		d = filepath.Join(".aloft", "bucket")
	}
	if !filepath.IsAbs(d) && env.Dir != "" {
		d = filepath.Join(env.Dir, d)
	}
	return d
}

// open opens (creating it if needed) the bucket.
func (f *storeFlags) open(env Env) (*dirstore.Store, error) {
	return dirstore.Open(f.dir(env))
}

// errNoStore says the bucket directory does not exist: nothing ran here yet.
var errNoStore = errors.New("no bucket")

// openExisting opens the bucket for reading; errNoStore when it is absent,
// so that looking creates nothing.
func (f *storeFlags) openExisting(env Env) (*dirstore.Store, error) {
	d := f.dir(env)
	if _, err := os.Stat(d); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s (run a workflow first, or pass --store DIR)", errNoStore, d)
		}
		return nil, err
	}
	return dirstore.Open(d)
}

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
		objs, err := st.List(ctx, "index/")
		if err != nil {
			return engine.Ref{}, err
		}
		for _, o := range objs {
			parts := strings.Split(o.Key, "/") // index/<p>/<d>/<inverted>-<exec>
			if len(parts) == 4 && strings.HasSuffix(parts[3], "-"+id) {
				return engine.Ref{Project: parts[1], Domain: parts[2], Exec: id}, nil
			}
		}
		return engine.Ref{}, fmt.Errorf("%w %q (aloft executions list shows them)", errNoExecution, id)
	}
	return engine.Ref{}, fmt.Errorf("%w %q in %s/%s (aloft executions list shows them)", errNoExecution, id, f.project, f.domain)
}
