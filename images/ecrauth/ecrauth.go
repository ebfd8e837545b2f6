package ecrauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
)

// API is the one ECR call the keychain makes; *ecr.Client has it.
type API interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

var _ API = (*ecr.Client)(nil)

// Clients returns a function that makes an ECR client for a region from cfg
// (its credentials, retries and endpoint settings).
func Clients(cfg aws.Config) func(region string) API {
	return func(region string) API {
		return ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Region = region })
	}
}

// New is Keychain(Clients(cfg)): the keychain to pass to images.WithKeychain
// when the caller has an AWS config (from config.LoadDefaultConfig).
func New(cfg aws.Config) authn.Keychain { return Keychain(Clients(cfg)) }

// Keychain returns a keychain that resolves ECR hosts with tokens from the
// client clientFor returns for the host's region, and other hosts with
// authn.DefaultKeychain. Tokens are kept until five minutes before they
// expire (ECR's last 12 hours). When no token can be had for an ECR host,
// credentials from the Docker config are used if it has any; otherwise the
// error says what failed.
func Keychain(clientFor func(region string) API) authn.Keychain {
	return &keychain{clientFor: clientFor, fallback: authn.DefaultKeychain, now: time.Now, tokens: map[string]token{}}
}

type keychain struct {
	clientFor func(region string) API
	fallback  authn.Keychain
	now       func() time.Time

	mu     sync.Mutex
	tokens map[string]token // by registry host
}

type token struct {
	user, password string
	expires        time.Time
}

// refreshBefore is how long before its expiry a token is replaced.
const refreshBefore = 5 * time.Minute

var (
	_ authn.Keychain        = (*keychain)(nil)
	_ authn.ContextKeychain = (*keychain)(nil)
)

// Resolve implements authn.Keychain.
func (k *keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), r)
}

// ResolveContext implements authn.ContextKeychain.
func (k *keychain) ResolveContext(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	host := r.RegistryStr()
	_, region, ok := ParseHost(host)
	if !ok {
		return authn.Resolve(ctx, k.fallback, r)
	}
	tok, err := k.token(ctx, host, region)
	if err != nil {
		if auth, ferr := authn.Resolve(ctx, k.fallback, r); ferr == nil && auth != authn.Anonymous {
			return auth, nil
		}
		return nil, fmt.Errorf("registry %s: getting an ECR token with the AWS SDK: %w", host, err)
	}
	return authn.FromConfig(authn.AuthConfig{Username: tok.user, Password: tok.password}), nil
}

// token returns a cached token for host or asks ECR for one.
func (k *keychain) token(ctx context.Context, host, region string) (token, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if t, ok := k.tokens[host]; ok && k.now().Before(t.expires.Add(-refreshBefore)) {
		return t, nil
	}
	out, err := k.clientFor(region).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return token{}, err
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return token{}, errors.New("ECR returned no authorization data")
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
	if err != nil {
		return token{}, fmt.Errorf("decoding the ECR token: %w", err)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok {
		return token{}, errors.New("decoding the ECR token: no user:password in it")
	}
	t := token{user: user, password: password, expires: k.now().Add(time.Hour)}
	if d.ExpiresAt != nil {
		t.expires = *d.ExpiresAt
	}
	k.tokens[host] = t
	return t, nil
}

// ParseHost reports whether host is a private ECR registry and, if so, its
// account and region: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn] or
// ACCOUNT.dkr-ecr[-fips].REGION.on.aws.
func ParseHost(host string) (account, region string, ok bool) {
	p := strings.Split(host, ".")
	if len(p) < 4 || len(p[0]) != 12 || strings.Trim(p[0], "0123456789") != "" {
		return "", "", false
	}
	account = p[0]
	var rest []string
	switch {
	case len(p) >= 5 && p[1] == "dkr" && (p[2] == "ecr" || p[2] == "ecr-fips"):
		region, rest = p[3], p[4:]
	case p[1] == "dkr-ecr" || p[1] == "dkr-ecr-fips":
		region, rest = p[2], p[3:]
	default:
		return "", "", false
	}
	switch strings.Join(rest, ".") {
	case "amazonaws.com", "amazonaws.com.cn", "on.aws":
	default:
		return "", "", false
	}
	if region == "" || strings.Trim(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return "", "", false
	}
	return account, region, true
}
