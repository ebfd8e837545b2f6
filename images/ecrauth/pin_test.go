package ecrauth_test

import (
	"context"
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/aloft-run/aloft/images"
	"github.com/aloft-run/aloft/images/ecrauth"
)

type tokenFunc func(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)

func (f tokenFunc) GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	return f(ctx, in, optFns...)
}

// toServer sends every request to the test server, whatever host it names.
type toServer struct{ host string }

func (t toServer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = "http", t.host
	return http.DefaultTransport.RoundTrip(req)
}

// TestPinFromECR pins an image in an "ECR" registry (the in-memory registry
// behind basic auth, reached through a transport that maps the ECR host to
// it) with a token from a fake GetAuthorizationToken: no network, no AWS.
func TestPinFromECR(t *testing.T) {
	const password = "ecr-token-password"
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var locked atomic.Bool
	locked.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); locked.Load() && (!ok || u != "AWS" || p != password) {
			w.Header().Set("WWW-Authenticate", `Basic realm="ecr"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	tr := toServer{strings.TrimPrefix(srv.URL, "http://")}

	host := "123456789012.dkr.ecr.us-west-2.amazonaws.com"
	img, _ := random.Image(256, 1)
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	img, _ = mutate.ConfigFile(img, cf)
	ref, _ := name.ParseReference(host + "/base:1")
	locked.Store(false)
	if err := remote.Write(ref, img, remote.WithTransport(tr)); err != nil {
		t.Fatal(err)
	}
	locked.Store(true)

	var regions []string
	kc := ecrauth.Keychain(func(region string) ecrauth.API {
		regions = append(regions, region)
		return tokenFunc(func(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
			tok := base64.StdEncoding.EncodeToString([]byte("AWS:" + password))
			return &ecr.GetAuthorizationTokenOutput{AuthorizationData: []types.AuthorizationData{{
				AuthorizationToken: aws.String(tok), ExpiresAt: aws.Time(time.Now().Add(12 * time.Hour))}}}, nil
		})
	})
	got, err := images.Pin(context.Background(), host+"/base:1", images.LinuxAMD64, images.WithKeychain(kc), images.WithTransport(tr))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	if want := host + "/base@" + d.String(); got != want {
		t.Errorf("Pin = %s, want %s", got, want)
	}
	if len(regions) != 1 || regions[0] != "us-west-2" {
		t.Errorf("token asked in regions %v, want [us-west-2]", regions)
	}
}
