package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/closeloop/closeloop/platform/apperr"
)

// The errors a verifier returns. Their messages are safe to show to clients: they
// never contain any part of the token. details.reason (Meta "reason") names the
// rule that refused the token, for clients and logs; the underlying cause is
// wrapped for logs.
var (
	errTokenMissing   = refusal("token_missing", "a bearer token is required")
	errTokenMalformed = refusal("authorization_malformed", "the Authorization header must be of the form 'Bearer <token>'")
	errTokenInvalid   = refusal("token_invalid", "the bearer token is invalid")
	errTokenExpired   = refusal("token_expired", "the bearer token has expired")
	errTokenNoRole    = refusal("no_role", "the bearer token grants no Closeloop role")
	errTokenType      = refusal("not_an_access_token", "the bearer token is not an access token (an ID or refresh token was sent?)")
	errTokenNoAZP     = refusal("azp_missing", "the bearer token is for several audiences but does not name its client (azp)")
	errTokenClient    = refusal("client_not_allowed", "the bearer token was issued to a client this service does not accept")
	errTokenNoIAT     = refusal("iat_missing", "the bearer token has no issue time (iat)")
	errTokenLifetime  = refusal("lifetime_too_long", "the bearer token's lifetime (exp - iat) is longer than this service accepts")
	errTokenFuture    = refusal("issued_in_future", "the bearer token is issued in the future; check the clocks of the issuer and this service")
	errTokenNotYet    = refusal("not_yet_valid", "the bearer token is not valid yet (nbf)")
	errServiceToken   = refusal("service_token", "the bearer token is a service's: it does not act for a user")
	errNotService     = refusal("not_a_service", "the bearer token is not a Closeloop service's (the role service)")
	errServiceCaller  = refusal("caller_not_allowed", "the bearer token's service may not call this")
	errIssuerDown     = apperr.Unavailable("identity_provider_unavailable", "the identity provider cannot be reached; retry shortly")
)

func refusal(reason, message string) *apperr.Error {
	return apperr.Unauthenticated("unauthenticated", message).With("reason", reason)
}

// invalid is errTokenInvalid with a more precise reason (for logs and
// details.reason; the message stays the same) and the cause.
func invalid(reason string, cause error) *apperr.Error {
	return errTokenInvalid.With("reason", reason).Wrap(cause)
}

// tokenClaims are the claims Closeloop reads beyond the registered ones.
type tokenClaims struct {
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	Teams    []string `json:"teams"`
	AZP      string   `json:"azp"`
	ClientID string   `json:"client_id"`
	// Type is Keycloak's typ claim: "Bearer" for access tokens, "ID",
	// "Refresh", "Offline" or "Logout" for the others.
	Type json.RawMessage `json:"typ"`
}

// policy is what checkClaims needs to know.
type policy struct {
	issuer, audience string
	opts             OIDCOptions
}

// checkHeaderType refuses a JWT whose header typ says it is not an access
// token. RFC 9068 access tokens are "at+jwt"; most issuers write "JWT" or
// nothing; anything else ("logout+jwt", "secevent+jwt", "dpop+jwt", …) is
// some other kind of token.
func checkHeaderType(typ any) error {
	if typ == nil {
		return nil
	}
	s, ok := typ.(string)
	t := strings.TrimPrefix(strings.ToLower(s), "application/")
	if !ok || t != "jwt" && t != "at+jwt" {
		return errTokenType.Wrap(fmt.Errorf("JWT header typ %q", s))
	}
	return nil
}

// checkClaims applies the registered-claim rules to a token whose signature
// has been verified, at time now. The order decides which reason a token
// breaking several rules gets: who issued it and for whom, then time, then
// its kind and client.
func (p policy) checkClaims(now time.Time, reg jwt.Claims, c tokenClaims) error {
	skew := p.opts.ClockSkew
	switch {
	case reg.Issuer != p.issuer:
		return invalid("wrong_issuer", fmt.Errorf("iss %q, want %q", reg.Issuer, p.issuer))
	case !slices.Contains(reg.Audience, p.audience):
		return invalid("wrong_audience", fmt.Errorf("aud %q does not contain %q", []string(reg.Audience), p.audience))
	case reg.Expiry == nil:
		return invalid("exp_missing", errors.New("token has no exp"))
	case now.After(reg.Expiry.Time()):
		return errTokenExpired.Wrap(fmt.Errorf("expired at %s", reg.Expiry.Time().UTC().Format(time.RFC3339)))
	case reg.IssuedAt == nil:
		return errTokenNoIAT
	case reg.IssuedAt.Time().After(now.Add(skew)):
		return errTokenFuture.Wrap(fmt.Errorf("iat %s is more than %s after now", reg.IssuedAt.Time().UTC().Format(time.RFC3339), skew))
	case reg.NotBefore != nil && reg.NotBefore.Time().After(now.Add(skew)):
		return errTokenNotYet.Wrap(fmt.Errorf("nbf %s is more than %s after now", reg.NotBefore.Time().UTC().Format(time.RFC3339), skew))
	case reg.Expiry.Time().Before(reg.IssuedAt.Time()):
		return invalid("exp_before_iat", errors.New("exp is before iat"))
	case reg.Expiry.Time().Sub(reg.IssuedAt.Time()) > p.opts.MaxTokenLifetime:
		return errTokenLifetime.Wrap(fmt.Errorf("exp - iat = %s, at most %s", reg.Expiry.Time().Sub(reg.IssuedAt.Time()), p.opts.MaxTokenLifetime))
	}
	if len(c.Type) > 0 && string(c.Type) != "null" {
		var typ string
		if err := json.Unmarshal(c.Type, &typ); err != nil || !strings.EqualFold(typ, "Bearer") {
			return errTokenType.Wrap(fmt.Errorf("typ claim %s", c.Type))
		}
	}
	client := c.AZP
	if client == "" {
		client = c.ClientID
	}
	switch {
	case len(reg.Audience) > 1 && c.AZP == "":
		return errTokenNoAZP.Wrap(fmt.Errorf("aud %q", []string(reg.Audience)))
	case len(p.opts.AllowedClients) > 0 && !slices.Contains(p.opts.AllowedClients, client):
		return errTokenClient.Wrap(fmt.Errorf("client %q (azp or client_id) is not in OIDC_ALLOWED_CLIENTS", client))
	}
	return nil
}

func principalFromClaims(subject string, c tokenClaims) (Principal, error) {
	if subject == "" {
		return Principal{}, invalid("sub_missing", errors.New("token has no sub claim"))
	}
	if slices.Contains(c.Roles, string(RoleService)) {
		return Principal{}, errServiceToken
	}
	p := Principal{Subject: subject, Name: c.Name}
	for _, name := range c.Roles {
		if r := Role(name); r.Known() && !slices.Contains(p.Roles, r) {
			p.Roles = append(p.Roles, r)
		}
	}
	if len(p.Roles) == 0 {
		return Principal{}, errTokenNoRole
	}
	for _, t := range c.Teams {
		if t != "" && !slices.Contains(p.Teams, t) {
			p.Teams = append(p.Teams, t)
		}
	}
	return p, nil
}
