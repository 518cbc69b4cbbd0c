package temporalx

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/closeloop/closeloop/platform/apperr"
)

// NonRetryable is what an activity returns for err: a business error (invalid
// input, not found, a rule, a conflict) fails the activity at once, its code
// becoming the error type the workflow sees; anything else (internal,
// unavailable) is returned as it is, so Temporal retries it.
func NonRetryable(err error) error {
	var ae *apperr.Error
	if err != nil && errors.As(err, &ae) && ae.Kind != apperr.KindInternal && ae.Kind != apperr.KindUnavailable {
		return temporal.NewNonRetryableApplicationError(ae.Message, ae.Code, err)
	}
	return err
}
