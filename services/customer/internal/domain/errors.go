package domain

import "github.com/closeloop/closeloop/platform/apperr"

var (
	ErrCustomerNotFound  = apperr.NotFound("customer_not_found", "no such customer")
	ErrContactNotFound   = apperr.NotFound("contact_not_found", "no such contact")
	ErrParentNotFound    = apperr.Rule("parent_not_found", "the parent customer does not exist or is not visible to you")
	ErrDuplicate         = apperr.Conflict("duplicate_customer", "a customer with the same name, tax id or contact email already exists")
	ErrInvalidTransition = apperr.Rule("invalid_stage_transition", "this lifecycle stage change is not allowed")
	ErrHierarchyCycle    = apperr.Rule("hierarchy_cycle", "a customer cannot be placed under itself or one of its own subsidiaries")
	ErrHierarchyTooDeep  = apperr.Rule("hierarchy_too_deep", "the customer hierarchy would exceed the maximum depth")
	ErrHasChildren       = apperr.Rule("has_children", "move or delete the subsidiaries of this customer first")
	ErrNotDeleted        = apperr.Rule("not_deleted", "the customer is not deleted")
	ErrParentDeleted     = apperr.Rule("parent_deleted", "restore the parent customer first")
	ErrOwnerOutOfScope   = apperr.Forbidden("owner_out_of_scope", "you may not assign customers to this owner or team")
	ErrInvalidThresholds = apperr.Rule("abc_thresholds_invalid", "ABC thresholds must satisfy 0 < a_share < b_share < 1")
)
