package auth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// OIDCOptions are the rules an [OIDCVerifier] applies beyond signature, issuer,
// audience and expiry, and the limits of its key-set cache. Services read them
// from the environment with their configuration (platform/service Config.OIDC);
// [DefaultOIDCOptions] returns the defaults below.
type OIDCOptions struct {
	// AllowInsecureIssuer accepts an http:// issuer (and jwks_uri) on a host
	// that is not a loopback address. Without it only https:// and loopback
	// http:// (127.0.0.0/8, ::1, localhost: make run, tests) are accepted.
	AllowInsecureIssuer bool `env:"OIDC_ALLOW_INSECURE_ISSUER" default:"false" help:"accept an http:// OIDC issuer that is not on a loopback address (e.g. an in-cluster issuer without TLS); its keys then travel unauthenticated"`
	// AllowedClients, when not empty, are the only clients whose tokens are
	// accepted: the token's azp (or RFC 9068 client_id) must be one of them.
	// Empty: any client, but a token for several audiences must still name
	// its client in azp.
	AllowedClients []string `env:"OIDC_ALLOWED_CLIENTS" help:"OIDC clients (azp, or client_id) whose tokens are accepted, comma separated; empty: any, but a token for several audiences must carry azp"`
	// MaxTokenLifetime bounds exp - iat.
	MaxTokenLifetime time.Duration `env:"OIDC_MAX_TOKEN_LIFETIME" default:"24h" help:"refuse tokens whose lifetime (exp - iat) is longer"`
	// ClockSkew is how far in the future iat and nbf may be (the issuer's
	// clock running ahead of ours).
	ClockSkew time.Duration `env:"OIDC_CLOCK_SKEW" default:"60s" help:"how far in the future a token's iat and nbf may lie (clock skew with the issuer)"`
	// JWKSMinRefresh is the least time between two fetches of the issuer's
	// key set: a token naming an unknown key id makes the verifier refetch
	// the set only if the last fetch is at least this old.
	JWKSMinRefresh time.Duration `env:"OIDC_JWKS_MIN_REFRESH" default:"30s" help:"least time between two fetches of the issuer's key set (a token with an unknown key id triggers one)"`
	// JWKSMaxRefresh caps the wait between fetches: each refetch that finds
	// no new key doubles the wait, from JWKSMinRefresh up to this.
	JWKSMaxRefresh time.Duration `env:"OIDC_JWKS_MAX_REFRESH" default:"5m" help:"longest wait between key-set fetches: each fetch that finds no new key doubles the wait up to this"`
}

// DefaultOIDCOptions returns the options with their documented defaults.
func DefaultOIDCOptions() OIDCOptions {
	return OIDCOptions{
		MaxTokenLifetime: 24 * time.Hour,
		ClockSkew:        60 * time.Second,
		JWKSMinRefresh:   30 * time.Second,
		JWKSMaxRefresh:   5 * time.Minute,
	}
}

// normalized returns o with zero durations (a Config built in Go rather than
// from the environment) replaced by their defaults, or an error for values
// that make no sense. A zero ClockSkew stays zero.
func (o OIDCOptions) normalized() (OIDCOptions, error) {
	d := DefaultOIDCOptions()
	if o.MaxTokenLifetime == 0 {
		o.MaxTokenLifetime = d.MaxTokenLifetime
	}
	if o.JWKSMinRefresh == 0 {
		o.JWKSMinRefresh = d.JWKSMinRefresh
	}
	if o.JWKSMaxRefresh == 0 {
		o.JWKSMaxRefresh = max(d.JWKSMaxRefresh, o.JWKSMinRefresh)
	}
	var errs []error
	if o.MaxTokenLifetime < 0 {
		errs = append(errs, errors.New("OIDC_MAX_TOKEN_LIFETIME must be positive"))
	}
	if o.ClockSkew < 0 {
		errs = append(errs, errors.New("OIDC_CLOCK_SKEW must not be negative"))
	}
	if o.JWKSMinRefresh < 0 || o.JWKSMaxRefresh < o.JWKSMinRefresh {
		errs = append(errs, errors.New("OIDC_JWKS_MIN_REFRESH must be positive and at most OIDC_JWKS_MAX_REFRESH"))
	}
	var clients []string
	for _, c := range o.AllowedClients {
		if c = strings.TrimSpace(c); c != "" {
			clients = append(clients, c)
		}
	}
	o.AllowedClients = clients
	return o, errors.Join(errs...)
}

// CheckIssuerURL reports whether rawURL may be used as an OIDC issuer (or key
// set) URL: an absolute https URL, or an http URL whose host is a loopback
// address (127.0.0.0/8, ::1, localhost), or any http URL when allowInsecure
// is set. Over plain http across a network, whoever sits in between can serve
// their own key set and have their own tokens accepted.
func CheckIssuerURL(rawURL string, allowInsecure bool) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("issuer URL %q must be an absolute https URL", rawURL)
	}
	if u.Scheme == "http" && !allowInsecure && !isLoopback(u.Hostname()) {
		return fmt.Errorf("issuer URL %q is not https: its signing keys would be fetched without TLS, so anyone on the path "+
			"could have forged tokens accepted; use https, or set OIDC_ALLOW_INSECURE_ISSUER=true for an issuer reached "+
			"only over a network you trust (e.g. inside the cluster)", rawURL)
	}
	return nil
}

// isLoopback reports whether host names this machine: localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
