// Package service holds the names under which the after-sales service
// exposes its Temporal activities. These strings are the cross-service
// contract between the after-sales service (which registers the activities on
// TaskQueue) and the ServiceCase, InfoSlip, Notice and NoticeAck workflows
// (which schedule them by name):
// change them only together with every caller, and never while workflows that
// use the old names are running.
//
// Activity payloads are the protobuf messages in
// github.com/closeloop/closeloop/proto/gen/closeloop/service/v1.
package service

// TaskQueue is the Temporal task queue the after-sales service's worker polls.
const TaskQueue = "service"

// Activity names registered by the after-sales service.
const (
	// ActivityApplyCaseCommand applies a change to a case (state, reopen,
	// reply, note, assignment, priority, automatic close) and adds its
	// timeline entries; idempotent on the command's entry_id. Input
	// servicev1.CaseCommand, result servicev1.CaseSnapshot (without SLA).
	ActivityApplyCaseCommand = "service.ApplyCaseCommand"
	// ActivityRecordCaseSla writes one SLA target's row and, for a result,
	// its timeline entry (idempotent on the entry id). Input
	// servicev1.SlaRecord.
	ActivityRecordCaseSla = "service.RecordCaseSla"
	// ActivityIssueSurvey decides a closed case's satisfaction survey once
	// (sampled, not for a close the customer asked for, one per case and
	// follow-on chain) and sends it: by e-mail to the case's contact, else
	// as a link on its timeline. Input servicev1.IssueSurveyInput, result
	// servicev1.IssueSurveyResult.
	ActivityIssueSurvey = "service.IssueSurvey"
	// ActivityApplySlipCommand applies a change to an info slip (route,
	// acknowledge, done, reject, forward, add, reroute, dismiss, object,
	// confirm, withdraw, automatic close) and adds its timeline entries;
	// idempotent on the command's entry_id. Input servicev1.SlipCommand,
	// result servicev1.SlipSnapshot.
	ActivityApplySlipCommand = "service.ApplySlipCommand"
	// ActivityRecordSlipChase puts a step of a recipient's chase (a reminder,
	// an escalation) on the slip's timeline; idempotent on the entry id.
	// Input servicev1.SlipChaseRecord.
	ActivityRecordSlipChase = "service.RecordSlipChase"
	// ActivityOpenNoticeChases starts a NoticeAck workflow for every reader
	// of a notice who has not acknowledged it by its deadline, page by page
	// (heartbeating its progress, resumed from it on a retry), and closes
	// again at once those whose reader acknowledged meanwhile. Input
	// servicev1.NoticeChasesInput, result servicev1.NoticeChasesResult.
	ActivityOpenNoticeChases = "service.OpenNoticeChases"
	// ActivityCancelNoticeChases cancels the NoticeAck workflows still open
	// of a revoked notice. Input servicev1.NoticeChasesInput, result
	// servicev1.NoticeChasesResult.
	ActivityCancelNoticeChases = "service.CancelNoticeChases"
	// ActivityNoticeReceiptState says whether a reader acknowledged a notice
	// and whether it was revoked. Input servicev1.NoticeReceiptInput, result
	// servicev1.NoticeReceiptState.
	ActivityNoticeReceiptState = "service.NoticeReceiptState"
	// ActivityLoyaltyPage applies the loyalty rule at as_of to one keyset
	// page of customers (every customer that ever answered a survey, or the
	// ones named) and returns their standings: level, average CSAT and its
	// count, latest CSAT and NPS. Input servicev1.LoyaltyPageInput, result
	// servicev1.LoyaltyPageResult.
	ActivityLoyaltyPage = "service.LoyaltyPage"
)
