// Package activityerr is how the customer service's activities for other
// services' workflows fail a refusal: not retried, with one of two error
// types the workflows name as non-retryable (wfx.Call NonRetryable) —
// "not_found" for an unknown record, "invalid" for any other business
// refusal, its message naming the fields. An internal or unavailable
// failure is returned as it is, so Temporal retries it.
package activityerr

import (
	"errors"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Error types the activities fail with, not retried.
const (
	TypeInvalid  = "invalid"
	TypeNotFound = "not_found"
)

// NonRetryable maps a refusal to the workflows' error types: not found to
// TypeNotFound, any other business refusal to TypeInvalid; nil, an internal
// or an unavailable failure is returned as it is.
func NonRetryable(err error) error {
	var ae *apperr.Error
	if err == nil || !errors.As(err, &ae) || ae.Kind == apperr.KindInternal || ae.Kind == apperr.KindUnavailable {
		return err
	}
	if ae.Kind == apperr.KindNotFound {
		return temporal.NewNonRetryableApplicationError(ae.Message, TypeNotFound, err)
	}
	msg := ae.Message
	if len(ae.Fields) > 0 {
		parts := make([]string, len(ae.Fields))
		for i, f := range ae.Fields {
			parts[i] = f.Field + ": " + f.Code + " (" + f.Message + ")"
		}
		msg += ": " + strings.Join(parts, "; ")
	}
	return temporal.NewNonRetryableApplicationError(msg, TypeInvalid, err)
}

// Invalid is a refusal of a malformed payload field that cannot be read
// (an instant out of range), as NonRetryable makes it.
func Invalid(field, message string) error {
	var v apperr.Validation
	v.Add(field, "invalid", message)
	return NonRetryable(v.Err())
}
