package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ServiceClient is a service's own client at the identity provider: a
// confidential client with a service account, whose tokens the service
// sends where it calls another with no user behind the call (service.go).
type ServiceClient struct {
	ID     string
	Secret string
}

// ServiceTokens is the source of a service's own access tokens: the client
// credentials grant at the token endpoint of the issuer's discovery
// document. The endpoint is looked up on first use and again after a
// failed look-up (a service starts while its issuer is briefly away); a
// token is reused until shortly before it expires (oauth2's
// ReuseTokenSource). Safe for concurrent use.
type ServiceTokens struct {
	issuer string
	client ServiceClient
	opts   OIDCOptions
	hc     *http.Client

	mu  sync.Mutex
	src oauth2.TokenSource // set once the endpoint is known
}

// NewServiceTokens returns the token source of client at issuerURL, which
// CheckIssuerURL must accept under opts (the token endpoint too). It does
// not reach the issuer.
func NewServiceTokens(issuerURL string, client ServiceClient, opts OIDCOptions) (*ServiceTokens, error) {
	if client.ID == "" || client.Secret == "" {
		return nil, errors.New("auth: a service client needs an id and a secret")
	}
	if err := CheckIssuerURL(issuerURL, opts.AllowInsecureIssuer); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &ServiceTokens{issuer: issuerURL, client: client, opts: opts, hc: &http.Client{Timeout: httpTimeout}}, nil
}

// Token returns a valid access token of the service, asking the issuer for
// a new one when the last expires within ten seconds. ctx bounds the
// endpoint's look-up; a token request is bounded by the source's own HTTP
// timeout. An error names the client and the cause (the issuer away, the
// secret refused), never the secret.
func (s *ServiceTokens) Token(ctx context.Context) (*oauth2.Token, error) {
	src, err := s.source(ctx)
	if err != nil {
		return nil, fmt.Errorf("service token of client %q: %w", s.client.ID, err)
	}
	tok, err := src.Token()
	if err != nil {
		return nil, fmt.Errorf("service token of client %q: %w", s.client.ID, err)
	}
	return tok, nil
}

// Authorization returns the Authorization header value of a call made as
// the service: "Bearer <token>".
func (s *ServiceTokens) Authorization(ctx context.Context) (string, error) {
	tok, err := s.Token(ctx)
	if err != nil {
		return "", err
	}
	return "Bearer " + tok.AccessToken, nil
}

// source returns the reusing token source, finding the token endpoint
// first if it is not known yet.
func (s *ServiceTokens) source(ctx context.Context) (oauth2.TokenSource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.src != nil {
		return s.src, nil
	}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.hc), discoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(dctx, s.issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery at %s: %w", s.issuer, err)
	}
	endpoint := p.Endpoint().TokenURL
	if err := CheckIssuerURL(endpoint, s.opts.AllowInsecureIssuer); err != nil {
		return nil, fmt.Errorf("token_endpoint: %w", err)
	}
	cfg := clientcredentials.Config{ClientID: s.client.ID, ClientSecret: s.client.Secret, TokenURL: endpoint, AuthStyle: oauth2.AuthStyleInHeader}
	// The source outlives ctx: its requests use the service's own client,
	// with its timeout, not the first caller's context.
	s.src = cfg.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, s.hc))
	return s.src, nil
}
