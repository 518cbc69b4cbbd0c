package httpx

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// A route with its own limit takes bodies above the engine's; the others
// keep the engine's limit, with or without a Content-Length.
func TestAllowBodyRaisesOneRoute(t *testing.T) {
	e := NewEngine(EngineOptions{MaxBodyBytes: 100})
	AllowBody("POST", "/bulk-test/:id", 1000)
	var got req
	handler := func(c *gin.Context) {
		if err := Bind(c, &got); err != nil {
			WriteError(c, err)
			return
		}
		c.Status(204)
	}
	e.POST("/bulk-test/:id", handler)
	e.POST("/other", handler)
	body := `{"name":"` + strings.Repeat("x", 500) + `"}`
	for _, tc := range []struct {
		path    string
		chunked bool
		status  int
	}{
		{"/bulk-test/1", false, 204},
		{"/bulk-test/1", true, 204},
		{"/other", false, 413},
		{"/other", true, 413},
	} {
		r := httptest.NewRequest("POST", tc.path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if tc.chunked {
			r.ContentLength = -1
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("%s (chunked %v): %d %s, want %d", tc.path, tc.chunked, w.Code, w.Body, tc.status)
		}
	}
	// Above the route's own limit it is refused too.
	r := httptest.NewRequest("POST", "/bulk-test/1", strings.NewReader(`{"name":"`+strings.Repeat("x", 2000)+`"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	if w.Code != 413 || !strings.Contains(w.Body.String(), "1000 bytes") {
		t.Fatalf("above the route's limit: %d %s", w.Code, w.Body)
	}
}
