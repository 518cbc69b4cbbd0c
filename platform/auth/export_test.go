package auth

import (
	"context"
	"time"
)

// NewOIDCVerifierAt is NewOIDCVerifierWith reading the time (token times and
// key-set refetch waits) from now, so tests can move past deadlines without
// waiting.
func NewOIDCVerifierAt(ctx context.Context, issuerURL, audience string, opts OIDCOptions, now func() time.Time) (*OIDCVerifier, error) {
	return newOIDCVerifier(ctx, issuerURL, audience, opts, now)
}
