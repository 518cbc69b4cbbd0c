package httpx

import "github.com/gin-gonic/gin"

// DefaultCSP is the Content-Security-Policy of every answer that does not set
// its own: JSON loads nothing, so nothing may be loaded, framed, posted or
// used as a base URL. Pages (the web console, the survey and unsubscribe
// pages) replace it with theirs.
const DefaultCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// SecurityHeaders sets the headers every answer of every service carries,
// before the handler runs, so errors (404, 405, 413, a panic's 500) carry
// them too:
//
//   - X-Content-Type-Options: nosniff — a browser never runs a JSON answer as
//     script or HTML;
//   - Referrer-Policy: no-referrer — a link followed from an answer never
//     carries its URL (ids, search terms) elsewhere;
//   - X-Frame-Options: DENY and DefaultCSP's frame-ancestors 'none' — no
//     answer is shown inside another site's frame (clickjacking);
//   - Cache-Control: no-store — answers hold one user's data: no browser or
//     proxy keeps them.
//
// A handler that needs other values sets them (Header().Set replaces these):
// the console's static files are cacheable, its pages have their own CSP
// and Referrer-Policy.
func SecurityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", DefaultCSP)
		h.Set("Cache-Control", "no-store")
		c.Next()
	}
}
