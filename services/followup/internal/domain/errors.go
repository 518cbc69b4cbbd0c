package domain

import (
	"errors"
	"fmt"

	"github.com/closeloop/closeloop/platform/apperr"
)

// ErrFollowUpNotFound is a follow-up the caller may not see, or none.
var ErrFollowUpNotFound = apperr.NotFound("not_found", "no such follow-up")

// ErrNoFollowUp is a follow-up id a workflow's activity names that is not stored.
func ErrNoFollowUp(id string) error { return apperr.NotFound("not_found", "no follow-up "+id) }

// ErrPolicyNotFound is a policy name the catalogue does not know.
func ErrPolicyNotFound(name string) error {
	return apperr.NotFound("policy_not_found", fmt.Sprintf("no policy is named %q", name))
}

// ErrVersionNotFound is a version number a policy does not have.
func ErrVersionNotFound(name string, version int64) error {
	return apperr.NotFound("version_not_found", fmt.Sprintf("%s has no version %d", name, version))
}

// ErrCalendarNotFound is a calendar name no calendar has.
func ErrCalendarNotFound(name string) error {
	return apperr.NotFound("calendar_not_found", fmt.Sprintf("no calendar is named %q", name))
}

var (
	// ErrConcurrentChange: two versions of a policy were created at once.
	ErrConcurrentChange = apperr.Conflict("concurrent_change", "another version was created at the same moment; read the policy again and retry")
	// ErrAlreadyWithdrawn: a withdrawn version cannot be withdrawn again.
	ErrAlreadyWithdrawn = apperr.Rule("already_withdrawn", "this version is already withdrawn")
	// ErrAlreadyInForce: a version in force (or past) cannot be withdrawn.
	ErrAlreadyInForce = apperr.Rule("already_in_force", "this version has come into force; roll back to an earlier version instead")
)

// MergeValidation merges the field errors of two validation failures into
// one (b's first); when either is not a validation failure it returns a.
func MergeValidation(a, b error) error {
	var ea, eb *apperr.Error
	if errors.As(a, &ea) && errors.As(b, &eb) && ea.Code == "validation_failed" && eb.Code == "validation_failed" {
		var v apperr.Validation
		for _, f := range append(append([]apperr.FieldError{}, eb.Fields...), ea.Fields...) {
			v.Add(f.Field, f.Code, f.Message)
		}
		return v.Err()
	}
	return a
}
