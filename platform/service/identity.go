package service

import (
	"context"
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
)

// IdentityConfig is the service's own identity at the OIDC issuer, for
// calls it makes to another service with no user behind them, and the
// services that may make such calls to it (platform/auth service.go).
type IdentityConfig struct {
	ClientID     string   `env:"SERVICE_CLIENT_ID" help:"this service's own client at the OIDC issuer (client credentials grant), for calls to other services with no user behind them; empty: it makes none"`
	ClientSecret string   `env:"SERVICE_CLIENT_SECRET" help:"the secret of SERVICE_CLIENT_ID"`
	Callers      []string `env:"SERVICE_CALLERS" help:"clients of other services (comma separated) whose own tokens may call this service's routes for services (/internal/v1); empty: none may"`
}

// validate refuses half a client.
func (c IdentityConfig) validate() error {
	if (c.ClientID == "") != (c.ClientSecret == "") {
		return fmt.Errorf("configuration: SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET go together")
	}
	return nil
}

// serviceTokens is the source of the service's own tokens, nil without a
// client.
func serviceTokens(cfg Config) (*auth.ServiceTokens, error) {
	if cfg.Identity.ClientID == "" {
		return nil, nil
	}
	ts, err := auth.NewServiceTokens(cfg.OIDCIssuerURL, auth.ServiceClient{ID: cfg.Identity.ClientID, Secret: cfg.Identity.ClientSecret}, cfg.OIDC)
	if err != nil {
		return nil, fmt.Errorf("configuration: SERVICE_CLIENT_ID: %w", err)
	}
	return ts, nil
}

// mountInternal mounts the module's routes for services on /internal/v1,
// behind a check that the bearer token is the own token of one of
// SERVICE_CALLERS. A verifier that cannot check services' tokens (a test's)
// leaves every such call refused.
func mountInternal(e *gin.Engine, mod *Module, v auth.Verifier, callers []string) {
	if mod.Internal == nil {
		return
	}
	sv, ok := v.(auth.ServiceVerifier)
	if !ok {
		sv = noServices{}
	}
	mod.Internal(e.Group("/internal/v1", auth.ServiceMiddleware(sv, callers, httpx.WriteError)))
}

// noServices refuses every service token.
type noServices struct{}

func (noServices) VerifyService(context.Context, string, []string) (auth.ServicePrincipal, error) {
	return auth.ServicePrincipal{}, apperr.Unauthenticated("unauthenticated", "this service accepts no service's token")
}
