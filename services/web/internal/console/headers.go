package console

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// SecurityHeaders sets the headers every answer of the console carries: a
// Content-Security-Policy without inline scripts or styles (scripts and
// styles come only from /static; forms post only to the console and, for
// sign-in and sign-out, the identity provider), no framing, no MIME
// sniffing, no referrer to other sites, and — because pages hold one user's
// data — no caching of anything but the static assets. HSTS is sent when the
// console is served over https.
func SecurityHeaders(publicURL, issuerURL string) gin.HandlerFunc {
	formAction := "'self'"
	if u, err := url.Parse(issuerURL); err == nil && u.Host != "" {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	csp := strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self'",
		"font-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action " + formAction,
		"frame-ancestors 'none'",
	}, "; ")
	hsts := strings.HasPrefix(publicURL, "https://")
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(c.Request.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		c.Next()
	}
}
