package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Middleware authenticates every request with v. It requires the header
// "Authorization: Bearer <jwt>"; when it is missing, malformed, or the token is
// not accepted (forged, expired, wrong issuer or audience, not an access token,
// no known role, …) it calls writeErr with an apperr.Unauthenticated error (code
// "unauthenticated"; 401; Meta "reason" names the rule, e.g. token_expired) and
// aborts the chain. The messages distinguish a missing header from a bad token
// and never contain any part of the token. Each refusal is logged (slog's
// default logger; a missing or malformed header at debug, a refused token at
// info) with its reason and cause, never the token. If the issuer cannot be
// reached writeErr gets the verifier's KindUnavailable error (503) instead.
//
// On success the principal is put into the request context (read it with
// [FromContext]) and, when a span is recording, the subject is recorded as the
// span attribute enduser.id.
//
// writeErr renders the error body; services pass httpx.WriteError.
func Middleware(v Verifier, writeErr func(*gin.Context, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		authenticate(c, writeErr, func(ctx context.Context, raw string) (string, context.Context, error) {
			p, err := v.Verify(ctx, raw)
			return p.Subject, WithPrincipal(ctx, p), err
		})
	}
}

// authenticate runs what both middlewares do around their verifier: the
// bearer token read from the header, a refusal answered and logged, and on
// success the span's enduser.id (id) and the request's context with who
// called (ctx, from verify) before the chain goes on.
func authenticate(c *gin.Context, writeErr func(*gin.Context, error), verify func(ctx context.Context, raw string) (id string, with context.Context, err error)) {
	ctx := c.Request.Context()
	raw, err := bearerToken(c.GetHeader("Authorization"))
	if err != nil {
		logRefusal(ctx, slog.LevelDebug, err)
		fail(c, writeErr, err)
		return
	}
	id, with, err := verify(ctx, raw)
	if err != nil {
		err = verifyError(err)
		logRefusal(ctx, slog.LevelInfo, err)
		fail(c, writeErr, err)
		return
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attribute.String("enduser.id", id))
	}
	c.Request = c.Request.WithContext(with)
	c.Next()
}

// Require lets the request through only if the authenticated principal has perm;
// otherwise it calls writeErr with apperr.Forbidden (code "forbidden"; 403) and
// aborts. It must run after [Middleware]; without a principal it answers 401.
func Require(perm Permission, writeErr func(*gin.Context, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := FromContext(c.Request.Context())
		if !ok {
			fail(c, writeErr, errTokenMissing)
			return
		}
		if !p.Can(perm) {
			fail(c, writeErr, apperr.Forbidden("forbidden", "your role does not grant the permission "+string(perm)))
			return
		}
		c.Next()
	}
}

// Authorize returns the principal in ctx when it has perm: the check every
// use case starts with. Without a principal it is 401 (code
// "unauthenticated"), without the permission 403 (code "forbidden").
func Authorize(ctx context.Context, perm Permission) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return p, apperr.Unauthenticated("unauthenticated", "a bearer token is required")
	}
	if !p.Can(perm) {
		return p, apperr.Forbidden("forbidden", "your role may not do this")
	}
	return p, nil
}

// fail writes err and makes sure the chain stops even if writeErr does not abort.
func fail(c *gin.Context, writeErr func(*gin.Context, error), err error) {
	writeErr(c, err)
	c.Abort()
}

// bearerToken extracts the token from an Authorization header value. The scheme
// is case-insensitive (RFC 7235).
func bearerToken(header string) (string, error) {
	if header == "" {
		return "", errTokenMissing
	}
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", errTokenMalformed
	}
	return token, nil
}

// logRefusal logs why a request was not authenticated: the reason and the
// cause the verifier wrapped (which never holds the token). Unavailable
// errors are left to the error writer, which logs every 5xx.
func logRefusal(ctx context.Context, level slog.Level, err error) {
	e, ok := errors.AsType[*apperr.Error](err)
	if !ok || e.Kind != apperr.KindUnauthenticated {
		return
	}
	attrs := []any{"reason", e.Meta["reason"]}
	if e.Err != nil {
		attrs = append(attrs, "cause", e.Err.Error())
	}
	slog.Default().Log(ctx, level, "bearer token refused", attrs...)
}

// verifyError makes sure what reaches the client is an auth error: unavailable
// errors pass through, anything else becomes 401. The cause of an error that is
// not an *apperr.Error is dropped: it comes from a verifier that does not
// promise to keep the token out of its messages, and refusals are logged.
func verifyError(err error) error {
	if e, ok := errors.AsType[*apperr.Error](err); ok &&
		(e.Kind == apperr.KindUnauthenticated || e.Kind == apperr.KindUnavailable) {
		return e
	}
	return errTokenInvalid.Wrap(errors.New("the verifier refused the token"))
}
