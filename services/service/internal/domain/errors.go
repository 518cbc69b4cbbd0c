package domain

import "github.com/closeloop/closeloop/platform/apperr"

// Errors. Refusals of a state change are 422 (KindRule) with a code a client
// may switch on; the message says what to do instead.
var (
	// ErrCaseNotFound is a case that does not exist or that the caller may
	// not see: both look the same (404, never 403).
	ErrCaseNotFound = apperr.NotFound("case_not_found", "no such case")
	// ErrCaseReadOnly: the caller sees the case (its customer is theirs, or
	// they read everything) but does not work it.
	ErrCaseReadOnly = apperr.Forbidden("case_read_only", "you may read this case but not change it: it is worked by its team")
	// ErrFileNotAllowed: the caller's roles work no case, so they file none
	// (analysts read cases; a manager of no team has no queue).
	ErrFileNotAllowed = apperr.Forbidden("case_file_not_allowed", "your role reads cases but does not file them: cases are filed by reps, managers of a team and admins")
	// ErrCaseClosed: a closed case never changes state and gets no public reply.
	ErrCaseClosed = apperr.Rule("case_closed", "the case is closed and cannot change: create a follow-on case")
	// ErrTransition: the state machine has no such move.
	ErrTransition = apperr.Rule("invalid_case_transition", "this case state change is not allowed")
	// ErrStateUnchanged: the case is already in the state asked for.
	ErrStateUnchanged = apperr.Rule("state_unchanged", "the case is already in this state")
	// ErrOpenFirst: a new case cannot wait for the customer.
	ErrOpenFirst = apperr.Rule("case_not_opened", "open it first: someone must have looked at the case before it waits for the customer")
	// ErrResolveFirst: only a resolved case closes.
	ErrResolveFirst = apperr.Rule("case_not_resolved", "resolve the case first: only a resolved case is closed")
	// ErrUseReopen: a resolved case goes back to open only by reopening it.
	ErrUseReopen = apperr.Rule("use_reopen", "the case is resolved: reopen it (within the reopen window) instead")
	// ErrReopenWindowPassed: the case was resolved longer ago than the
	// reopen window allows.
	ErrReopenWindowPassed = apperr.Rule("reopen_window_passed", "the case was resolved too long ago to reopen: create a follow-on case")
	// ErrReopenInstead: a follow-on case of a case that may still be reopened.
	ErrReopenInstead = apperr.Rule("reopen_instead", "the case was resolved recently: reopen it instead of creating a follow-on case")
	// ErrNotFinished: a follow-on case of a case still being worked.
	ErrNotFinished = apperr.Rule("case_not_finished", "the case is still being worked: add to it instead of creating a follow-on case")
	// ErrCloseNotDue: an automatic close before the period since resolution
	// has passed (a stale timer: the case was reopened and resolved again).
	ErrCloseNotDue = apperr.Rule("close_not_due", "the case was resolved too recently to close automatically")
	// ErrCaseResolved: a resolved case keeps its priority.
	ErrCaseResolved = apperr.Rule("case_resolved", "the case is resolved: reopen it to change its priority")
	// ErrPriorityUnchanged: the case already has this priority.
	ErrPriorityUnchanged = apperr.Rule("priority_unchanged", "the case already has this priority")
	// ErrAssignmentUnchanged: the case is already with this assignee and team.
	ErrAssignmentUnchanged = apperr.Rule("assignment_unchanged", "the case is already assigned so")
	// ErrVersionConflict: the case changed since the caller read it.
	ErrVersionConflict = apperr.Conflict("version_conflict", "the case changed since you read it; reload and retry")
)

// byCode finds a domain error by its code, for errors that crossed a
// workflow (an update validator's refusal, a failed activity).
var byCode = map[string]*apperr.Error{}

func init() {
	for _, e := range []*apperr.Error{ErrCaseNotFound, ErrCaseReadOnly, ErrFileNotAllowed, ErrCaseClosed, ErrTransition, ErrStateUnchanged,
		ErrOpenFirst, ErrResolveFirst, ErrUseReopen, ErrReopenWindowPassed, ErrReopenInstead, ErrNotFinished, ErrCloseNotDue,
		ErrCaseResolved, ErrPriorityUnchanged, ErrAssignmentUnchanged, ErrVersionConflict} {
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

// CheckVersion refuses a change made against a version of the case other
// than the stored one (expected 0: the caller did not say).
func CheckVersion(c Case, expected int64) error {
	if expected != 0 && expected != c.Version {
		return ErrVersionConflict
	}
	return nil
}

// Info slip errors (slip*.go). A refusal of the slip's rules
// (infoslip.CheckCommand) keeps the rules' code: a state refusal is 409
// (these values), one about a request field 422 on that field (SlipRefusal).
var (
	// ErrSlipNotFound is a slip that does not exist or that the caller may
	// not see: both look the same (404, never 403).
	ErrSlipNotFound = apperr.NotFound("slip_not_found", "no such slip")
	// ErrSlipNotAllowed: the caller sees the slip but may not make this change.
	ErrSlipNotAllowed = apperr.Forbidden("slip_not_allowed", "you see this slip but may not make this change: a recipient's part is acted on by its person, routed by its team's manager, and the rest is the originator's")
	// ErrSlipClosed: a closed slip never changes.
	ErrSlipClosed = apperr.Conflict("slip_closed", "the slip is closed and cannot change: send a new slip")
	// ErrSlipWithdrawn: a withdrawn slip never changes.
	ErrSlipWithdrawn = apperr.Conflict("slip_withdrawn", "the slip was withdrawn and cannot change")
	// ErrSlipAlreadyAcknowledged: the part was acknowledged before.
	ErrSlipAlreadyAcknowledged = apperr.Conflict("already_acknowledged", "this part is already acknowledged")
	// ErrSlipAlreadyDone: the part was reported done before.
	ErrSlipAlreadyDone = apperr.Conflict("already_done", "this part is already done")
	// ErrSlipRecipientTransition: the part's state has no such move.
	ErrSlipRecipientTransition = apperr.Conflict("invalid_recipient_transition", "this recipient's part cannot make this change in its state")
	// ErrSlipNotRouted: a department's part is acted on once routed to a person.
	ErrSlipNotRouted = apperr.Conflict("recipient_not_routed", "the department's manager routes the slip to a person first (or takes it)")
	// ErrSlipNotDepartment: only a department's part is routed.
	ErrSlipNotDepartment = apperr.Conflict("not_a_department", "only a department's part is routed to a person; a person forwards it instead")
	// ErrSlipNotAllDone: a slip is closed once every counted part is done.
	ErrSlipNotAllDone = apperr.Conflict("slip_not_done", "not every recipient is done: wait for them, or dismiss a rejected part")
	// ErrSlipCloseNotDue: an automatic close before the confirmation period
	// has passed since every part was done (a stale timer).
	ErrSlipCloseNotDue = apperr.Conflict("slip_close_not_due", "every part was done too recently for the slip to close by itself")
	// ErrSlipVersionConflict: the slip changed since the caller read it.
	ErrSlipVersionConflict = apperr.Conflict("version_conflict", "the slip changed since you read it; reload and retry")
)
