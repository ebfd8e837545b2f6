package localstack

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/aloft-run/aloft/images"
	"github.com/aloft-run/aloft/internal/runnerbin"
	"github.com/aloft-run/aloft/orchestrator"
)

// taskRepo is the repository register pushes the built task images to (the
// stack's ECR repository in AWS).
const taskRepo = "registry.aloft-e2e.test/aloft/tasks"

// imageRegistry stands in for the registries `aloft register` talks to:
// go-containerregistry's in-memory registry under httptest, reached for
// every registry host (ghcr.io for the example's base image, the task
// repository) through a transport that sends the requests there. The Batch
// double does not run images (it runs aloft-runner on this machine), but
// the registration is the real one: the base is pinned, the code and
// runner layers are built and pushed, and the tasks name the pushed digest.
type imageRegistry struct {
	srv *httptest.Server
}

func newImageRegistry() *imageRegistry {
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	return &imageRegistry{srv: httptest.NewServer(h)}
}

func (r *imageRegistry) Close() { r.srv.Close() }

// RoundTrip sends every request to the in-memory registry.
func (r *imageRegistry) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = "http", strings.TrimPrefix(r.srv.URL, "http://")
	return http.DefaultTransport.RoundTrip(req)
}

// pushBase pushes a small image for linux/<arch> as ref (any registry host).
func (r *imageRegistry) pushBase(ref, arch string) error {
	img, err := random.Image(256, 1)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	tag, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	return remote.Write(tag, img, remote.WithTransport(r), remote.WithAuth(authn.Anonymous))
}

// prepare is register's image step (cmd/aloft's --repo with the stack's
// repository): every task's image built or pinned for this machine's
// architecture, with the runner at runnerPath, and pushed to taskRepo.
func (r *imageRegistry) prepare(runnerPath string) (func(context.Context, *orchestrator.Compiled) error, error) {
	plat, err := images.ParsePlatform("linux/" + runtime.GOARCH)
	if err != nil {
		return nil, err
	}
	bc := images.BuildConfig{Repo: taskRepo, AddRunner: true,
		Runner: func(ctx context.Context, arch string) ([]byte, error) { return runnerbin.Get(ctx, arch, runnerPath) }}
	return func(ctx context.Context, wf *orchestrator.Compiled) error {
		for _, t := range wf.Tasks {
			if t.Build != nil {
				if err := r.pushBase(t.Build.Base, plat.Arch()); err != nil {
					return fmt.Errorf("push the stand-in for base image %s: %w", t.Build.Base, err)
				}
			}
		}
		out, _, err := images.PinAll(ctx, wf, plat, bc, images.WithTransport(r), images.WithKeychain(authn.NewMultiKeychain()))
		if err != nil {
			return err
		}
		*wf = *out
		return nil
	}, nil
}
