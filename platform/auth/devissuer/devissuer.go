// Package devissuer is a minimal OpenID Connect issuer for development and
// tests: it serves a discovery document and a JWKS, mints signed JWTs for any
// principal through its Go API ([Issuer.Mint]), and signs users in with the
// authorization-code flow with PKCE, so that a browser application such as the
// web console can be tried without a real identity provider. `make run` uses it,
// and tests use it to obtain tokens for each role.
//
// # How the dev login works
//
// A client is registered in Go with [Issuer.RegisterClient] (a public client:
// PKCE S256, no secret). It sends the browser to /authorize with
// response_type=code, its client_id, a registered redirect_uri, a scope with
// openid (profile and offline_access are also known), a state, a nonce and an
// S256 code_challenge. The issuer answers with a login page that lists every
// development user ([DevUsers]) as a button; there is no password. Choosing one
// redirects (303) to the redirect URI with a one-time code valid for 60
// seconds, which the client exchanges at /token with its code_verifier for an
// access token (a JWT like Mint's, audience [Audience], which the services
// verify, with the client in client_id), an ID token (audience the client id, with nonce, roles, teams and,
// with the profile scope, name and zoneinfo) and a refresh token (opaque,
// rotated on every use). /logout is the end-session endpoint. Lifetimes are 15
// minutes for access and ID tokens and 12 hours for refresh tokens (sliding:
// each refresh starts a new 12 hours); [Issuer.SetTokenTTL] changes them. With
// golang.org/x/oauth2, set Endpoint.AuthStyle to oauth2.AuthStyleInParams (the
// client has no secret; the auto-detected style works too, with a second
// request whenever the first is refused).
//
// A service client, registered with a secret by [Issuer.RegisterServiceClient],
// obtains access tokens for itself with the client credentials grant instead
// (service.go).
//
// A request naming an unregistered client or redirect URI gets an error page,
// never a redirect; any other fault in an authorization request is sent back
// to the redirect URI as error and state (RFC 6749 section 4.1.2.1), and the
// token endpoint answers RFC 6749 JSON errors. A code exchanged twice is
// refused and the refresh tokens issued for it are revoked; so is a rotated
// refresh token presented again, with the rest of its sign-in.
//
// The issuer keeps no browser session: every authorization shows the login page
// again, and signing out only ends the refresh tokens of the user and client an
// id_token_hint names. Codes and refresh tokens live in memory and are lost on
// restart (clients then sign in again); issued JWTs stay valid until they expire.
//
// It has no passwords and no access control: anyone who can reach the process
// can sign in as any development user, and anyone with its Go API can mint
// tokens. Never deploy it or point a production service at it.
package devissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/closeloop/closeloop/platform/auth"
)

// Paths the issuer serves, relative to its URL.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/jwks.json"
	AuthorizePath = "/authorize"
	TokenPath     = "/token"
	LogoutPath    = "/logout"
)

// Audience is the aud claim of the access tokens the token endpoint issues: the
// audience the Closeloop services verify (the default of OIDC_AUDIENCE).
const Audience = "closeloop"

// Issuer signs tokens with one key and publishes that key. Its methods are safe
// for concurrent use.
type Issuer struct {
	url    string
	alg    jose.SignatureAlgorithm
	public jose.JSONWebKey
	signer jose.Signer                      // ID tokens: typ JWT
	access jose.Signer                      // access tokens: typ at+jwt (RFC 9068)
	clock  atomic.Pointer[func() time.Time] // time.Now; tests move it

	mu         sync.Mutex
	clients    map[string][]string // client id → registered redirect URIs
	services   map[string][32]byte // service client id → SHA-256 of its secret
	accessTTL  time.Duration
	refreshTTL time.Duration
	codes      map[string]*authCode
	refresh    map[string]*refreshToken
}

// New returns an issuer for issuerURL with a fresh RSA 2048 key. issuerURL is the
// iss claim and must be the URL the Handler is served at (verifiers fetch
// issuerURL + "/.well-known/openid-configuration").
func New(issuerURL string) (*Issuer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("devissuer: generate key: %w", err)
	}
	return newIssuer(issuerURL, key)
}

// NewWithKeyFile is New with the key kept in the PEM file at path: it is loaded
// if the file exists, otherwise generated and written there (mode 0600), so that
// tokens minted earlier stay valid across restarts. The file holds a PKCS#8
// "PRIVATE KEY" (RSA or ECDSA P-256); a PKCS#1 "RSA PRIVATE KEY" is accepted too.
func NewWithKeyFile(issuerURL, path string) (*Issuer, error) {
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		key, err := parseKey(data)
		if err != nil {
			return nil, fmt.Errorf("devissuer: key file %s: %w", path, err)
		}
		return newIssuer(issuerURL, key)
	case errors.Is(err, fs.ErrNotExist):
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("devissuer: generate key: %w", err)
		}
		if err := writeKey(path, key); err != nil {
			return nil, fmt.Errorf("devissuer: key file %s: %w", path, err)
		}
		return newIssuer(issuerURL, key)
	default:
		return nil, fmt.Errorf("devissuer: key file: %w", err)
	}
}

func newIssuer(issuerURL string, key crypto.Signer) (*Issuer, error) {
	u, err := url.Parse(issuerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("devissuer: issuer URL %q must be an absolute http(s) URL", issuerURL)
	}
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *rsa.PrivateKey:
		alg = jose.RS256
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("devissuer: only ECDSA keys on P-256 are supported")
		}
		alg = jose.ES256
	default:
		return nil, fmt.Errorf("devissuer: unsupported key type %T", key)
	}
	public := jose.JSONWebKey{Key: key.Public(), Algorithm: string(alg), Use: "sig"}
	thumb, err := public.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("devissuer: key id: %w", err)
	}
	public.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	signingKey := jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: public.KeyID, Algorithm: string(alg)}}
	signer, err := jose.NewSigner(signingKey, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("devissuer: signer: %w", err)
	}
	access, err := jose.NewSigner(signingKey, (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		return nil, fmt.Errorf("devissuer: signer: %w", err)
	}
	i := &Issuer{
		url: issuerURL, alg: alg, public: public, signer: signer, access: access,
		clients:   map[string][]string{},
		services:  map[string][32]byte{},
		accessTTL: defaultAccessTTL, refreshTTL: defaultRefreshTTL,
		codes: map[string]*authCode{}, refresh: map[string]*refreshToken{},
	}
	now := time.Now
	i.clock.Store(&now)
	return i, nil
}

func (i *Issuer) now() time.Time { return (*i.clock.Load())() }

// endpoint returns the absolute URL of path on this issuer.
func (i *Issuer) endpoint(path string) string { return strings.TrimSuffix(i.url, "/") + path }

// URL returns the issuer URL (the iss claim).
func (i *Issuer) URL() string { return i.url }

// KeyID returns the kid of the signing key.
func (i *Issuer) KeyID() string { return i.public.KeyID }

// Handler serves the discovery document at /.well-known/openid-configuration,
// the public key set at /jwks.json, the login page at /authorize, the token
// endpoint at /token and the end-session endpoint at /logout.
func (i *Issuer) Handler() http.Handler {
	discovery := map[string]any{
		"issuer":                                i.url,
		"jwks_uri":                              i.endpoint(JWKSPath),
		"authorization_endpoint":                i.endpoint(AuthorizePath),
		"token_endpoint":                        i.endpoint(TokenPath),
		"end_session_endpoint":                  i.endpoint(LogoutPath),
		"id_token_signing_alg_values_supported": []string{string(i.alg)},
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"none", "client_secret_basic", "client_secret_post"},
		"scopes_supported":                      supportedScopes,
		"subject_types_supported":               []string{"public"},
		"claims_supported": []string{
			"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "name", "zoneinfo", "roles", "teams",
		},
	}
	jwks := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{i.public}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DiscoveryPath, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, discovery) })
	mux.HandleFunc("GET "+JWKSPath, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, jwks) })
	mux.HandleFunc("GET "+AuthorizePath, i.showLogin)
	// The login form is only ever posted from the login page itself.
	mux.Handle("POST "+AuthorizePath, http.NewCrossOriginProtection().Handler(http.HandlerFunc(i.login)))
	mux.HandleFunc("POST "+TokenPath, i.token)
	mux.HandleFunc("GET "+LogoutPath, i.logout)
	mux.HandleFunc("POST "+LogoutPath, i.logout)
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

// devClaims are the Closeloop claims Mint adds to the registered ones, and
// the client an access token from the token endpoint was issued to.
type devClaims struct {
	Name     string   `json:"name,omitempty"`
	Roles    []string `json:"roles"`
	Teams    []string `json:"teams"`
	ClientID string   `json:"client_id,omitempty"`
}

// Mint returns a signed access token (a JWT with header typ "at+jwt", RFC 9068)
// for p: iss, sub (p.Subject), aud (audience), iat (now), exp (now + ttl; a
// negative ttl gives an expired token), jti (random, so no two tokens are
// equal), name, roles and teams, with the key id in the kid header. Roles are
// written as given, unknown ones included, so tests can mint tokens verifiers
// must refuse. The services accept lifetimes up to OIDC_MAX_TOKEN_LIFETIME
// (24 hours by default).
func (i *Issuer) Mint(p auth.Principal, audience string, ttl time.Duration) (string, error) {
	return i.mint(p, audience, ttl, "")
}

// mint is Mint with the client_id claim of a token endpoint's access token.
func (i *Issuer) mint(p auth.Principal, audience string, ttl time.Duration, clientID string) (string, error) {
	if p.Subject == "" {
		return "", errors.New("devissuer: principal has no subject")
	}
	if audience == "" {
		return "", errors.New("devissuer: audience must not be empty")
	}
	now := i.now()
	roles, teams := roleNames(p), append([]string{}, p.Teams...)
	tok, err := jwt.Signed(i.access).
		Claims(jwt.Claims{
			Issuer:   i.url,
			Subject:  p.Subject,
			Audience: jwt.Audience{audience},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(ttl)),
			ID:       randomToken(),
		}).
		Claims(devClaims{Name: p.Name, Roles: roles, Teams: teams, ClientID: clientID}).
		Serialize()
	if err != nil {
		return "", fmt.Errorf("devissuer: sign: %w", err)
	}
	return tok, nil
}

func roleNames(p auth.Principal) []string {
	roles := make([]string, len(p.Roles))
	for n, r := range p.Roles {
		roles[n] = string(r)
	}
	return roles
}

// DevUsers returns the development users, with stable ids, for `make run`,
// `devstack token` and tests: two reps in each of the sales teams north and
// south and each team's manager, an analyst and an admin, then the service
// team (two reps and its manager) and the marketing team (a marketer — a rep
// of team marketing — and its manager), so that every department `make run`
// configures (DEPARTMENTS: sales=north,south; service=service;
// marketing=marketing) has people to sign in as. The first five keep their
// positions (tests index them); new users go at the end:
//
//	rep-ana      rep      team north
//	rep-bo       rep      team south
//	mgr-mia      manager  manages north
//	analyst-ali  analyst
//	admin-ada    admin
//	rep-cy       rep      team north
//	rep-di       rep      team south
//	mgr-max      manager  manages south
//	svc-eli      rep      team service
//	svc-fay      rep      team service
//	mgr-gus      manager  manages service
//	mkt-ivy      rep      team marketing
//	mgr-jo       manager  manages marketing
func DevUsers() []auth.Principal {
	return []auth.Principal{
		{Subject: "rep-ana", Name: "Ana (rep, north)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}},
		{Subject: "rep-bo", Name: "Bo (rep, south)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"south"}},
		{Subject: "mgr-mia", Name: "Mia (manager, north)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north"}},
		{Subject: "analyst-ali", Name: "Ali (analyst)", Roles: []auth.Role{auth.RoleAnalyst}},
		{Subject: "admin-ada", Name: "Ada (admin)", Roles: []auth.Role{auth.RoleAdmin}},
		{Subject: "rep-cy", Name: "Cy (rep, north)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"north"}},
		{Subject: "rep-di", Name: "Di (rep, south)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"south"}},
		{Subject: "mgr-max", Name: "Max (manager, south)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"south"}},
		{Subject: "svc-eli", Name: "Eli (rep, service)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"service"}},
		{Subject: "svc-fay", Name: "Fay (rep, service)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"service"}},
		{Subject: "mgr-gus", Name: "Gus (manager, service)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"service"}},
		{Subject: "mkt-ivy", Name: "Ivy (rep, marketing)", Roles: []auth.Role{auth.RoleRep}, Teams: []string{"marketing"}},
		{Subject: "mgr-jo", Name: "Jo (manager, marketing)", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"marketing"}},
	}
}

// DevUser returns the development user with the given subject, or an error that
// lists the known ones.
func DevUser(subject string) (auth.Principal, error) {
	users := DevUsers()
	names := make([]string, len(users))
	for i, u := range users {
		if u.Subject == subject {
			return u, nil
		}
		names[i] = u.Subject
	}
	return auth.Principal{}, fmt.Errorf("devissuer: no dev user %q (known: %s)", subject, strings.Join(names, ", "))
}

func parseKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	switch block.Type {
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported key type %T", key)
		}
		return signer, nil
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
	}
}

// writeKey stores key as PKCS#8 PEM, atomically (temporary file, then rename).
func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".devissuer-key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
