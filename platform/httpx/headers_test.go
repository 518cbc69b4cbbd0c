package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Every answer of the engine carries the security headers: a JSON answer,
// an error a handler wrote, a panic's 500, an unknown route's 404, a wrong
// method's 405 and a too-large body's 413. A handler that sets one of them
// itself (a cacheable file) keeps its own.
func TestEveryAnswerCarriesSecurityHeaders(t *testing.T) {
	e := NewEngine(EngineOptions{MaxBodyBytes: 10})
	e.GET("/v1/things", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"items": []string{}}) })
	e.GET("/v1/missing", func(c *gin.Context) { WriteError(c, apperr.NotFound("thing_not_found", "no such thing")) })
	e.GET("/v1/boom", func(*gin.Context) { panic("boom") })
	e.POST("/v1/things", func(c *gin.Context) {
		var v map[string]any
		if err := Bind(c, &v); err != nil {
			WriteError(c, err)
			return
		}
		c.Status(http.StatusCreated)
	})
	e.GET("/static/app.css", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		c.String(http.StatusOK, "body{}")
	})
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": DefaultCSP,
		"Cache-Control":           "no-store",
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/v1/things", "", http.StatusOK},
		{"GET", "/v1/missing", "", http.StatusNotFound},
		{"GET", "/v1/boom", "", http.StatusInternalServerError},
		{"GET", "/v1/nowhere", "", http.StatusNotFound},
		{"DELETE", "/v1/things", "", http.StatusMethodNotAllowed},
		{"POST", "/v1/things", `{"name":"far too long for ten bytes"}`, http.StatusRequestEntityTooLarge},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		r.Header.Set("Content-Type", "application/json")
		e.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, w.Code, tc.status)
		}
		for h, v := range want {
			if got := w.Header().Values(h); len(got) != 1 || got[0] != v {
				t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, h, got, v)
			}
		}
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest("GET", "/static/app.css", nil))
	if got := w.Header().Values("Cache-Control"); len(got) != 1 || got[0] != "public, max-age=3600" {
		t.Errorf("a handler's own Cache-Control is %q, want it kept", got)
	}
	if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("a cacheable file lost nosniff: %q", got)
	}
}
