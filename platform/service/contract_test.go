package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
)

type oneToken struct{}

func (oneToken) Verify(_ context.Context, raw string) (auth.Principal, error) {
	if raw != "good" {
		return auth.Principal{}, apperr.Unauthenticated("unauthenticated", "bad token")
	}
	return auth.Principal{Subject: "u", Roles: []auth.Role{auth.RoleAdmin}}, nil
}

// TestContractChecks: a query value outside the documented enum and a malformed
// Idempotency-Key are invalid input — 400 before the handler runs, whatever
// the handler would have said — and only after the token is checked.
func TestContractChecks(t *testing.T) {
	reached := 0
	doc := openapi.New("demo", "1", "").Add(
		openapi.Op{Method: "GET", Path: "/v1/things", Status: 200, Params: []openapi.Param{
			{Name: "state", In: "query", Enum: []string{"new", "done"}}, {Name: "q", In: "query"}}},
		openapi.Op{Method: "GET", Path: "/v1/things/:id", Status: 200, Params: []openapi.Param{
			{Name: "id", In: "path"}, {Name: "view", In: "query", Enum: []string{"short"}}}},
		openapi.Op{Method: "POST", Path: "/v1/things", Status: 201, Idempotent: true},
	).JSON()
	spec := service.Spec{
		Name: "demo", Migrations: []migrate.Migration{idem.Migration(1)},
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) {
			ok := func(c *gin.Context) { reached++; c.JSON(200, gin.H{}) }
			return &service.Module{OpenAPI: doc, Routes: func(v1 *gin.RouterGroup) {
				v1.GET("/things", ok)
				v1.GET("/things/:id", ok)
				v1.POST("/things", ok)
			}}, nil
		},
	}
	base := servicetest.Start(t, spec, map[string]string{"DATABASE_URL": testenv.SQLite(t), "OIDC_ISSUER_URL": "http://127.0.0.1:1",
		"TEMPORAL_ADDRESS": "127.0.0.1:1", "LOG_LEVEL": "error"}, service.Options{Verifier: oneToken{}}).Base
	long := strings.Repeat("k", 201)
	cases := []struct {
		name, method, path, token, key string
		status                         int
		code, field                    string
	}{
		{"documented value", "GET", "/v1/things?state=new&q=anything", "good", "", 200, "", ""},
		{"empty value is absent", "GET", "/v1/things?state=", "good", "", 200, "", ""},
		{"unknown value", "GET", "/v1/things?state=bogus", "good", "", 400, "invalid_query", "state"},
		{"second value unknown", "GET", "/v1/things?state=new&state=won", "good", "", 400, "invalid_query", "state"},
		{"case matters", "GET", "/v1/things?state=NEW", "good", "", 400, "invalid_query", "state"},
		{"on a path with a parameter", "GET", "/v1/things/7?view=long", "good", "", 400, "invalid_query", "view"},
		{"no token first", "GET", "/v1/things?state=bogus", "bad", "", 401, "", ""},
		{"key of 200", "POST", "/v1/things", "good", long[:200], 200, "", ""},
		{"over-long key", "POST", "/v1/things", "good", long, 400, "invalid_idempotency_key", "Idempotency-Key"},
		{"non-ASCII key", "POST", "/v1/things", "good", "clé", 400, "invalid_idempotency_key", "Idempotency-Key"},
	}
	for _, c := range cases {
		before := reached
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		if c.key != "" {
			req.Header.Set("Idempotency-Key", c.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Code    string `json:"code"`
			Details struct {
				Fields []struct{ Field string } `json:"fields"`
			} `json:"details"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != c.status || (c.code != "" && body.Code != c.code) {
			t.Errorf("%s: %d %s, want %d %s", c.name, resp.StatusCode, body.Code, c.status, c.code)
		}
		if c.field != "" && (len(body.Details.Fields) == 0 || body.Details.Fields[0].Field != c.field) {
			t.Errorf("%s: fields %+v, want %s", c.name, body.Details.Fields, c.field)
		}
		if ran := reached > before; ran != (c.status == 200) {
			t.Errorf("%s: handler ran = %v", c.name, ran)
		}
	}
}
