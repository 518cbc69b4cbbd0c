package signin

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/closeloop/closeloop/services/web/internal/session"
)

// sessionKey is where Require puts the session in the gin context.
const sessionKey = "closeloop.session"

// CSRFField and CSRFHeader carry the anti-CSRF token of a state-changing
// request: forms send the field, htmx requests the header.
const (
	CSRFField  = "_csrf"
	CSRFHeader = "X-CSRF-Token"
)

// From returns the session Require put into c (nil outside Require).
func From(c *gin.Context) *session.Session {
	s, _ := c.Get(sessionKey)
	ss, _ := s.(*session.Session)
	return ss
}

// Optional loads the session when there is one, without requiring it (the
// home page and error pages show who is signed in).
func (a *Auth) Optional() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s := a.codec.Load(c.Request); s != nil {
			c.Set(sessionKey, s)
		}
		c.Next()
	}
}

// Require lets a request through only with a valid session: it renews the
// access token shortly before it expires (with the refresh token; without
// one, or when the issuer refuses, the user signs in again) and refuses a
// state-changing request without the session's anti-CSRF token or from
// another origin.
func (a *Auth) Require() gin.HandlerFunc {
	return func(c *gin.Context) {
		s := a.codec.Load(c.Request)
		if s == nil {
			a.signInAgain(c)
			return
		}
		if time.Until(s.TokenExpiry) < refreshMargin {
			if !a.refresh(c, s) {
				a.codec.Clear(c.Writer)
				a.signInAgain(c)
				return
			}
		}
		if unsafe(c.Request.Method) {
			if !a.sameOrigin(c.Request) {
				a.fail(c, http.StatusForbidden, "csrf.origin", "")
				return
			}
			tok := c.GetHeader(CSRFHeader)
			if tok == "" {
				tok = c.Request.FormValue(CSRFField)
			}
			if !s.CheckCSRF(tok) {
				a.fail(c, http.StatusForbidden, "csrf.refused", "")
				return
			}
		}
		c.Set(sessionKey, s)
		c.Next()
	}
}

// refresh renews s's tokens in place and saves the session; false when it
// cannot.
func (a *Auth) refresh(c *gin.Context, s *session.Session) bool {
	if s.RefreshToken == "" {
		return false
	}
	p, err := a.discover(c.Request.Context())
	if err != nil {
		return false
	}
	ctx := oidc.ClientContext(c.Request.Context(), a.http)
	old := &oauth2.Token{RefreshToken: s.RefreshToken, Expiry: time.Now().Add(-time.Minute)}
	tok, err := a.oauth(p).TokenSource(ctx, old).Token()
	if err != nil || tok.AccessToken == "" {
		a.log.InfoContext(c, "session: token refresh refused; signing in again", "error", err)
		return false
	}
	s.AccessToken, s.TokenExpiry = tok.AccessToken, tok.Expiry
	if tok.RefreshToken != "" {
		s.RefreshToken = tok.RefreshToken
	}
	if err := a.codec.Save(c.Writer, s); err != nil {
		a.log.ErrorContext(c, "session: renewed session not saved", "error", err)
		return false
	}
	return true
}

// signInAgain sends the user to sign in, coming back to where they were
// (for a page); an htmx request is told to load the sign-in page; a form
// post gets a page that says the session ended.
func (a *Auth) signInAgain(c *gin.Context) {
	next := ""
	if c.Request.Method == http.MethodGet {
		next = c.Request.URL.RequestURI()
	}
	target := LoginPath
	if next != "" && next != "/" {
		target += "?" + url.Values{"next": {next}}.Encode()
	}
	switch {
	case c.GetHeader("HX-Request") == "true":
		if cur := c.GetHeader("HX-Current-URL"); cur != "" {
			if u, err := url.Parse(cur); err == nil && LocalPath(u.RequestURI()) != "" {
				target = LoginPath + "?" + url.Values{"next": {u.RequestURI()}}.Encode()
			}
		}
		c.Header("HX-Redirect", target)
		c.AbortWithStatus(http.StatusUnauthorized)
	case c.Request.Method == http.MethodGet:
		c.Redirect(http.StatusSeeOther, target)
		c.Abort()
	default:
		a.fail(c, http.StatusUnauthorized, "signin.session_ended", "")
	}
}

func unsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// sameOrigin checks the Origin (else Referer) header of a state-changing
// request against the console's public URL; a request with neither passes
// on the CSRF token alone.
func (a *Auth) sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" || src == "null" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return true
	}
	u, err := url.Parse(src)
	if err != nil {
		return false
	}
	pub, _ := url.Parse(a.cfg.PublicURL)
	return strings.EqualFold(u.Scheme, pub.Scheme) && strings.EqualFold(u.Host, pub.Host)
}

// HasAny reports whether the session's user holds one of roles.
func HasAny(s *session.Session, roles ...string) bool {
	if s == nil {
		return false
	}
	for _, r := range roles {
		if s.Has(r) {
			return true
		}
	}
	return false
}
