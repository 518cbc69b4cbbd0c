package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Verifier turns a raw bearer token into the Principal it was issued to.
//
// Implementations return *apperr.Error values: KindUnauthenticated when the token
// is not acceptable and KindUnavailable when it cannot be checked right now.
type Verifier interface {
	Verify(ctx context.Context, rawToken string) (Principal, error)
}

const (
	// discoveryTimeout bounds one discovery attempt (document and first key set).
	discoveryTimeout = 10 * time.Second
	// httpTimeout bounds every request to the issuer (discovery and JWKS).
	httpTimeout = 10 * time.Second
)

// signingAlgs are the only algorithms accepted in a token's alg header.
var signingAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// OIDCVerifier verifies bearer JWTs issued by an OpenID Connect provider as
// access tokens for one audience:
//
//   - the signature, RS256 or ES256, with a key of the provider's JWKS (from
//     the jwks_uri of its discovery document; cached, and refetched at most
//     once per OIDCOptions.JWKSMinRefresh…JWKSMaxRefresh when a token names an
//     unknown key id, so forged tokens cannot make it hammer the issuer; see
//     keySet);
//   - iss (the issuer URL), aud (contains the audience), exp (required,
//     strictly), iat (required, not more than ClockSkew in the future), nbf
//     (when present, the same), exp - iat at most MaxTokenLifetime;
//   - that it is an access token: a JWT header typ other than "JWT" or
//     "at+jwt" (RFC 9068), or a typ claim other than "Bearer" (Keycloak's ID
//     and refresh tokens say "ID" and "Refresh"), is refused;
//   - its client: a token for several audiences must carry azp (OpenID
//     Connect Core 3.1.3.7), and with AllowedClients set, azp (or client_id)
//     must be one of them;
//   - sub, and at least one role Closeloop knows.
//
// Every refusal is an apperr KindUnauthenticated error (401, code
// "unauthenticated") whose Meta "reason" names the rule.
//
// Discovery is lazy and retrying, so a service can start while its issuer is
// briefly unreachable: construction only validates the configuration and starts
// one discovery attempt in the background. Until an attempt succeeds, Verify
// starts a new attempt (at most one at a time; concurrent callers share it) and
// answers 503 identity_provider_unavailable if it fails. An attempt fetches the
// discovery document and the key set; once one has succeeded its result is kept
// for the life of the verifier, and key rotation is handled by the key-set cache.
type OIDCVerifier struct {
	policy policy
	// base is the constructor's context with an HTTP client attached; it bounds
	// discovery attempts. Request contexts are not used for discovery, so one
	// cancelled request does not fail the attempt other requests wait for.
	base   context.Context
	client *http.Client
	clock  func() time.Time // time.Now; tests set their own

	mu      sync.Mutex
	keys    *keySet    // set once discovery succeeded
	pending *discovery // the attempt in flight, if any
}

// discovery is one attempt to fetch the provider configuration.
type discovery struct {
	done chan struct{} // closed when the attempt has finished
	keys *keySet
	err  error
}

// NewOIDCVerifier is [NewOIDCVerifierWith] with [DefaultOIDCOptions].
func NewOIDCVerifier(ctx context.Context, issuerURL, audience string) (*OIDCVerifier, error) {
	return NewOIDCVerifierWith(ctx, issuerURL, audience, DefaultOIDCOptions())
}

// NewOIDCVerifierWith returns a verifier for tokens issued by issuerURL (which
// must equal the iss claim and the issuer in the discovery document) for
// audience (which the aud claim must contain), applying opts. It does not wait
// for the issuer; see [OIDCVerifier] for how discovery is retried. ctx bounds
// the verifier's background work: once it is done no further discovery is
// attempted (tokens keep verifying if discovery had already succeeded). It
// fails only when the configuration is invalid, e.g. an http:// issuer that
// [CheckIssuerURL] refuses.
func NewOIDCVerifierWith(ctx context.Context, issuerURL, audience string, opts OIDCOptions) (*OIDCVerifier, error) {
	return newOIDCVerifier(ctx, issuerURL, audience, opts, time.Now)
}

// newOIDCVerifier is NewOIDCVerifierWith reading the time from now.
func newOIDCVerifier(ctx context.Context, issuerURL, audience string, opts OIDCOptions, now func() time.Time) (*OIDCVerifier, error) {
	if err := CheckIssuerURL(issuerURL, opts.AllowInsecureIssuer); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if audience == "" {
		return nil, errors.New("auth: audience must not be empty")
	}
	opts, err := opts.normalized()
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	client := &http.Client{Timeout: httpTimeout}
	v := &OIDCVerifier{
		policy: policy{issuer: issuerURL, audience: audience, opts: opts},
		base:   oidc.ClientContext(ctx, client),
		client: client,
		clock:  now,
	}
	v.mu.Lock()
	v.startDiscoveryLocked()
	v.mu.Unlock()
	return v, nil
}

// Verify checks rawToken and returns its principal. Only the roles Closeloop
// knows are kept; a token with none of them is rejected, as is one without
// sub, and a service's token (the role service: VerifyService).
func (v *OIDCVerifier) Verify(ctx context.Context, rawToken string) (Principal, error) {
	reg, c, err := v.signed(ctx, rawToken)
	if err != nil {
		return Principal{}, err
	}
	if err := v.policy.checkClaims(v.now(), reg, c); err != nil {
		return Principal{}, err
	}
	return principalFromClaims(reg.Subject, c)
}

// signed checks rawToken's form, header type and signature, and returns its
// claims, not yet checked.
func (v *OIDCVerifier) signed(ctx context.Context, rawToken string) (jwt.Claims, tokenClaims, error) {
	var (
		reg jwt.Claims
		c   tokenClaims
	)
	if rawToken == "" {
		return reg, c, errTokenMissing
	}
	keys, err := v.keySet(ctx)
	if err != nil {
		return reg, c, errIssuerDown.Wrap(err)
	}
	tok, err := jwt.ParseSigned(rawToken, signingAlgs)
	if err != nil || len(tok.Headers) != 1 {
		// go-jose's messages may quote header fields: log a fixed cause.
		return reg, c, invalid("malformed", errors.New("not a compact JWS signed with RS256 or ES256"))
	}
	h := tok.Headers[0]
	if err := checkHeaderType(h.ExtraHeaders[jose.HeaderType]); err != nil {
		return reg, c, err
	}
	// tok.Claims without destinations only checks the signature.
	err = keys.verify(ctx, h.KeyID, h.Algorithm, func(key any) error { return tok.Claims(key) })
	switch {
	case errors.Is(err, errUnknownKey):
		return reg, c, invalid("unknown_key", fmt.Errorf("kid %q: %w", clip(h.KeyID), err))
	case err != nil && ctx.Err() != nil:
		return reg, c, invalid("cancelled", ctx.Err())
	case err != nil:
		return reg, c, invalid("signature", fmt.Errorf("kid %q: %w", clip(h.KeyID), err))
	}
	// The signature of this very token has been verified above.
	if err := tok.UnsafeClaimsWithoutVerification(&reg, &c); err != nil {
		return reg, c, invalid("claims", err)
	}
	return reg, c, nil
}

func (v *OIDCVerifier) now() time.Time { return v.clock() }

// clip shortens a value taken from a token (a key id) for a log line.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// keySet returns the issuer's key set, running (or joining) a discovery
// attempt when there is none yet.
func (v *OIDCVerifier) keySet(ctx context.Context) (*keySet, error) {
	v.mu.Lock()
	if v.keys != nil {
		keys := v.keys
		v.mu.Unlock()
		return keys, nil
	}
	d := v.startDiscoveryLocked()
	v.mu.Unlock()
	select {
	case <-d.done:
		return d.keys, d.err
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

// discover fetches the discovery document and the key set, and records the
// outcome.
func (v *OIDCVerifier) discover(d *discovery) {
	ctx, cancel := context.WithTimeout(v.base, discoveryTimeout)
	defer cancel()
	keys, err := v.fetchProvider(ctx)

	v.mu.Lock()
	if err != nil {
		d.err = fmt.Errorf("oidc discovery at %s: %w", v.policy.issuer, err)
	} else {
		v.keys, d.keys = keys, keys
	}
	v.pending = nil
	v.mu.Unlock()
	close(d.done)
}

// fetchProvider reads the discovery document (go-oidc checks that its issuer
// is ours) and loads the key set its jwks_uri names.
func (v *OIDCVerifier) fetchProvider(ctx context.Context) (*keySet, error) {
	provider, err := oidc.NewProvider(ctx, v.policy.issuer)
	if err != nil {
		return nil, err
	}
	var doc struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := provider.Claims(&doc); err != nil {
		return nil, err
	}
	if err := CheckIssuerURL(doc.JWKSURL, v.policy.opts.AllowInsecureIssuer); err != nil {
		return nil, fmt.Errorf("jwks_uri: %w", err)
	}
	o := v.policy.opts
	keys := newKeySet(doc.JWKSURL, v.client, o.JWKSMinRefresh, o.JWKSMaxRefresh, v.now)
	if err := keys.load(ctx); err != nil {
		return nil, err
	}
	return keys, nil
}
