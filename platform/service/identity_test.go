package service_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
)

// TestServiceCallsBetweenServices: a service with SERVICE_CLIENT_ID gets its
// own token (Deps.ServiceTokens) and calls another's route for services
// (Module.Internal, /internal/v1), which lets it through when its client is
// among SERVICE_CALLERS, with the calling service in the request context;
// a service not listed, a user's token or no token get 401, and the user
// API refuses the service's token. Half a client is refused at start.
func TestServiceCallsBetweenServices(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	issuerURL := "http://" + srv.Listener.Addr().String()
	iss, err := devissuer.New(issuerURL)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	iss.RegisterServiceClient("closeloop-sales", "secret-of-the-sales-service")
	iss.RegisterServiceClient("closeloop-marketing", "secret-of-the-marketing-svc")

	spec := func(name string, deps **service.Deps) service.Spec {
		return service.Spec{Name: name, Migrations: []migrate.Migration{idem.Migration(1)},
			Setup: func(_ context.Context, d *service.Deps) (*service.Module, error) {
				*deps = d
				return &service.Module{
					Routes: func(v1 *gin.RouterGroup) {
						v1.GET("/me", func(c *gin.Context) { c.String(http.StatusOK, auth.MustFromContext(c.Request.Context()).Subject) })
					},
					Internal: func(g *gin.RouterGroup) {
						g.POST("/echo", func(c *gin.Context) {
							s, _ := auth.ServiceFromContext(c.Request.Context())
							c.String(http.StatusOK, s.Client)
						})
					},
				}, nil
			}}
	}
	env := func(name string, extra ...string) map[string]string {
		m := map[string]string{"OIDC_ISSUER_URL": issuerURL, "TEMPORAL_ADDRESS": "127.0.0.1:1", "LOG_LEVEL": "error",
			"DATABASE_URL": "sqlite://" + filepath.Join(t.TempDir(), name+".db")}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	var calleeDeps, salesDeps, marketingDeps *service.Deps
	callee := servicetest.Start(t, spec("customer", &calleeDeps), env("customer", "SERVICE_CALLERS", "closeloop-sales,closeloop-other"), service.Options{})
	servicetest.Start(t, spec("sales", &salesDeps), env("sales", "SERVICE_CLIENT_ID", "closeloop-sales", "SERVICE_CLIENT_SECRET", "secret-of-the-sales-service"), service.Options{})
	servicetest.Start(t, spec("marketing", &marketingDeps), env("marketing", "SERVICE_CLIENT_ID", "closeloop-marketing", "SERVICE_CLIENT_SECRET", "secret-of-the-marketing-svc"), service.Options{})
	if calleeDeps.ServiceTokens != nil {
		t.Error("a service without SERVICE_CLIENT_ID has service tokens")
	}
	ctx := context.Background()
	bearer := func(d *service.Deps) string {
		h, err := d.ServiceTokens.Authorization(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	user, err := iss.Mint(devissuer.DevUsers()[0], devissuer.Audience, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, authz string) (int, string) {
		req, _ := http.NewRequest(method, callee.Base+path, nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do("POST", "/internal/v1/echo", bearer(salesDeps)); code != 200 || body != "closeloop-sales" {
		t.Errorf("sales calling: %d %s", code, body)
	}
	for name, authz := range map[string]string{"marketing, not a caller": bearer(marketingDeps), "a user": "Bearer " + user, "no token": ""} {
		if code, body := do("POST", "/internal/v1/echo", authz); code != 401 {
			t.Errorf("%s: %d %s, want 401", name, code, body)
		}
	}
	if code, body := do("GET", "/v1/me", bearer(salesDeps)); code != 401 || !strings.Contains(body, "service_token") {
		t.Errorf("the user API with a service's token: %d %s", code, body)
	}
	if code, _ := do("GET", "/v1/me", "Bearer "+user); code != 200 {
		t.Errorf("the user API with a user's token: %d", code)
	}

	t.Setenv("SERVICE_CLIENT_ID", "closeloop-sales")
	t.Setenv("SERVICE_CLIENT_SECRET", "")
	for k, v := range env("half") {
		t.Setenv(k, v)
	}
	s := spec("half", new(*service.Deps))
	cfg, err := service.LoadConfig(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := service.Build(ctx, s, cfg, service.Options{}); err == nil || !strings.Contains(err.Error(), "SERVICE_CLIENT_SECRET") {
		t.Errorf("a client without its secret: %v", err)
	}
}
