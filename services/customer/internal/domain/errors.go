package domain

import "github.com/closeloop/closeloop/platform/apperr"

var (
	ErrCustomerNotFound = apperr.NotFound("customer_not_found", "no such customer")
	ErrContactNotFound  = apperr.NotFound("contact_not_found", "no such contact")
	ErrParentNotFound   = apperr.Rule("parent_not_found", "the parent customer does not exist or is not visible to you")
	ErrDuplicate        = apperr.Conflict("duplicate_customer", "a customer with the same name, tax id or contact email already exists")
	// ErrDuplicateElsewhere has the same code as ErrDuplicate (clients handle
	// one code); errors.Is matches either.
	ErrDuplicateElsewhere = apperr.Conflict("duplicate_customer", "a customer with the same name, tax id or contact email already exists outside your scope")
	ErrInvalidTransition  = apperr.Rule("invalid_stage_transition", "this lifecycle stage change is not allowed")
	ErrHierarchyCycle     = apperr.Rule("hierarchy_cycle", "a customer cannot be placed under itself or one of its own subsidiaries")
	ErrHierarchyTooDeep   = apperr.Rule("hierarchy_too_deep", "the customer hierarchy would exceed the maximum depth")
	ErrHasChildren        = apperr.Rule("has_children", "move or delete the subsidiaries of this customer first")
	ErrNotDeleted         = apperr.Rule("not_deleted", "the customer is not deleted")
	ErrParentDeleted      = apperr.Rule("parent_deleted", "restore the parent customer first")
	ErrOwnerOutOfScope    = apperr.Forbidden("owner_out_of_scope", "you may not assign customers to this owner or team")
	ErrInvalidThresholds  = apperr.Rule("abc_thresholds_invalid", "ABC thresholds must satisfy 0 < a_share < b_share < 1")
)

// Duplicate is the live customer a create or change would duplicate, as the
// store found it. It unwraps to ErrDuplicate without any detail, so if it ever
// reached a client unmapped it would say no more than "a duplicate exists".
type Duplicate struct {
	ID, OwnerID, Team string
	// MatchedOn is name, tax_id or contact_email.
	MatchedOn string
}

func (d *Duplicate) Error() string { return "duplicate of customer " + d.ID + " (" + d.MatchedOn + ")" }

// Unwrap makes errors.Is(err, ErrDuplicate) hold.
func (d *Duplicate) Unwrap() error { return ErrDuplicate }

// Refusal is the 409 for a caller: with the existing customer's id when the
// caller may see it; otherwise only which key matched and the owning team to
// ask — never the id or the owner, which would reveal a customer outside the
// caller's scope.
func (d *Duplicate) Refusal(visible bool) *apperr.Error {
	if visible {
		return ErrDuplicate.With("existing_id", d.ID).With("matched_on", d.MatchedOn)
	}
	e := ErrDuplicateElsewhere.With("matched_on", d.MatchedOn)
	if d.Team != "" {
		return e.With("owning_team", d.Team).Withf("a customer with the same %s already exists outside your scope; ask team %s (its manager) to share or transfer it", matchedWords[d.MatchedOn], d.Team)
	}
	return e.Withf("a customer with the same %s already exists and has no owner yet; ask a manager to assign it", matchedWords[d.MatchedOn])
}

var matchedWords = map[string]string{"name": "name", "tax_id": "tax id", "contact_email": "contact email"}

// ErrUserNotFound: no such user in the directory.
var ErrUserNotFound = apperr.NotFound("user_not_found", "no such user")
