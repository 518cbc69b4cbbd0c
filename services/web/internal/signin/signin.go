// Package signin signs users in to the web console with the OpenID Connect
// authorization-code flow and PKCE, keeps them signed in (refreshing the
// access token before it expires, or sending them back to the issuer when it
// cannot), guards every state-changing request against cross-site forgery,
// and signs them out.
//
// The console is a public OIDC client: it proves the code exchange with a
// PKCE verifier (S256) and holds no client secret unless one is configured.
// The tokens it receives are kept only in the user's encrypted session cookie
// (package session); the access token is what the console calls the
// services' APIs with, so they apply the user's own permissions and scope.
package signin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/web/internal/session"
)

// Config is what sign-in needs.
type Config struct {
	IssuerURL    string
	ClientID     string
	ClientSecret string
	// PublicURL is the console's own URL as users reach it; the redirect URI
	// is PublicURL + CallbackPath.
	PublicURL string
}

// Paths the package serves.
const (
	LoginPath    = "/auth/login"
	CallbackPath = "/auth/callback"
	LogoutPath   = "/auth/logout"
)

// flowCookie carries the sign-in's state between the redirect to the issuer
// and its answer.
const flowCookie = "closeloop_signin"

// refreshMargin is how long before its expiry an access token is renewed.
const refreshMargin = 30 * time.Second

// flow is what the console remembers about one sign-in in progress.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

// Failure renders a sign-in problem as a page: status, a message id of the
// console's catalogue and a detail to show under it.
type Failure func(c *gin.Context, status int, messageID, detail string)

// Auth is the console's sign-in.
type Auth struct {
	cfg   Config
	codec *session.Codec
	log   *slog.Logger
	fail  Failure
	ctx   context.Context
	http  *http.Client

	mu         sync.Mutex
	provider   *oidc.Provider
	endSession string
}

// New returns the sign-in for cfg. Discovery of the issuer is lazy: the
// console starts while the issuer is down and signs in once it is up.
func New(ctx context.Context, cfg Config, codec *session.Codec, log *slog.Logger, fail Failure) (*Auth, error) {
	for name, v := range map[string]string{"OIDC_ISSUER_URL": cfg.IssuerURL, "WEB_PUBLIC_URL": cfg.PublicURL} {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s must be an absolute http(s) URL, not %q", name, v)
		}
	}
	if cfg.ClientID == "" {
		return nil, errors.New("WEB_OIDC_CLIENT_ID must not be empty")
	}
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	hc := &http.Client{Timeout: 10 * time.Second}
	return &Auth{cfg: cfg, codec: codec, log: log, fail: fail, http: hc,
		ctx: oidc.ClientContext(context.WithoutCancel(ctx), hc)}, nil
}

// Mount adds the sign-in routes.
func (a *Auth) Mount(e *gin.Engine) {
	e.GET(LoginPath, a.login)
	e.GET(CallbackPath, a.callback)
	e.POST(LogoutPath, a.Require(), a.logout)
}

// Codec is the session codec: pages seal what must travel through the
// browser unread and unchanged (such as an import's confirmed rows) with it.
func (a *Auth) Codec() *session.Codec { return a.codec }

// Ready reports whether the issuer's discovery document can be had (a
// readiness check: without it nobody can sign in).
func (a *Auth) Ready(ctx context.Context) error {
	_, err := a.discover(ctx)
	return err
}

func (a *Auth) discover(ctx context.Context) (*oidc.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provider != nil {
		return a.provider, nil
	}
	dctx, cancel := context.WithTimeout(a.ctx, 10*time.Second)
	defer cancel()
	if dl, ok := ctx.Deadline(); ok {
		var c2 context.CancelFunc
		dctx, c2 = context.WithDeadline(dctx, dl)
		defer c2()
	}
	p, err := oidc.NewProvider(dctx, a.cfg.IssuerURL)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery at %s: %w", a.cfg.IssuerURL, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&extra)
	a.provider, a.endSession = p, extra.EndSession
	return p, nil
}

func (a *Auth) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     a.cfg.ClientID,
		ClientSecret: a.cfg.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  a.cfg.PublicURL + CallbackPath,
		Scopes:       []string{oidc.ScopeOpenID, "profile", oidc.ScopeOfflineAccess},
	}
}

// login starts a sign-in: it remembers state, nonce and PKCE verifier in a
// short-lived sealed cookie and sends the browser to the issuer.
func (a *Auth) login(c *gin.Context) {
	p, err := a.discover(c.Request.Context())
	if err != nil {
		a.log.WarnContext(c, "sign-in: issuer unavailable", "error", err)
		a.fail(c, http.StatusServiceUnavailable, "signin.issuer_down", "")
		return
	}
	f := flow{State: session.Token(24), Nonce: session.Token(24), Verifier: oauth2.GenerateVerifier(), Next: LocalPath(c.Query("next"))}
	if err := a.codec.SaveTemp(c.Writer, flowCookie, f, 10*time.Minute); err != nil {
		a.fail(c, http.StatusInternalServerError, "signin.failed", "")
		return
	}
	target := a.oauth(p).AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce))
	c.Redirect(http.StatusSeeOther, target)
}

// idClaims are the ID token claims the console reads.
type idClaims struct {
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	Teams    []string `json:"teams"`
	ZoneInfo string   `json:"zoneinfo"`
	Nonce    string   `json:"nonce"`
}

// callback finishes a sign-in: it checks the state, exchanges the code with
// the PKCE verifier, verifies the ID token and its nonce, and starts the
// session.
func (a *Auth) callback(c *gin.Context) {
	var f flow
	if err := a.codec.LoadTemp(c.Writer, c.Request, flowCookie, &f); err != nil || f.State == "" || c.Query("state") != f.State {
		a.fail(c, http.StatusBadRequest, "signin.state_mismatch", "")
		return
	}
	if e := c.Query("error"); e != "" {
		a.fail(c, http.StatusForbidden, "signin.refused", strings.TrimSpace(e+" "+c.Query("error_description")))
		return
	}
	p, err := a.discover(c.Request.Context())
	if err != nil {
		a.fail(c, http.StatusServiceUnavailable, "signin.issuer_down", "")
		return
	}
	ctx := oidc.ClientContext(c.Request.Context(), a.http)
	tok, err := a.oauth(p).Exchange(ctx, c.Query("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		a.log.WarnContext(c, "sign-in: code exchange failed", "error", err)
		a.fail(c, http.StatusBadGateway, "signin.failed", "")
		return
	}
	s, err := a.sessionFrom(ctx, p, tok, f.Nonce)
	if err != nil {
		a.log.WarnContext(c, "sign-in: tokens refused", "error", err)
		a.fail(c, http.StatusForbidden, "signin.failed", err.Error())
		return
	}
	s.CSRF = session.Token(32)
	s.Started = time.Now()
	if err := a.codec.Save(c.Writer, s); err != nil {
		a.log.ErrorContext(c, "sign-in: session not saved", "error", err)
		a.fail(c, http.StatusInternalServerError, "signin.failed", "")
		return
	}
	next := f.Next
	if next == "" {
		next = "/"
	}
	c.Redirect(http.StatusSeeOther, next)
}

// sessionFrom verifies the ID token of tok (and its nonce, when one was sent)
// and builds the session's identity and tokens from it.
func (a *Auth) sessionFrom(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, nonce string) (*session.Session, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("the issuer sent no ID token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: a.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("ID token: %w", err)
	}
	var cl idClaims
	if err := idt.Claims(&cl); err != nil {
		return nil, fmt.Errorf("ID token claims: %w", err)
	}
	if nonce != "" && cl.Nonce != nonce {
		return nil, errors.New("ID token: nonce does not match this sign-in")
	}
	if tok.AccessToken == "" {
		return nil, errors.New("the issuer sent no access token")
	}
	s := &session.Session{Subject: idt.Subject, Name: cl.Name, Teams: cl.Teams, TimeZone: cl.ZoneInfo,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenExpiry: tok.Expiry}
	for _, r := range cl.Roles {
		if auth.Role(r).Known() && !slices.Contains(s.Roles, r) {
			s.Roles = append(s.Roles, r)
		}
	}
	if len(s.Roles) == 0 {
		return nil, errors.New("your account has no Closeloop role; ask an administrator")
	}
	if s.Name == "" {
		s.Name = s.Subject
	}
	return s, nil
}

// logout ends the session and, when the issuer offers it, the issuer's.
func (a *Auth) logout(c *gin.Context) {
	a.codec.Clear(c.Writer)
	target := "/"
	a.mu.Lock()
	end := a.endSession
	a.mu.Unlock()
	if end != "" {
		q := url.Values{"client_id": {a.cfg.ClientID}, "post_logout_redirect_uri": {a.cfg.PublicURL + "/"}}
		target = end + "?" + q.Encode()
	}
	if c.GetHeader("HX-Request") == "true" {
		c.Header("HX-Redirect", target)
		c.Status(http.StatusNoContent)
		return
	}
	c.Redirect(http.StatusSeeOther, target)
}

// LocalPath returns p if it is a path on this site (so a sign-in never
// redirects elsewhere), else "".
func LocalPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return ""
	}
	return p
}
