package httpx

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestBearerRoundTrip(t *testing.T) {
	if got := Bearer(context.Background()); got != "" {
		t.Fatalf("empty context: %q", got)
	}
	ctx := WithBearer(context.Background(), "Bearer abc")
	if got := Bearer(ctx); got != "Bearer abc" {
		t.Fatalf("Bearer = %q", got)
	}
}

func TestForwardBearer(t *testing.T) {
	e := NewEngine(EngineOptions{})
	var seen []string
	e.GET("/x", ForwardBearer, func(c *gin.Context) {
		seen = append(seen, Bearer(c.Request.Context()))
		c.Status(204)
	})
	for _, h := range []string{"Bearer tok-1", ""} {
		r := httptest.NewRequest("GET", "/x", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code != 204 {
			t.Fatalf("status %d", w.Code)
		}
	}
	if len(seen) != 2 || seen[0] != "Bearer tok-1" || seen[1] != "" {
		t.Fatalf("seen %q", seen)
	}
}
