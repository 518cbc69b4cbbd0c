package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
)

// TestBindRaw: the body is decoded strictly and returned as sent; a body
// over the limit is 413, an unknown field 400.
func TestBindRaw(t *testing.T) {
	gin.SetMode(gin.TestMode)
	type req struct {
		Name string `json:"name"`
	}
	for _, tc := range []struct {
		name, body string
		limit      int64
		fails      bool
		want       apperr.Kind
	}{
		{"good", `{"name":"x"}`, 1 << 10, false, 0},
		{"an unknown field", `{"name":"x","colour":"red"}`, 1 << 10, true, apperr.KindInvalid},
		{"too large", `{"name":"` + strings.Repeat("x", 100) + `"}`, 20, true, apperr.KindTooLarge},
	} {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		c.Request.Header.Set("Content-Type", "application/json")
		c.Request.Body = http.MaxBytesReader(w, c.Request.Body, tc.limit)
		var dst req
		raw, err := BindRaw(c, &dst)
		if tc.fails {
			if err == nil || apperr.From(err).Kind != tc.want {
				t.Errorf("%s: %v, want kind %d", tc.name, err, tc.want)
			}
			continue
		}
		if err != nil || string(raw) != tc.body || dst.Name != "x" {
			t.Errorf("%s: %q %v %+v", tc.name, raw, err, dst)
		}
	}
}
