package images

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Pin resolves image (a tag or digest reference, e.g. "python:3.11-slim")
// to "repository@sha256:..." for platform p, so that a run uses exactly
// the bytes that were registered.
//
// For a multi-platform image (an index) the digest is that of the
// platform's own manifest, not the index's: a job then pulls exactly those
// bytes, and the record says which platform was checked. For a
// single-platform image it is the image's digest, after checking the os
// and architecture in its config.
//
// Errors wrap ErrNotFound (no such tag, digest or repository),
// ErrPlatform (the image is not offered for p; the message lists what it
// offers) or ErrUnauthorized.
func Pin(ctx context.Context, image string, p Platform, opts ...Option) (string, error) {
	d, _, err := resolve(ctx, image, p, makeOptions(opts), false)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// resolve pins image for p and, when withImage, returns the platform's
// image too (its layers are fetched when read).
func resolve(ctx context.Context, image string, p Platform, o options, withImage bool) (name.Digest, v1.Image, error) {
	ref, err := name.ParseReference(image)
	if err != nil {
		return name.Digest{}, nil, fmt.Errorf("image %q: %w", image, err)
	}
	desc, err := remote.Get(ref, o.remote(ctx, nil)...)
	if err != nil {
		return name.Digest{}, nil, registryError(image, ref, "read", err)
	}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return name.Digest{}, nil, registryError(image, ref, "read", err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return name.Digest{}, nil, registryError(image, ref, "read", err)
		}
		var offered []string
		for _, m := range im.Manifests {
			if m.Platform == nil || !m.MediaType.IsImage() || m.Platform.OS == "unknown" {
				continue // attestations and nested indexes
			}
			if !p.offers(*m.Platform) {
				offered = append(offered, platformOf(*m.Platform))
				continue
			}
			pinned := ref.Context().Digest(m.Digest.String())
			if !withImage {
				return pinned, nil, nil
			}
			img, err := idx.Image(m.Digest)
			if err != nil {
				return name.Digest{}, nil, registryError(image, ref, "read", err)
			}
			return pinned, img, nil
		}
		return name.Digest{}, nil, platformError(image, p, offered)
	case desc.MediaType.IsImage():
		img, err := desc.Image()
		if err != nil {
			return name.Digest{}, nil, registryError(image, ref, "read", err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return name.Digest{}, nil, registryError(image, ref, "read", err)
		}
		have := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
		if have.OS == "" || have.Architecture == "" {
			return name.Digest{}, nil, &imageError{fmt.Sprintf("image %s does not say which platform it is for (its config has no os or architecture); aloft needs %s", image, p), ErrPlatform, nil}
		}
		if !p.offers(have) {
			return name.Digest{}, nil, platformError(image, p, []string{platformOf(have)})
		}
		return ref.Context().Digest(desc.Digest.String()), img, nil
	}
	return name.Digest{}, nil, fmt.Errorf("image %s: %s is neither an image manifest nor an index (Docker schema 1 images are not supported)", image, desc.MediaType)
}

// platformError says which platforms image offers instead of p.
func platformError(image string, p Platform, offered []string) error {
	slices.Sort(offered)
	offered = slices.Compact(offered)
	have := "no platform"
	if len(offered) > 0 {
		have = strings.Join(offered, ", ")
	}
	return &imageError{fmt.Sprintf("image %s offers %s, not %s", image, have, p), ErrPlatform, nil}
}
