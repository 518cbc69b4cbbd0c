package service

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/idem"
)

// binaries are shaped like the real ones: the four services serve a /v1 API on
// their own database; the workflow worker (workflows.Spec) has neither, and has
// extra subcommands (setup, check).
func binaries(called *[]string) map[string]Spec {
	api := func(name string) Spec {
		return Spec{Name: name, Migrations: []migrate.Migration{idem.Migration(1)},
			Setup: func(context.Context, *Deps) (*Module, error) { return &Module{}, nil }}
	}
	cmd := func(name string) func(context.Context, Config) error {
		return func(context.Context, Config) error { *called = append(*called, name); return nil }
	}
	return map[string]Spec{
		"customer": api("customer"), "sales": api("sales"), "service": api("service"), "marketing": api("marketing"),
		"worker": {Name: "worker", NoDatabase: true, NoAPI: true,
			Setup:    func(context.Context, *Deps) (*Module, error) { return &Module{}, nil },
			Commands: map[string]func(context.Context, Config) error{"setup": cmd("setup"), "check": cmd("check")}},
	}
}

// TestOnlyServingTheAPINeedsAnIssuer: without OIDC_ISSUER_URL, `migrate` (every
// binary), `env`, and the worker (serve, setup, check) work; only serving a
// service's /v1 API refuses, and says why.
func TestOnlyServingTheAPINeedsAnIssuer(t *testing.T) {
	t.Setenv("OIDC_ISSUER_URL", "")
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
	t.Setenv("LOG_LEVEL", "error")
	var called []string
	for name, spec := range binaries(&called) {
		t.Run(name+" migrate", func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("DATABASE_URL", "sqlite://"+filepath.Join(dir, name+".db"))
			if err := run(spec, []string{"migrate"}); err != nil {
				t.Fatalf("migrate without an issuer: %v", err)
			}
		})
		t.Run(name+" env", func(t *testing.T) {
			if err := run(spec, []string{"env"}); err != nil {
				t.Fatalf("env: %v", err)
			}
		})
		t.Run(name+" serve", func(t *testing.T) {
			t.Setenv("DATABASE_URL", "sqlite://"+filepath.Join(t.TempDir(), name+".db"))
			cfg, err := LoadConfig(spec)
			if err != nil {
				t.Fatalf("loading the configuration needs no issuer: %v", err)
			}
			app, err := Build(context.Background(), spec, cfg, Options{})
			if spec.NoAPI {
				if err != nil {
					t.Fatalf("the worker verifies no token, yet: %v", err)
				}
				app.Close()
				return
			}
			if !errors.Is(err, errNoIssuer) || !strings.Contains(err.Error(), "OIDC_ISSUER_URL is required to serve the API") {
				t.Fatalf("serving the API without an issuer: %v", err)
			}
		})
	}
	worker := binaries(&called)["worker"]
	for _, c := range []string{"setup", "check"} {
		if err := run(worker, []string{c}); err != nil {
			t.Fatalf("worker %s without an issuer: %v", c, err)
		}
	}
	if strings.Join(called, ",") != "setup,check" {
		t.Fatalf("worker commands run: %v", called)
	}
}

// TestAnInsecureIssuerIsRefused: a binary given an http:// issuer that is not
// on a loopback address refuses to start (the API services, which verify
// tokens with its keys, and the console, which signs users in there), unless
// OIDC_ALLOW_INSECURE_ISSUER=true; a loopback one (make run, tests) is fine.
func TestAnInsecureIssuerIsRefused(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
	t.Setenv("LOG_LEVEL", "error")
	t.Setenv("HTTP_ADDR", "127.0.0.1:0")
	var called []string
	console := Spec{Name: "web", NoDatabase: true, NoAPI: true, NoTemporal: true,
		Setup: func(context.Context, *Deps) (*Module, error) { return &Module{}, nil }}
	for name, spec := range map[string]Spec{"customer": binaries(&called)["customer"], "web": console} {
		for _, c := range []struct {
			issuer, allow string
			ok            bool
		}{
			{"http://dex.auth.svc:5556/dex", "false", false},
			{"http://dex.auth.svc:5556/dex", "true", true},
			{"http://127.0.0.1:1", "false", true},
			{"http://localhost:1", "false", true},
		} {
			t.Run(name+" "+c.issuer+" "+c.allow, func(t *testing.T) {
				t.Setenv("DATABASE_URL", "sqlite://"+filepath.Join(t.TempDir(), name+".db"))
				t.Setenv("OIDC_ISSUER_URL", c.issuer)
				t.Setenv("OIDC_ALLOW_INSECURE_ISSUER", c.allow)
				cfg, err := LoadConfig(spec)
				if err != nil {
					t.Fatal(err)
				}
				app, err := Build(context.Background(), spec, cfg, Options{})
				if err == nil {
					app.Close()
				}
				if c.ok && err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !c.ok && (err == nil || !strings.Contains(err.Error(), "OIDC_ALLOW_INSECURE_ISSUER=true")) {
					t.Fatalf("an http issuer on another host: %v, want a refusal naming OIDC_ALLOW_INSECURE_ISSUER", err)
				}
			})
		}
	}
}
