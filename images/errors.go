package images

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Errors callers can branch on with errors.Is. Each arrives wrapped in a
// message that names the image and the registry. None of them means
// anything was written: Pin only reads, and Build reads the base before it
// pushes. An ErrUnauthorized from Build's push may follow uploaded blobs,
// which are harmless (content-addressed) and reused by the next try.
var (
	// ErrNotFound: the registry has no such tag, digest or repository.
	ErrNotFound = errors.New("image not found")
	// ErrPlatform: the image exists but not for the platform asked.
	ErrPlatform = errors.New("platform not offered")
	// ErrUnauthorized: the registry refused the credentials (or their
	// absence). Registries such as Docker Hub also answer this way for a
	// repository that does not exist.
	ErrUnauthorized = errors.New("registry refused access")
)

// imageError is a message for people plus the sentinel and cause for code.
type imageError struct {
	msg   string
	kind  error
	cause error
}

func (e *imageError) Error() string { return e.msg }

func (e *imageError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// registryError explains a failed registry call about image (as the user
// wrote it; ref is its parsed form). access is "read" or "push".
func registryError(image string, ref name.Reference, access string, err error) error {
	reg := ref.Context().RegistryStr()
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return fmt.Errorf("image %s: %w", image, err)
	}
	switch {
	case hasCode(terr, transport.NameUnknownErrorCode):
		return &imageError{fmt.Sprintf("image %s: repository %s not found in registry %s", image, ref.Context().RepositoryStr(), reg), ErrNotFound, err}
	case hasCode(terr, transport.ManifestUnknownErrorCode) || terr.StatusCode == http.StatusNotFound:
		if d, ok := ref.(name.Digest); ok {
			return &imageError{fmt.Sprintf("image %s: digest %s not found in registry %s", image, d.DigestStr(), reg), ErrNotFound, err}
		}
		return &imageError{fmt.Sprintf("image %s: tag %q not found in registry %s", image, ref.Identifier(), reg), ErrNotFound, err}
	case hasCode(terr, transport.UnauthorizedErrorCode) || hasCode(terr, transport.DeniedErrorCode) ||
		terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden:
		return &imageError{fmt.Sprintf("image %s: registry %s refused %s access (%d %s): log in with `docker login %s`, or for ECR check the AWS credentials; "+
			"some registries answer this way for a repository that does not exist", image, reg, access, terr.StatusCode, http.StatusText(terr.StatusCode), reg), ErrUnauthorized, err}
	}
	return fmt.Errorf("image %s: registry %s: %w", image, reg, err)
}

func hasCode(e *transport.Error, code transport.ErrorCode) bool {
	for _, d := range e.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}
