package images

import (
	"context"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Option changes how Pin and Build talk to registries.
type Option func(*options)

type options struct {
	keychain  authn.Keychain
	transport http.RoundTripper
}

// WithKeychain sets where registry credentials come from. The default is
// authn.DefaultKeychain (the Docker config file and its credential
// helpers); for ECR use ecrauth.Keychain, which adds tokens from the AWS
// SDK.
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// WithTransport sets the HTTP transport (the default is remote.DefaultTransport).
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

func makeOptions(opts []Option) options {
	o := options{keychain: authn.DefaultKeychain, transport: remote.DefaultTransport}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// remote returns the go-containerregistry options for one call.
func (o options) remote(ctx context.Context, t http.RoundTripper) []remote.Option {
	if t == nil {
		t = o.transport
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.keychain), remote.WithTransport(t)}
}
