package images

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/aloft-run/aloft/internal/runnerbin"
)

// BuildSpec is a task image to build: a base image plus aloft's runner and
// the task's code.
type BuildSpec struct {
	Base     string            // base image reference, a tag or a digest
	CodeDir  string            // directory shipped as CodeDir, the working directory ("": no code layer, the base's working directory)
	Runner   []byte            // static aloft-runner for Platform's architecture (runnerbin.Get)
	Platform Platform          // linux/amd64 or linux/arm64
	Env      map[string]string // set in the image, over the base's values
	// Repo is the repository to push to, e.g.
	// 123456789012.dkr.ecr.us-east-1.amazonaws.com/aloft-tasks. Empty: build
	// and report the digest, push nothing.
	Repo string
}

// Result is a built image.
type Result struct {
	Ref      string // Repo@sha256:..., what the task's image becomes ("" when not pushed)
	Tag      string // Repo:aloft-<first 12 hex digits of the digest>
	Digest   string // sha256:... of the image manifest
	Base     string // the base, pinned for the platform
	Uploaded int    // blobs uploaded (0 when the registry had them all)
	Pushed   bool   // whether a manifest was written (false when the tag already named this image)
}

// Build makes a task image without Docker: it resolves the base for the
// platform (as Pin does), appends a layer holding the runner at RunnerPath
// and a layer holding the code directory at CodeDir, sets the entrypoint to
// the runner with no arguments (the dispatcher passes them as the command),
// the working directory to CodeDir and the environment, and pushes it to
// Repo tagged by its digest. With no CodeDir it adds the runner alone and
// keeps the base's working directory: that is how an image: task's image
// gets the runner a cloud job needs.
//
// The same inputs give the same digest: both layers are reproducible (see
// codeTar), and the base is pinned. Pushing skips blobs the registry has
// and the whole write when the tag already names the image, so building
// unchanged code again uploads nothing.
//
// Errors wrap ErrNotFound, ErrPlatform or ErrUnauthorized as Pin's do; an
// ErrUnauthorized from the push may follow uploaded blobs.
func Build(ctx context.Context, s BuildSpec, opts ...Option) (Result, error) {
	o := makeOptions(opts)
	if s.Platform.OS() != "linux" {
		return Result{}, fmt.Errorf("build: platform %s: aloft builds linux images", s.Platform)
	}
	if err := runnerbin.Check(s.Runner, s.Platform.Arch()); err != nil {
		return Result{}, fmt.Errorf("build: runner for %s: %w", s.Platform, err)
	}
	baseRef, base, err := resolve(ctx, s.Base, s.Platform, o, true)
	if err != nil {
		return Result{}, err
	}
	img, err := assemble(base, s)
	if err != nil {
		return Result{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return Result{}, registryError(s.Base, baseRef, "read", err)
	}
	res := Result{Base: baseRef.String(), Digest: digest.String()}
	if s.Repo == "" {
		return res, nil
	}
	repo, err := name.NewRepository(s.Repo)
	if err != nil {
		return Result{}, fmt.Errorf("build: repository %q: %w", s.Repo, err)
	}
	tag := repo.Tag("aloft-" + digest.Hex[:12])
	count := &countingTransport{inner: o.transport}
	if err := remote.Write(tag, img, o.remote(ctx, count)...); err != nil {
		return Result{}, registryError(tag.String(), tag, "push", err)
	}
	res.Ref = repo.Digest(digest.String()).String()
	res.Tag = tag.String()
	res.Uploaded = int(count.blobs.Load())
	res.Pushed = count.manifests.Load() > 0
	return res, nil
}

// assemble is the image Build pushes: base plus the runner and code layers
// and aloft's config.
func assemble(base v1.Image, s BuildSpec) (v1.Image, error) {
	mt, err := base.MediaType()
	if err != nil {
		return nil, fmt.Errorf("build: base %s: %w", s.Base, err)
	}
	layerType := types.DockerLayer
	if mt == types.OCIManifestSchema1 {
		layerType = types.OCILayer
	}
	cf, err := base.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("build: base %s: %w", s.Base, err)
	}
	cf = cf.DeepCopy()
	cf.Config.Entrypoint = []string{RunnerPath}
	cf.Config.Cmd = nil
	if s.CodeDir != "" {
		cf.Config.WorkingDir = CodeDir
	}
	cf.Config.Env = mergeEnv(cf.Config.Env, s.Env)
	if cf.OS == "" || cf.Architecture == "" {
		cf.OS, cf.Architecture, cf.Variant = s.Platform.OS(), s.Platform.Arch(), s.Platform.Variant()
	}
	img, err := mutate.ConfigFile(base, cf)
	if err != nil {
		return nil, fmt.Errorf("build: base %s: %w", s.Base, err)
	}

	rt, err := runnerTar(s.Runner)
	if err != nil {
		return nil, err
	}
	rl, err := layer(rt, layerType)
	if err != nil {
		return nil, fmt.Errorf("build: runner layer: %w", err)
	}
	created := v1.Time{Time: fixedTime()}
	adds := []mutate.Addendum{{Layer: rl, History: v1.History{Created: created, CreatedBy: "aloft: runner " + RunnerPath}}}
	if s.CodeDir != "" {
		ct, err := codeTar(s.CodeDir)
		if err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
		cl, err := layer(ct, layerType)
		if err != nil {
			return nil, fmt.Errorf("build: code layer: %w", err)
		}
		adds = append(adds, mutate.Addendum{Layer: cl, History: v1.History{Created: created, CreatedBy: "aloft: code " + CodeDir}})
	}
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	return img, nil
}

// mergeEnv sets add's variables over base's KEY=VALUE list: a key already
// there keeps its place, new keys follow in sorted order.
func mergeEnv(base []string, add map[string]string) []string {
	out := make([]string, 0, len(base)+len(add))
	seen := make(map[string]bool, len(add))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := add[k]; ok {
			kv, seen[k] = k+"="+v, true
		}
		out = append(out, kv)
	}
	keys := make([]string, 0, len(add))
	for k := range add {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, k+"="+add[k])
	}
	return out
}

// countingTransport counts completed blob uploads and manifest writes.
type countingTransport struct {
	inner            http.RoundTripper
	blobs, manifests atomic.Int32
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.inner.RoundTrip(req)
	if err != nil || resp.StatusCode/100 != 2 || req.Method != http.MethodPut {
		return resp, err
	}
	switch {
	case strings.Contains(req.URL.Path, "/blobs/uploads/"):
		c.blobs.Add(1)
	case strings.Contains(req.URL.Path, "/manifests/"):
		c.manifests.Add(1)
	}
	return resp, err
}
