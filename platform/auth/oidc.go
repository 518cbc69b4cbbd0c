package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Verifier turns a raw bearer token into the Principal it was issued to.
//
// Implementations return *apperr.Error values: KindUnauthenticated when the token
// is not acceptable and KindUnavailable when it cannot be checked right now.
type Verifier interface {
	Verify(ctx context.Context, rawToken string) (Principal, error)
}

// The errors a verifier returns. Their messages are safe to show to clients: they
// never contain any part of the token. The underlying cause is wrapped for logs.
var (
	errTokenMissing   = apperr.Unauthenticated("unauthenticated", "a bearer token is required")
	errTokenMalformed = apperr.Unauthenticated("unauthenticated", "the Authorization header must be of the form 'Bearer <token>'")
	errTokenInvalid   = apperr.Unauthenticated("unauthenticated", "the bearer token is invalid")
	errTokenExpired   = apperr.Unauthenticated("unauthenticated", "the bearer token has expired")
	errTokenNoRole    = apperr.Unauthenticated("unauthenticated", "the bearer token grants no Closeloop role")
	errIssuerDown     = apperr.Unavailable("identity_provider_unavailable", "the identity provider cannot be reached; retry shortly")
)

const (
	// discoveryTimeout bounds one discovery attempt.
	discoveryTimeout = 10 * time.Second
	// httpTimeout bounds every request to the issuer (discovery and JWKS).
	httpTimeout = 10 * time.Second
)

// OIDCVerifier verifies bearer JWTs issued by an OpenID Connect provider: the
// signature against the provider's JWKS (fetched from the jwks_uri of its
// discovery document, cached, and refetched when a token names an unknown key
// id), the algorithm (RS256 or ES256), iss, aud and exp.
//
// Discovery is lazy and retrying, so a service can start while its issuer is
// briefly unreachable: construction only validates the configuration and starts
// one discovery attempt in the background. Until an attempt succeeds, Verify
// starts a new attempt (at most one at a time; concurrent callers share it) and
// answers 503 identity_provider_unavailable if it fails. Once discovery has
// succeeded its result is kept for the life of the verifier; key rotation is
// handled by the JWKS cache.
type OIDCVerifier struct {
	issuerURL string
	audience  string
	// base is the constructor's context with an HTTP client attached; it bounds
	// discovery attempts. Request contexts are not used for discovery, so one
	// cancelled request does not fail the attempt other requests wait for.
	base context.Context

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier // set once discovery succeeded
	pending  *discovery            // the attempt in flight, if any
}

// discovery is one attempt to fetch the provider configuration.
type discovery struct {
	done     chan struct{} // closed when the attempt has finished
	verifier *oidc.IDTokenVerifier
	err      error
}

// NewOIDCVerifier returns a verifier for tokens issued by issuerURL (which must
// equal the iss claim and the issuer in the discovery document) for audience
// (which the aud claim must contain). It does not wait for the issuer; see
// [OIDCVerifier] for how discovery is retried. ctx bounds the verifier's
// background work: once it is done no further discovery is attempted (tokens
// keep verifying if discovery had already succeeded). It fails only when the
// configuration is invalid.
func NewOIDCVerifier(ctx context.Context, issuerURL, audience string) (*OIDCVerifier, error) {
	u, err := url.Parse(issuerURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("auth: issuer URL %q must be an absolute http(s) URL", issuerURL)
	}
	if audience == "" {
		return nil, errors.New("auth: audience must not be empty")
	}
	v := &OIDCVerifier{
		issuerURL: issuerURL,
		audience:  audience,
		base:      oidc.ClientContext(ctx, &http.Client{Timeout: httpTimeout}),
	}
	v.mu.Lock()
	v.startDiscoveryLocked()
	v.mu.Unlock()
	return v, nil
}

// Verify checks rawToken and returns its principal. Only the roles Closeloop
// knows are kept; a token with none of them is rejected, as is one without sub.
func (v *OIDCVerifier) Verify(ctx context.Context, rawToken string) (Principal, error) {
	if rawToken == "" {
		return Principal{}, errTokenMissing
	}
	idv, err := v.idTokenVerifier(ctx)
	if err != nil {
		return Principal{}, errIssuerDown.Wrap(err)
	}
	tok, err := idv.Verify(ctx, rawToken)
	if err != nil {
		if _, expired := errors.AsType[*oidc.TokenExpiredError](err); expired {
			return Principal{}, errTokenExpired.Wrap(err)
		}
		return Principal{}, errTokenInvalid.Wrap(err)
	}
	var c tokenClaims
	if err := tok.Claims(&c); err != nil {
		return Principal{}, errTokenInvalid.Wrap(err)
	}
	return principalFromClaims(tok.Subject, c)
}

// tokenClaims are the claims Closeloop reads beyond the registered ones.
type tokenClaims struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
	Teams []string `json:"teams"`
}

func principalFromClaims(subject string, c tokenClaims) (Principal, error) {
	if subject == "" {
		return Principal{}, errTokenInvalid.Wrap(errors.New("token has no sub claim"))
	}
	p := Principal{Subject: subject, Name: c.Name}
	for _, name := range c.Roles {
		if r := Role(name); r.Known() && !slices.Contains(p.Roles, r) {
			p.Roles = append(p.Roles, r)
		}
	}
	if len(p.Roles) == 0 {
		return Principal{}, errTokenNoRole
	}
	for _, t := range c.Teams {
		if t != "" && !slices.Contains(p.Teams, t) {
			p.Teams = append(p.Teams, t)
		}
	}
	return p, nil
}

// idTokenVerifier returns the go-oidc verifier, running (or joining) a discovery
// attempt when there is none yet.
func (v *OIDCVerifier) idTokenVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	if v.verifier != nil {
		idv := v.verifier
		v.mu.Unlock()
		return idv, nil
	}
	d := v.startDiscoveryLocked()
	v.mu.Unlock()
	select {
	case <-d.done:
		return d.verifier, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// startDiscoveryLocked returns the attempt in flight, starting one if there is
// none. v.mu must be held.
func (v *OIDCVerifier) startDiscoveryLocked() *discovery {
	if v.pending != nil {
		return v.pending
	}
	d := &discovery{done: make(chan struct{})}
	v.pending = d
	go v.discover(d)
	return d
}

// discover fetches the discovery document and records the outcome.
func (v *OIDCVerifier) discover(d *discovery) {
	ctx, cancel := context.WithTimeout(v.base, discoveryTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(ctx, v.issuerURL)

	v.mu.Lock()
	if err != nil {
		d.err = fmt.Errorf("oidc discovery at %s: %w", v.issuerURL, err)
	} else {
		v.verifier = provider.Verifier(&oidc.Config{
			ClientID:             v.audience,
			SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256},
		})
		d.verifier = v.verifier
	}
	v.pending = nil
	v.mu.Unlock()
	close(d.done)
}
