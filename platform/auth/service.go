package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gin-gonic/gin"
)

// Calls between services with no user behind them.
//
// Services call each other as the user — with the user's token — wherever a
// user's request is behind the call. A call made by a workflow's local
// activity has no user, and must not carry a user's token in its history:
// the calling service then uses a token of its own, obtained from the
// identity provider with the client credentials grant of a client it is
// registered as (a confidential client with a service account; the dev
// issuer serves the grant, platform/auth/devissuer). Such a token has the
// role service and names its client in azp or client_id.
//
// The two kinds never mix: Verify (every user route) refuses a token with
// the role service, and VerifyService (a route meant for services) accepts
// only such tokens, from the clients the route names — whatever
// OIDC_ALLOWED_CLIENTS says of users' clients.

// RoleService is the role of a service's own token. It is no user role:
// Known is false for it and it grants no permission.
const RoleService Role = "service"

// ServicePrincipal is the service a token was issued to.
type ServicePrincipal struct {
	// Subject is the token's sub: the client's service account.
	Subject string
	// Client is the client the token was issued to (azp, else client_id):
	// which service calls.
	Client string
}

// ServiceVerifier turns a raw bearer token into the service it was issued
// to, when that service is one of callers; OIDCVerifier is one. Errors are
// *apperr.Error values as Verifier's.
type ServiceVerifier interface {
	VerifyService(ctx context.Context, rawToken string, callers []string) (ServicePrincipal, error)
}

// VerifyService checks rawToken as Verify does — signature, issuer,
// audience, lifetime, an access token — and returns the service it was
// issued to, when it has the role service, no user role, and its client
// (azp, else client_id) is one of callers. A route for services names its
// callers: with none, every token is refused.
func (v *OIDCVerifier) VerifyService(ctx context.Context, rawToken string, callers []string) (ServicePrincipal, error) {
	reg, c, err := v.signed(ctx, rawToken)
	if err != nil {
		return ServicePrincipal{}, err
	}
	p := v.policy
	p.opts.AllowedClients = nil // users' clients; the callers are checked below
	if err := p.checkClaims(v.now(), reg, c); err != nil {
		return ServicePrincipal{}, err
	}
	return servicePrincipal(reg.Subject, c, callers)
}

// servicePrincipal applies the service rules to checked claims.
func servicePrincipal(subject string, c tokenClaims, callers []string) (ServicePrincipal, error) {
	client := c.AZP
	if client == "" {
		client = c.ClientID
	}
	switch {
	case subject == "":
		return ServicePrincipal{}, invalid("sub_missing", errors.New("token has no sub claim"))
	case !slices.Contains(c.Roles, string(RoleService)):
		return ServicePrincipal{}, errNotService
	case slices.ContainsFunc(c.Roles, func(r string) bool { return Role(r).Known() }):
		return ServicePrincipal{}, errNotService.Wrap(errors.New("the token has a user role beside service"))
	case client == "" || !slices.Contains(callers, client):
		return ServicePrincipal{}, errServiceCaller.Wrap(fmt.Errorf("client %q is not among this route's callers %q", client, callers))
	}
	return ServicePrincipal{Subject: subject, Client: client}, nil
}

type serviceKey struct{}

// WithService returns ctx carrying the calling service.
func WithService(ctx context.Context, s ServicePrincipal) context.Context {
	return context.WithValue(ctx, serviceKey{}, s)
}

// ServiceFromContext returns the service stored by [WithService] (or
// [ServiceMiddleware]).
func ServiceFromContext(ctx context.Context) (ServicePrincipal, bool) {
	s, ok := ctx.Value(serviceKey{}).(ServicePrincipal)
	return s, ok
}

// ServiceMiddleware authenticates a route meant for services: the bearer
// token must be a service's from one of callers ([OIDCVerifier.VerifyService]).
// A refusal is answered and logged as [Middleware] does (401, code
// "unauthenticated", Meta "reason": not_a_service, caller_not_allowed, or
// any rule of a user's token; 503 when the issuer cannot be reached). On
// success the service is put into the request context (read it with
// [ServiceFromContext]) and, when a span is recording, its client is
// recorded as the span attribute enduser.id.
func ServiceMiddleware(v ServiceVerifier, callers []string, writeErr func(*gin.Context, error)) gin.HandlerFunc {
	callers = slices.Clone(callers)
	return func(c *gin.Context) {
		authenticate(c, writeErr, func(ctx context.Context, raw string) (string, context.Context, error) {
			s, err := v.VerifyService(ctx, raw, callers)
			return s.Client, WithService(ctx, s), err
		})
	}
}
