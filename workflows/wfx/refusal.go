package wfx

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

// Refusal is a business rule a request breaks, the one refusal type of every
// workflow's rules (workflows/lead, workflows/visit). Code is the API's
// machine-readable error code, Field the request field at fault (empty when
// the request as a whole is refused), Message the words the caller reads.
//
// A rule returns a *Refusal; an update validator returns it as an error with
// Err, and the service that sent the update gets it back with AsRefusal, so
// the same code and words reach the caller whether the service's own check
// or the workflow's validator refused.
type Refusal struct {
	Code    string
	Field   string
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// Err is r as the error an update validator (or handler) returns: a
// non-retryable application error whose type is the code and whose details,
// when there is a field, are the field. Nil when r is nil.
func (r *Refusal) Err() error {
	if r == nil {
		return nil
	}
	if r.Field == "" {
		return temporal.NewNonRetryableApplicationError(r.Message, r.Code, nil)
	}
	return temporal.NewNonRetryableApplicationError(r.Message, r.Code, nil, r.Field)
}

// AsRefusal finds the refusal in what an update (or an activity) answered: an
// application error's type, field and message. ok is false when err carries
// no application error (the engine failed, the wait ran out).
func AsRefusal(err error) (r *Refusal, ok bool) {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		return nil, false
	}
	r = &Refusal{Code: app.Type(), Message: app.Message()}
	if app.HasDetails() {
		_ = app.Details(&r.Field)
	}
	return r, true
}
