package ecrauth

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// fakeECR answers GetAuthorizationToken with a token for a password, or an
// error, and counts calls per region.
type fakeECR struct {
	mu       sync.Mutex
	calls    map[string]int
	password string
	expires  time.Time
	err      error
}

func (f *fakeECR) client(region string) API {
	return apiFunc(func(ctx context.Context, in *ecr.GetAuthorizationTokenInput, _ ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.calls == nil {
			f.calls = map[string]int{}
		}
		f.calls[region]++
		if f.err != nil {
			return nil, f.err
		}
		tok := base64.StdEncoding.EncodeToString([]byte("AWS:" + f.password))
		return &ecr.GetAuthorizationTokenOutput{AuthorizationData: []types.AuthorizationData{{
			AuthorizationToken: aws.String(tok), ExpiresAt: aws.Time(f.expires),
			ProxyEndpoint: aws.String("https://123456789012.dkr.ecr." + region + ".amazonaws.com"),
		}}}, nil
	})
}

type apiFunc func(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)

func (f apiFunc) GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	return f(ctx, in, optFns...)
}

// fixedKeychain is a stand-in for the Docker config.
type fixedKeychain struct{ auth authn.Authenticator }

func (k fixedKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

func newTestKeychain(f *fakeECR, fallback authn.Keychain, now *time.Time) *keychain {
	k := Keychain(f.client).(*keychain)
	k.fallback = fallback
	k.now = func() time.Time { return *now }
	return k
}

func registry(t *testing.T, host string) name.Registry {
	t.Helper()
	r, err := name.NewRegistry(host)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func basic(t *testing.T, k authn.Keychain, host string) *authn.AuthConfig {
	t.Helper()
	a, err := k.Resolve(registry(t, host))
	if err != nil {
		t.Fatalf("Resolve(%s): %v", host, err)
	}
	if a == authn.Anonymous {
		return nil
	}
	c, err := a.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestKeychainTokens(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &fakeECR{password: "tok1", expires: now.Add(12 * time.Hour)}
	k := newTestKeychain(f, fixedKeychain{authn.Anonymous}, &now)
	host := "123456789012.dkr.ecr.eu-west-1.amazonaws.com"

	if c := basic(t, k, host); c == nil || c.Username != "AWS" || c.Password != "tok1" {
		t.Fatalf("ECR host: %+v, want AWS:tok1", c)
	}
	f.password = "tok2"
	now = now.Add(11 * time.Hour)
	if c := basic(t, k, host); c.Password != "tok1" {
		t.Errorf("within its life the token was fetched again: %+v", c)
	}
	now = now.Add(56 * time.Minute) // 4 minutes before expiry
	if c := basic(t, k, host); c.Password != "tok2" {
		t.Errorf("a token about to expire was kept: %+v", c)
	}
	if f.calls["eu-west-1"] != 2 || len(f.calls) != 1 {
		t.Errorf("calls %v, want 2 in eu-west-1", f.calls)
	}
	if c := basic(t, k, "index.docker.io"); c != nil {
		t.Errorf("a non-ECR host got %+v from the ECR keychain, want the fallback's anonymous", c)
	}
	if len(f.calls) != 1 {
		t.Errorf("a non-ECR host called ECR: %v", f.calls)
	}
}

func TestKeychainErrors(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &fakeECR{err: errors.New("no EC2 IMDS role found")}
	host := "123456789012.dkr.ecr.us-east-1.amazonaws.com"

	k := newTestKeychain(f, fixedKeychain{authn.Anonymous}, &now)
	_, err := k.Resolve(registry(t, host))
	if err == nil || !strings.Contains(err.Error(), "registry "+host+": getting an ECR token with the AWS SDK: no EC2 IMDS role found") {
		t.Errorf("Resolve with no AWS credentials = %v", err)
	}

	docker := authn.FromConfig(authn.AuthConfig{Username: "AWS", Password: "from-docker-login"})
	k = newTestKeychain(f, fixedKeychain{docker}, &now)
	if c := basic(t, k, host); c == nil || c.Password != "from-docker-login" {
		t.Errorf("with Docker config credentials and no AWS ones: %+v", c)
	}

	f.err = nil
	k = newTestKeychain(&fakeECR{password: "p", expires: now}, fixedKeychain{authn.Anonymous}, &now)
	k.clientFor = func(string) API {
		return apiFunc(func(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
			return &ecr.GetAuthorizationTokenOutput{AuthorizationData: []types.AuthorizationData{{AuthorizationToken: aws.String("%%%")}}}, nil
		})
	}
	if _, err := k.Resolve(registry(t, host)); err == nil || !strings.Contains(err.Error(), "decoding the ECR token") {
		t.Errorf("Resolve with a garbled token = %v", err)
	}
}

func TestParseHost(t *testing.T) {
	tests := []struct {
		host, account, region string
		ok                    bool
	}{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "123456789012", "us-east-1", true},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "123456789012", "us-gov-west-1", true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012", "cn-north-1", true},
		{"123456789012.dkr-ecr.eu-central-1.on.aws", "123456789012", "eu-central-1", true},
		{"public.ecr.aws", "", "", false},
		{"12345678901.dkr.ecr.us-east-1.amazonaws.com", "", "", false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example", "", "", false},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com:443", "", "", false},
		{"index.docker.io", "", "", false},
		{"localhost:5000", "", "", false},
	}
	for _, tt := range tests {
		a, r, ok := ParseHost(tt.host)
		if a != tt.account || r != tt.region || ok != tt.ok {
			t.Errorf("ParseHost(%s) = %q, %q, %v; want %q, %q, %v", tt.host, a, r, ok, tt.account, tt.region, tt.ok)
		}
	}
}
