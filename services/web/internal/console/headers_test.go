package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/services/web/internal/assets"
	"github.com/closeloop/closeloop/services/web/internal/console"
)

// On the engine every service shares (whose own headers forbid caching and
// load nothing), the console's pages get the console's policy — scripts and
// styles from /static only, forms to the console and the issuer, the
// referrer kept within the console (its anti-CSRF check reads Origin, else
// Referer) — and are not cached; its static files stay cacheable (htmx,
// versioned, for a year) and still are not sniffed.
func TestConsoleHeadersOnTheSharedEngine(t *testing.T) {
	e := httpx.NewEngine(httpx.EngineOptions{})
	e.Use(console.SecurityHeaders("https://crm.example.com", "https://login.example.com/realms/closeloop"))
	assets.Mount(e)
	e.GET("/customers", func(c *gin.Context) { c.Data(http.StatusOK, "text/html; charset=utf-8", []byte("<!doctype html>")) })

	get := func(path string) http.Header {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, w.Code)
		}
		return w.Header()
	}
	page := get("/customers")
	csp := page.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "object-src 'none'",
		"base-uri 'none'", "frame-ancestors 'none'", "form-action 'self' https://login.example.com"} {
		if !strings.Contains(csp, want) {
			t.Errorf("page CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-") || csp == httpx.DefaultCSP {
		t.Errorf("page CSP %q", csp)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
		"X-Content-Type-Options": "nosniff", "Strict-Transport-Security": "max-age=31536000"} {
		if got := page.Values(h); len(got) != 1 || got[0] != want {
			t.Errorf("page %s = %q, want %q", h, got, want)
		}
	}
	for path, want := range map[string]string{
		"/static/app.css":            "public, max-age=3600",
		"/static/htmx-2.0.11.min.js": "public, max-age=31536000, immutable",
	} {
		h := get(path)
		if got := h.Values("Cache-Control"); len(got) != 1 || got[0] != want {
			t.Errorf("%s: Cache-Control %q, want %q", path, got, want)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
}
