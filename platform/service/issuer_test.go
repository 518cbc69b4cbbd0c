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
