package domain

import (
	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// slipErrors are the slip errors a refusal's code names (errors.go).
var slipErrors = map[string]*apperr.Error{}

func init() {
	for _, e := range []*apperr.Error{ErrSlipNotFound, ErrSlipNotAllowed, ErrSlipClosed, ErrSlipWithdrawn, ErrSlipAlreadyAcknowledged,
		ErrSlipAlreadyDone, ErrSlipRecipientTransition, ErrSlipNotRouted, ErrSlipNotDepartment, ErrSlipNotAllDone,
		ErrSlipCloseNotDue, ErrSlipVersionConflict} {
		slipErrors[e.Code] = e
	}
}

// SlipErrorByCode returns the slip error with this code, carrying message
// when it is not empty (for errors that crossed the workflow).
func SlipErrorByCode(code, message string) (*apperr.Error, bool) {
	e, ok := slipErrors[code]
	if !ok {
		return nil, false
	}
	out := *e
	if message != "" {
		out.Message = message
	}
	return &out, true
}

// SlipRefusal is a refusal of the slip's rules (infoslip.CheckCommand, or
// the workflow's validator answering with it) as this service's error: 422
// on its field when it names one, else the 409 slip error of its code.
// Nil when r is nil.
func SlipRefusal(r *wfx.Refusal) error {
	switch {
	case r == nil:
		return nil
	case r.Field != "":
		return fieldErr(r.Field, r.Code, r.Message)
	}
	if e, ok := SlipErrorByCode(r.Code, r.Message); ok {
		return e
	}
	return apperr.Conflict(r.Code, r.Message)
}
