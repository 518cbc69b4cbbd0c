// Package workflows holds the names of Closeloop's Temporal workflows, their
// task queue, schedules, workflow ids and custom search attributes. These
// strings are the cross-service contract between the worker that hosts the
// workflows, the services and HTTP handlers that start or query them, and the
// deployment that registers schedules and search attributes: change them only
// together with every user, and never while executions that use the old names
// are running.
//
// Workflow payloads are the protobuf messages under
// github.com/closeloop/closeloop/proto/gen/closeloop/....
package workflows

import "strconv"

// TaskQueue is the Temporal task queue the worker binary (workflows/cmd/worker)
// polls for workflow tasks.
const TaskQueue = "workflows"

// BulkTaskQueue is the worker binary's second task queue, for the workflows
// that page through many records and start or wake per-record work as they
// go — CampaignLaunch, WinBackSweep, CampaignOutcomes, PolicyRollout (an
// analyst's change and the periodic reconciliation) — and for SegmentPreview,
// which a person waits for: their workflow tasks are never queued behind
// the thousands of tasks of the cadences a launch has just started. The
// worker registers every workflow on both queues.
const BulkTaskQueue = "workflows-bulk"

// WorkflowReclassifyABC is the workflow type that recomputes every live
// customer's ABC class. Input customerv1.ReclassifyABCInput, result
// customerv1.ReclassifyABCResult.
const WorkflowReclassifyABC = "ReclassifyABC"

// ScheduleReclassifyABC is the id of the Temporal schedule that starts
// WorkflowReclassifyABC periodically.
const ScheduleReclassifyABC = "closeloop-abc-reclassification"

// ReclassifyABCWorkflowID returns the workflow id of the ReclassifyABC run
// identified by runKey (e.g. a date or a request id). Using a deterministic id
// makes starting the same run twice a no-op.
func ReclassifyABCWorkflowID(runKey string) string {
	return WorkflowReclassifyABC + ":" + runKey
}

// SearchAttribute is the name of a custom Temporal search attribute.
type SearchAttribute string

// Custom search attributes set on Closeloop workflow executions. All are of
// type Keyword.
const (
	// SACustomerID is the id of the customer a workflow is about.
	SACustomerID SearchAttribute = "CloseloopCustomerId"
	// SAOwnerID is the subject id of the owning sales rep.
	SAOwnerID SearchAttribute = "CloseloopOwnerId"
	// SAKind is the business kind of the workflow (e.g. "abc-reclassification").
	SAKind SearchAttribute = "CloseloopKind"
)

// String returns the attribute name.
func (a SearchAttribute) String() string { return string(a) }

// SearchAttributes returns every custom search attribute with its Temporal
// type name ("Keyword"), for registering them with the Temporal server
// (operator API AddSearchAttributes or `temporal operator search-attribute create`).
// The map is freshly allocated on each call.
func SearchAttributes() map[string]string {
	return map[string]string{
		string(SACustomerID): "Keyword",
		string(SAOwnerID):    "Keyword",
		string(SAKind):       "Keyword",
	}
}

// WorkflowFollowUp tracks one follow-up: it opens the record, waits for its
// due time computed from a timer policy, runs the escalation ladder, follows
// policy changes, and closes the record when it is done or cancelled. Input
// followupv1.FollowUpSpec.
const WorkflowFollowUp = "FollowUp"

// FollowUpWorkflowID returns the workflow id of the FollowUp workflow that
// owns follow-up id.
func FollowUpWorkflowID(followUpID string) string { return "followup:" + followUpID }

// Signals and queries of workflows that own follow-ups (FollowUp, and the
// lead, visit and later workflows that embed the same tracker).
const (
	// SignalPolicyChanged carries followupv1.PolicyChangedSignal.
	SignalPolicyChanged = "policy-changed"
	// SignalCloseFollowUp carries followupv1.CloseSignal.
	SignalCloseFollowUp = "close-follow-up"
	// QueryFollowUpState answers followupv1.FollowUpState.
	QueryFollowUpState = "follow-up-state"
)

// WorkflowPolicyRollout brings running workflows onto a new policy or
// calendar version once it is in force. Input followupv1.RolloutInput, result
// followupv1.RolloutResult. With neither policy nor calendar set it sweeps
// every policy and calendar (the periodic reconciliation).
const WorkflowPolicyRollout = "PolicyRollout"

// PolicyRolloutWorkflowID returns the workflow id of the rollout of version
// of a policy (or, with kind "calendar", of a calendar) that comes into force
// at effectiveUnixMilli; the instant keeps ids unique when a database is
// restored or reset while the Temporal namespace keeps its history.
func PolicyRolloutWorkflowID(kind, name string, version, effectiveUnixMilli int64) string {
	return "policy-rollout:" + kind + ":" + name + ":v" + itoa(version) + "@" + itoa(effectiveUnixMilli)
}

// SchedulePolicyReconcile is the id of the Temporal schedule that sweeps for
// follow-ups still on an older policy or calendar version (a rollout that
// could not start, or a workflow that opened its follow-up during a rollout).
const SchedulePolicyReconcile = "closeloop-policy-reconcile"

// WorkflowCareSweep opens the care-contact follow-ups of existing customers
// whose care contact falls due soon, and cancels open ones whose customer
// changed class, owner or lifecycle stage. Input followupv1.CareSweepInput,
// result followupv1.CareSweepResult.
const WorkflowCareSweep = "CareSweep"

// CareSweepWorkflowID returns the workflow id of a care sweep started for a
// reason ("scheduled" for the schedule's, the reclassification run for one
// started after an ABC run).
func CareSweepWorkflowID(runKey string) string { return WorkflowCareSweep + ":" + runKey }

// ScheduleCareSweep is the id of the Temporal schedule that runs
// WorkflowCareSweep periodically.
const ScheduleCareSweep = "closeloop-care-sweep"

// WorkflowLead assigns one lead and escalates it until first contact, then
// keeps its lifecycle until it is disqualified or converted. Input
// salesv1.LeadInput, result salesv1.LeadSnapshot.
const WorkflowLead = "Lead"

// LeadWorkflowID returns the workflow id of the lead's workflow; one per lead.
func LeadWorkflowID(leadID string) string { return "Lead:" + leadID }

// Updates and queries of the Lead workflow.
const (
	// UpdateReassign carries salesv1.ReassignRequest and returns
	// salesv1.LeadSnapshot; its validator refuses, with a reason, what is not
	// allowed (a closed lead, the current owner, the pool twice).
	UpdateReassign = "reassign"
	// UpdateLeadCommand carries salesv1.LeadCommand (contact, qualify,
	// disqualify, convert) and returns salesv1.LeadSnapshot.
	UpdateLeadCommand = "lead-command"
	// UpdateAwaitSettled waits until the lead's first assignment is settled
	// (stored, customer found or created, owner chosen and claimed) and
	// returns salesv1.LeadSnapshot; it changes nothing.
	UpdateAwaitSettled = "await-settled"
	// QueryLeadState answers salesv1.LeadSnapshot.
	QueryLeadState = "lead-state"
)

// WorkflowOpportunity keeps one opportunity's funnel stage and its
// stale-stage follow-up until it is won or lost. Input
// salesv1.OpportunityInput, result salesv1.OpportunitySnapshot.
const WorkflowOpportunity = "Opportunity"

// OpportunityWorkflowID returns the workflow id of the opportunity's workflow.
func OpportunityWorkflowID(id string) string { return "Opportunity:" + id }

// Updates and queries of the Opportunity workflow.
const (
	// UpdateOpportunityCommand carries salesv1.OpportunityCommand and returns
	// salesv1.OpportunitySnapshot.
	UpdateOpportunityCommand = "opportunity-command"
	// QueryOpportunityState answers salesv1.OpportunitySnapshot.
	QueryOpportunityState = "opportunity-state"
)

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// WorkflowVisit keeps the visit of one customer on one day: every department's
// request for that customer-day is an update of this one workflow, so the
// first books the day and the others join it or are offered another day —
// never a second visit. It reminds the visitor before the visit and chases
// the visit log after it. Input visit.Input (workflows/visit), result
// visit.State.
const WorkflowVisit = "Visit"

// VisitWorkflowID returns the workflow id of the visit of customerID on day
// (YYYY-MM-DD, the customer's calendar); one per customer-day.
func VisitWorkflowID(customerID, day string) string { return "Visit:" + customerID + ":" + day }

// Updates and queries of the Visit workflow.
const (
	// UpdateVisitRequest carries visit.Request and returns visit.Decision
	// (booked, joined or offered); its validator refuses a request the day
	// can no longer take (the visit is over, the start has passed).
	UpdateVisitRequest = "visit-request"
	// UpdateVisitCancel carries visit.Cancel and returns visit.State; the day
	// is free again.
	UpdateVisitCancel = "visit-cancel"
	// UpdateVisitLog carries visit.Log and returns visit.State; refused
	// before the visit's start ("a log for a visit that did not happen").
	UpdateVisitLog = "visit-log"
	// QueryVisitState answers visit.State.
	QueryVisitState = "visit-state"
)

// WorkflowDelivery sends one email or webhook delivery that must wait (the
// recipient's quiet hours) or whose first attempt failed: it waits durably,
// retries the follow-up service's followup.SendDelivery with backoff for a
// bounded period and, when that runs out, records the delivery as failed
// (the dead-letter list). Input followupv1.DeliverInput.
const WorkflowDelivery = "Delivery"

// DeliveryWorkflowID returns the workflow id of a delivery's workflow; one
// running per delivery (an admin's retry of a failed one starts a new run).
func DeliveryWorkflowID(deliveryID string) string { return "Delivery:" + deliveryID }

// WorkflowServiceCase keeps one after-sales case: every change after filing
// is an update of it (checked by the update's validator, applied by the
// service's activity), it runs the first-response and resolution SLA clocks,
// chases each running target with the follow-up engine, records met and
// breached targets, and closes a resolved case after the policy's period.
// Input servicev1.CaseInput, result servicev1.CaseSnapshot.
const WorkflowServiceCase = "ServiceCase"

// ServiceCaseWorkflowID returns the workflow id of a case's workflow; one per case.
func ServiceCaseWorkflowID(caseID string) string { return "ServiceCase:" + caseID }

// Updates and queries of the ServiceCase workflow.
const (
	// UpdateCaseCommand carries servicev1.CaseCommand (state, reopen, reply,
	// note, assign, priority) and returns servicev1.CaseSnapshot; its
	// validator refuses, with a reason, what the case's state does not allow.
	UpdateCaseCommand = "case-command"
	// QueryCaseState answers servicev1.CaseSnapshot with the SLA targets.
	QueryCaseState = "case-state"
)

// WorkflowInfoSlip keeps one information routing slip: every change after
// it was sent is an update of it (checked by the update's validator, applied
// by the after-sales service's activity); it chases each recipient that owes
// the slip something with the follow-up engine (acknowledge, then act), and
// closes an all-done slip the originator does not object to after the
// confirmation period. Input servicev1.SlipInput, result
// servicev1.SlipSnapshot.
const WorkflowInfoSlip = "InfoSlip"

// InfoSlipWorkflowID returns the workflow id of a slip's workflow; one per slip.
func InfoSlipWorkflowID(slipID string) string { return "InfoSlip:" + slipID }

// Updates and queries of the InfoSlip workflow.
const (
	// UpdateSlipCommand carries servicev1.SlipCommand and returns
	// servicev1.SlipSnapshot; its validator refuses, with a reason, what the
	// slip's state does not allow.
	UpdateSlipCommand = "slip-command"
	// QuerySlipState answers servicev1.SlipSnapshot with the chases.
	QuerySlipState = "slip-state"
)

// WorkflowNotice chases the readers of a published notice that must be
// acknowledged: it waits for the acknowledgement deadline, then has the
// after-sales service start a NoticeAck workflow for every reader who has
// not acknowledged it, and cancels those still open when the notice is
// revoked (it waits for that until the notice's validity ends). Input
// servicev1.NoticeInput; a revocation is the SignalNoticeRevoked signal,
// sent with signal-with-start so that it reaches a workflow that has ended.
const WorkflowNotice = "Notice"

// NoticeWorkflowID returns the workflow id of a notice's workflow; one per notice.
func NoticeWorkflowID(noticeID string) string { return "Notice:" + noticeID }

// SignalNoticeRevoked carries servicev1.NoticeRevoked.
const SignalNoticeRevoked = "notice-revoked"

// WorkflowNoticeAck is one reader's follow-up (kind notice_ack) for a notice
// they did not acknowledge by its deadline: the follow-up engine's tracker,
// due at the deadline, escalated along notices.ack_escalation_ladder, closed
// by the close-follow-up signal (the reader acknowledged: done; the notice
// was revoked: cancelled; or a manager closed it from the board). Input
// servicev1.NoticeAckInput, result followupv1.CloseSignal.
const WorkflowNoticeAck = "NoticeAck"

// NoticeAckWorkflowID returns the workflow id of a reader's NoticeAck
// workflow: the notice id (a UUID, without colons) first.
func NoticeAckWorkflowID(noticeID, readerID string) string {
	return "NoticeAck:" + noticeID + ":" + readerID
}

// WorkflowCampaignLaunch enrols a launched campaign's segment: it pages the
// customers matching the segment (customer.SegmentPage) and hands each page
// to the marketing service (marketing.EnrolPage), which decides holdout,
// precedence and opt-outs and starts the WinBack workflows of a win-back
// campaign; the touches of any other campaign are planned by the customer
// service (customer.PlanTouches). Input marketingv1.CampaignLaunchInput,
// result marketingv1.EnrolPageResult (totals).
const WorkflowCampaignLaunch = "CampaignLaunch"

// CampaignLaunchWorkflowID returns the workflow id of a campaign's launch:
// one per campaign.
func CampaignLaunchWorkflowID(campaignID string) string { return "CampaignLaunch:" + campaignID }

// WorkflowCampaignNotice tells the people concerned of one event of a
// campaign (approval requested, approved, cancelled, launch finished,
// completed) through the follow-up service (followup.Notify): the
// marketing service's outbox starts it for each event it stored with the
// campaign's change. Input followupv1.NotifyInput.
const WorkflowCampaignNotice = "CampaignNotice"

// CampaignNoticeWorkflowID returns the workflow id of the notice of one
// campaign event: the event's id (derived from campaign, event and
// version), so one event is told by one workflow.
func CampaignNoticeWorkflowID(eventID string) string { return "CampaignNotice:" + eventID }

// WorkflowWinBack runs one lost customer's win-back cadence in one
// campaign (winback.cadence; each touch an action plan for the owner,
// chased with the follow-up engine, kind winback_touch): any response stops
// it and hands the customer to sales as a lead. Input marketingv1.WinBackInput.
const WorkflowWinBack = "WinBack"

// WinBackWorkflowID returns the workflow id of a customer's win-back in a
// campaign: the customer id (a UUID, without colons) first.
func WinBackWorkflowID(customerID, campaignID string) string {
	return "WinBack:" + customerID + ":" + campaignID
}

// Signals of the WinBack workflow.
const (
	// SignalWinBackResponse carries marketingv1.WinBackResponse: the
	// customer responded or opted out; the cadence stops at once.
	SignalWinBackResponse = "winback-response"
	// SignalWinBackCancel carries marketingv1.WinBackEndInput: the campaign
	// was cancelled (or the enrolment superseded); the cadence stops
	// without a lead.
	SignalWinBackCancel = "winback-cancel"
)

// WorkflowWinBackSweep enrols lost customers whose inactivity period
// (winback.inactivity_period) has passed into the running win-back campaign
// that matches each, or lists them as win-back candidates. Input
// marketingv1.WinBackSweepInput, result marketingv1.WinBackSweepResult.
const WorkflowWinBackSweep = "WinBackSweep"

// WinBackSweepWorkflowID returns the workflow id of one sweep run.
func WinBackSweepWorkflowID(runKey string) string { return "WinBackSweep:" + runKey }

// ScheduleWinBackSweep is the Temporal schedule that runs WinBackSweep
// daily.
const ScheduleWinBackSweep = "closeloop-winback-sweep"

// WorkflowSegmentPreview reads one page of a segment with its count
// (customer.SegmentPage) for the marketing API: a campaign's preview, the
// launch's check that the segment is not empty, a manual enrolment's
// customer. Input marketingv1.SegmentPageInput, result
// marketingv1.SegmentPageResult.
const WorkflowSegmentPreview = "SegmentPreview"

// SegmentPreviewWorkflowID returns the workflow id of one preview (a
// request id).
func SegmentPreviewWorkflowID(requestID string) string { return "SegmentPreview:" + requestID }

// WorkflowCampaignOutcomes records what became of the customers enrolled in
// campaigns (sales outcomes, transacting again) for their evaluation. Input
// marketingv1.CampaignOutcomesInput.
const WorkflowCampaignOutcomes = "CampaignOutcomes"

// CampaignOutcomesWorkflowID returns the workflow id of one run.
func CampaignOutcomesWorkflowID(runKey string) string { return "CampaignOutcomes:" + runKey }

// ScheduleCampaignOutcomes is the Temporal schedule that runs
// CampaignOutcomes hourly.
const ScheduleCampaignOutcomes = "closeloop-campaign-outcomes"

// WorkflowLoyaltySync copies customers' service standings (loyalty level,
// average CSAT, latest NPS) from the after-sales service, where the loyalty
// rule lives, to the customer service, which campaign segments read:
// service.LoyaltyPage a page at a time, customer.RecordStandings. Input
// servicev1.LoyaltySyncInput, result servicev1.LoyaltySyncResult.
const WorkflowLoyaltySync = "LoyaltySync"

// LoyaltySyncWorkflowID returns the workflow id of a reconciliation run of
// every customer's standing.
func LoyaltySyncWorkflowID(runKey string) string { return "LoyaltySync:" + runKey }

// LoyaltyAnswerSyncWorkflowID returns the workflow id of the sync of one
// customer's standing after one survey answer: derived from both, so the
// after-sales service's outbox starts it once however often it tries.
func LoyaltyAnswerSyncWorkflowID(customerID, surveyID string) string {
	return "LoyaltySync:" + customerID + ":" + surveyID
}

// ScheduleLoyaltySync is the Temporal schedule that runs LoyaltySync over
// every customer daily: a level also changes as answers age out of the
// satisfaction window.
const ScheduleLoyaltySync = "closeloop-loyalty-sync"
