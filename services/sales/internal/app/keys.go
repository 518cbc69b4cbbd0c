package app

import (
	"context"
	"net/http"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/idem"
)

// Keyed is a create's Idempotency-Key and the request body it came with.
//
// A lead's or opportunity's id is derived from its creator and the key, so
// a retry can never create twice: it reaches the record (or workflow) the
// first request made. What the key alone cannot tell is a retry from a
// different request that reuses it: the body is remembered with the key
// (platform/idem, kept 24 hours) and the same key with another body is 409
// idempotency_key_reused, as in every service.
type Keyed struct {
	Key  string
	Body []byte
}

// checkKey refuses a key that came before with another body (409
// idempotency_key_reused); a retry of the same request goes on and reaches
// what the first one made.
func (a *App) checkKey(ctx context.Context, p auth.Principal, scope string, k Keyed) (idem.Request, error) {
	req := idem.Request{Key: k.Key, Principal: p.Subject, Scope: scope, Body: k.Body}
	_, _, err := idem.Lookup(ctx, a.store.DB(), req)
	return req, err
}

// remembered stores the body a key came with once the create is made
// (stored: 201) or accepted (202), and returns err, or the error of storing
// it: the create stands then (a retry with the key reaches it), and the
// client learns to retry.
func (a *App) remembered(ctx context.Context, req idem.Request, stored bool, view any, err error) error {
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !stored {
		status = http.StatusAccepted
	}
	return idem.Remember(ctx, a.store.DB(), req, status, view)
}
