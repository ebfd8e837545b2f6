package images

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// staticKeychain gives every registry the same credentials.
type staticKeychain authn.AuthConfig

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig(k)), nil
}

func TestAuth(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	reg.pushBase(t, "private:1", LinuxAMD64)
	reg.password.Store("s3cret")
	image := reg.host + "/private:1"

	noCreds := WithKeychain(authn.NewMultiKeychain())
	_, err := Pin(ctx, image, LinuxAMD64, noCreds)
	if !errors.Is(err, ErrUnauthorized) || !strings.HasPrefix(err.Error(), "image "+image+": registry "+reg.host+" refused read access (401 Unauthorized)") {
		t.Errorf("Pin without credentials = %v", err)
	}
	_, err = Pin(ctx, image, LinuxAMD64, WithKeychain(staticKeychain{Username: "aloft", Password: "wrong"}))
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Pin with a wrong password = %v", err)
	}
	creds := WithKeychain(staticKeychain{Username: "aloft", Password: "s3cret"})
	if _, err := Pin(ctx, image, LinuxAMD64, creds); err != nil {
		t.Errorf("Pin with credentials = %v", err)
	}
	res, err := Build(ctx, BuildSpec{Base: image, CodeDir: codeDir(t, taskCode), Runner: fakeRunner("amd64"),
		Platform: LinuxAMD64, Repo: reg.host + "/tasks"}, creds)
	if err != nil || !res.Pushed {
		t.Errorf("Build with credentials = %+v, %v", res, err)
	}
}
