// Package customer holds the names under which the customer service exposes
// its Temporal activities. These strings are the cross-service contract between
// the customer service (which registers the activities on TaskQueue) and the
// workflows (which schedule them by name): change them only together with
// every caller, and never while workflows that use the old names are running.
//
// Activity payloads are the protobuf messages in
// github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1.
package customer

// TaskQueue is the Temporal task queue the customer service's worker polls for
// its activities.
const TaskQueue = "customer"

// BulkTaskQueue is the customer service's second task queue: the page
// activities of the workflows that page through many customers (campaign
// launches and sweeps, segment previews) run there, with pollers and slots
// of their own, so that the per-customer work those workflows start (each
// win-back cadence's first steps on TaskQueue) never queues ahead of their
// next page. The service registers every activity on both queues.
const BulkTaskQueue = "customer-bulk"

// Activity names registered by the customer service.
const (
	// ActivityBeginABCRun sums the value scores of all live customers.
	// Input customerv1.BeginABCRunInput, result customerv1.BeginABCRunResult.
	ActivityBeginABCRun = "customer.BeginABCRun"
	// ActivityClassifyABCPage classifies one keyset page of the ABC ranking.
	// Input customerv1.ClassifyABCPageInput, result customerv1.ClassifyABCPageResult.
	ActivityClassifyABCPage = "customer.ClassifyABCPage"
)

// The follow-up engine's activities were registered here as
// customer.ResolvePolicies, customer.OpenFollowUp, customer.UpdateFollowUpDeadline,
// customer.RecordFollowUpStep, customer.CloseFollowUp and customer.RolloutPage
// until the engine got a queue and a service of its own. Histories recorded
// then still name them; proto/contract/followup keeps the same last name
// segments, by which recorded activities are matched on replay. Never reuse
// those names here.

// Care activities of the CareSweep workflow (payloads in
// github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1, care.proto).
const (
	// ActivityCareReconcilePage checks one page of open care follow-ups
	// against their customers and closes those that no longer apply. Input
	// followupv1.CareReconcilePageInput, result followupv1.CareReconcilePageResult.
	ActivityCareReconcilePage = "customer.CareReconcilePage"
	// ActivityCareOpenPage opens the care follow-ups of one page of customers
	// whose care contact falls due within the lookahead (idempotent). Input
	// followupv1.CareOpenPageInput, result followupv1.CareOpenPageResult.
	ActivityCareOpenPage = "customer.CareOpenPage"
	// ActivityCareFollowUpClosed applies a closed care follow-up's effects on
	// its customer (care anchor, last contact, epoch). The care follow-ups the
	// customer service opens name it in their FollowUpSpec.notify (on
	// TaskQueue); workflows/followup.Track calls it once the engine closed the
	// follow-up, retried until it succeeds, so it must be idempotent (the same
	// close may arrive again). Input followupv1.FollowUpClosed.
	ActivityCareFollowUpClosed = "customer.CareFollowUpClosed"
)

// Activities the sales service's Lead workflow uses (payloads in
// github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1).
const (
	// ActivityEnsureCustomer finds the customer a lead names (duplicate
	// detection: same normalised name, tax id or contact email) or creates it
	// unowned. Input salesv1.EnsureCustomerInput, result
	// salesv1.EnsureCustomerResult.
	ActivityEnsureCustomer = "customer.EnsureCustomer"
	// ActivityClaimCustomerOwner sets a customer's owner unless it has one, in
	// one conditional write, so concurrent leads never give a customer two
	// owners. Input salesv1.ClaimCustomerOwnerInput, result
	// salesv1.ClaimCustomerOwnerResult.
	ActivityClaimCustomerOwner = "customer.ClaimCustomerOwner"
)

// Activities the Visit workflow uses (payloads: the closeloop.visit.v1
// messages, proto/closeloop/visit/v1/visit.proto; named in
// github.com/closeloop/closeloop/workflows/visit, api.go).
const (
	// ActivityBookVisit stores a booked visit with its booker (idempotent on
	// the visit id). Input visit.BookInput.
	ActivityBookVisit = "customer.BookVisit"
	// ActivityDecideVisitRequest decides a visit request against the
	// customer-day as stored and stores the decision, in one transaction
	// (idempotent on the request id). Input visit.DecideInput, result
	// visit.DecideResult. The Visit workflows the customer service hosts
	// call it as a local activity instead of BookVisit and JoinVisit.
	ActivityDecideVisitRequest = "customer.DecideVisitRequest"
	// ActivityJoinVisit adds a participant and notifies the booker
	// (idempotent on the request id). Input visit.JoinInput.
	ActivityJoinVisit = "customer.JoinVisit"
	// ActivityRecordVisitEvent records a timeline entry or notification
	// (idempotent on its id). Input visit.EventInput.
	ActivityRecordVisitEvent = "customer.RecordVisitEvent"
	// ActivityVisitBookedDays lists a customer's days with a visit in a
	// range. Input visit.BookedDaysInput, result visit.BookedDaysResult.
	ActivityVisitBookedDays = "customer.VisitBookedDays"
	// ActivityCancelVisit cancels a visit and notifies its participants
	// (idempotent). Input visit.CancelInput.
	ActivityCancelVisit = "customer.CancelVisit"
	// ActivityLogVisit records a visit's log (idempotent). Input visit.LogInput.
	ActivityLogVisit = "customer.LogVisit"
)

// Activities other services' workflows use to put items on a customer's
// cross-department history (GET /v1/customers/{id}/history; payloads in
// github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1,
// history.proto).
const (
	// ActivityRecordCaseEvent records one change of an after-sales case
	// (filed, first response, waiting for the customer, resumed, resolved,
	// reopened, closed, priority changed, assigned, SLA breached) on its
	// customer's history, department service, linked to the case. The
	// ServiceCase workflow (workflows/servicecase) calls it for every change;
	// it is idempotent on the input's id, so a retried or replayed call
	// records one item. A malformed input fails as non-retryable "invalid",
	// an unknown customer as non-retryable "not_found"; anything else is
	// retried. Input customerv1.CaseEventInput, no result.
	ActivityRecordCaseEvent = "customer.RecordCaseEvent"
	// ActivityRecordSlipEvent records one change of an information routing
	// slip (sent, acknowledged, done, rejected, forwarded, added, rerouted,
	// closed, withdrawn) on its customer's history, in the department of
	// whoever made the change, linked to the slip. The InfoSlip workflow
	// (workflows/infoslip) calls it; idempotent on the input's id; refusals
	// as RecordCaseEvent's. Input customerv1.SlipEventInput, no result.
	ActivityRecordSlipEvent = "customer.RecordSlipEvent"
)

// Activities the marketing workflows use (payloads in
// github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1).
const (
	// ActivitySegmentPage reads one keyset page of the live customers that
	// match a campaign's segment filter, with the facts a campaign decides
	// on. Input marketingv1.SegmentPageInput, result
	// marketingv1.SegmentPageResult.
	ActivitySegmentPage = "customer.SegmentPage"
	// ActivityPlanTouches puts campaign touches on the owners' action lists
	// as action plans, and on the customers' histories (department
	// marketing); idempotent on each touch id. Input
	// marketingv1.PlanTouchesInput, result marketingv1.PlanTouchesResult.
	ActivityPlanTouches = "customer.PlanTouches"
	// ActivityMarkWinBack records (or clears) the win-back a customer is in,
	// so that a logged contact, an inbound lead or a stage change out of
	// lost signals its WinBack workflow. Input marketingv1.WinBackMarkInput.
	ActivityMarkWinBack = "customer.MarkWinBack"
	// ActivityWinBackResponses finds the first response of a customer since
	// an instant (a logged call or visit, a stage change out of lost): the
	// WinBack workflow asks before each touch, so a response whose signal
	// was lost still stops the cadence. Input
	// marketingv1.WinBackResponsesInput, result
	// marketingv1.WinBackResponsesResult.
	ActivityWinBackResponses = "customer.WinBackResponses"
	// ActivityWinBackReturned returns a customer that responded to a
	// win-back to the expected list (lifecycle lost → prospect, with the
	// campaign as the reason) and puts the response on its history;
	// idempotent (a customer no longer lost is left as it is). Input
	// marketingv1.WinBackEndInput.
	ActivityWinBackReturned = "customer.WinBackReturned"
	// ActivityTouchAddresses returns the email address of each customer's
	// contact (its primary contact's, else the first contact's with a
	// usable one) for the email touches of a campaign; a customer without
	// one is left out. Input marketingv1.TouchAddressesInput, result
	// marketingv1.TouchAddressesResult.
	ActivityTouchAddresses = "customer.TouchAddresses"
	// ActivityRecordTouchEmails puts campaign touch emails on the
	// customers' histories (department marketing, an item nobody changes),
	// once per touch id. Input marketingv1.RecordTouchEmailsInput.
	ActivityRecordTouchEmails = "customer.RecordTouchEmails"
	// ActivityRecordStandings stores the customer service's copy of
	// customers' service standings (loyalty level, average CSAT, latest
	// NPS), which campaign segments filter on; a standing replaces the
	// stored one only when it is at least as recent (as_of). Input
	// servicev1.RecordStandingsInput, result servicev1.RecordStandingsResult.
	ActivityRecordStandings = "customer.RecordStandings"
)
