package domain

import "github.com/closeloop/closeloop/platform/apperr"

// Errors. A campaign out of the caller's sight is 404, never 403; a change
// the caller's part in a campaign does not allow is 403; a change the
// campaign's state does not allow is 422 (KindRule) with a code a client may
// switch on. Bad fields are one 422 validation_failed error naming each field
// (apperr.Validation).
var (
	// ErrNotFound is a campaign that does not exist or that the caller may
	// not see: both look the same (404, never 403).
	ErrNotFound = apperr.NotFound("campaign_not_found", "no such campaign")
	// ErrReadOnly: the caller sees the campaign (analysts, marketers of
	// another team) but does not work it.
	ErrReadOnly = apperr.Forbidden("campaign_read_only", "you may read this campaign but not change it: its team's marketers and marketing managers do")
	// ErrCreateNotAllowed: the caller is no marketer, marketing manager or
	// admin, so it creates no campaign.
	ErrCreateNotAllowed = apperr.Forbidden("campaign_create_not_allowed", "campaigns are created by marketers, marketing managers and admins")
	// ErrNotMarketingManager: only a marketing manager of the campaign's team
	// (or an admin) approves it.
	ErrNotMarketingManager = apperr.Forbidden("not_marketing_manager", "only a marketing manager of the campaign's team (or an admin) approves it")
	// ErrNotRunner: only the campaign's owner, a marketing manager of its
	// team or an admin launches, completes or cancels it.
	ErrNotRunner = apperr.Forbidden("not_campaign_runner", "only the campaign's owner, a marketing manager of its team or an admin launches, completes or cancels it")
	// ErrNotEditable: only a draft is edited; an approved campaign is what
	// its manager approved.
	ErrNotEditable = apperr.Rule("not_editable", "only a draft campaign is edited: cancel this one and create a new draft instead")
	// ErrTransition: the state machine has no such move.
	ErrTransition = apperr.Rule("invalid_transition", "this campaign state change is not allowed")
	// ErrStateUnchanged: the campaign is already in the state asked for.
	ErrStateUnchanged = apperr.Rule("state_unchanged", "the campaign is already in this state")
	// ErrApprovalRequired: a draft is approved before it is launched.
	ErrApprovalRequired = apperr.Rule("approval_required", "a draft campaign is approved by a marketing manager of its team before it is launched")
	// ErrCostNotAllowed: costs are spent on an approved, running or completed
	// campaign; a draft has spent nothing yet and a cancelled one is closed.
	ErrCostNotAllowed = apperr.Rule("cost_not_allowed", "costs are recorded on an approved, running or completed campaign only")
	// ErrVersionConflict: the campaign changed since the caller read it.
	ErrVersionConflict = apperr.Conflict("version_conflict", "the campaign changed since you read it; reload and retry")
)

// byCode finds a domain error by its code, for errors that crossed a
// workflow (an update validator's refusal, a failed activity).
var byCode = map[string]*apperr.Error{}

func init() {
	for _, e := range []*apperr.Error{ErrNotFound, ErrReadOnly, ErrCreateNotAllowed, ErrNotMarketingManager, ErrNotRunner,
		ErrNotEditable, ErrTransition, ErrStateUnchanged, ErrApprovalRequired, ErrCostNotAllowed, ErrVersionConflict} {
		byCode[e.Code] = e
	}
}

// ErrorByCode returns the domain error with this code, carrying message
// when it is not empty.
func ErrorByCode(code, message string) (*apperr.Error, bool) {
	e, ok := byCode[code]
	if !ok {
		return nil, false
	}
	out := *e
	if message != "" {
		out.Message = message
	}
	return &out, true
}

// CheckVersion refuses a change made against a version of the campaign
// other than the stored one (expected 0: the caller did not say).
func CheckVersion(c Campaign, expected int) error {
	if expected != 0 && expected != c.Version {
		return ErrVersionConflict
	}
	return nil
}

// fieldErr is a validation failure of one field.
func fieldErr(field, code, msg string) error {
	var v apperr.Validation
	v.Add(field, code, msg)
	return v.Err()
}
