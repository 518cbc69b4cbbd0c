// Package followup holds the names under which the follow-up engine exposes
// its Temporal activities: the cross-service contract between the engine
// (which registers them on TaskQueue) and every workflow that tracks a
// follow-up — leads, opportunities, visits, care, and the service, info-slip
// and win-back follow-ups to come — through workflows/followup.Track. No
// workflow names another service's queue to reach the engine.
//
// The follow-up service (services/followup) serves this queue. Executions
// started before the queue existed called the engine on the customer queue as
// customer.OpenFollowUp and so on; they reach it here too from their next
// call, and their histories replay because each name here keeps the last
// dot-separated segment of the old one (workflows/followup/engine.go).
// Keep it so.
//
// Payloads are the protobuf messages in
// github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1.
package followup

// TaskQueue is the Temporal task queue of the follow-up engine's activities.
const TaskQueue = "followup"

// Activity names registered by the follow-up engine.
const (
	// ActivityResolvePolicies returns the policy versions in force at an
	// instant with their calendars. Input followupv1.ResolvePoliciesInput,
	// result followupv1.ResolvePoliciesResult.
	ActivityResolvePolicies = "followup.ResolvePolicies"
	// ActivityOpenFollowUp stores a new open follow-up (idempotent on its id).
	// Input followupv1.FollowUpRecord.
	ActivityOpenFollowUp = "followup.OpenFollowUp"
	// ActivityUpdateFollowUpDeadline records a re-computed due time.
	// Input followupv1.UpdateDeadlineInput.
	ActivityUpdateFollowUpDeadline = "followup.UpdateFollowUpDeadline"
	// ActivityRecordFollowUpStep records an escalation step.
	// Input followupv1.RecordStepInput.
	ActivityRecordFollowUpStep = "followup.RecordFollowUpStep"
	// ActivityCloseFollowUp closes a follow-up (idempotent).
	// Input followupv1.CloseFollowUpInput.
	ActivityCloseFollowUp = "followup.CloseFollowUp"
	// ActivityRolloutPage signals one page of workflows whose open follow-ups
	// lag a policy or calendar version. Input followupv1.RolloutPageInput,
	// result followupv1.RolloutPageResult.
	ActivityRolloutPage = "followup.RolloutPage"
	// ActivityCalendarSet returns every business calendar current at an
	// instant, each at its current version, with every calendar assignment
	// (team, region, default), for a service that computes business time for
	// many subjects at once (the care sweep passes them to the customer
	// service in followupv1.CareTerms). Input followupv1.CalendarSetInput,
	// result followupv1.CalendarSetResult.
	ActivityCalendarSet = "followup.CalendarSet"
	// ActivitySendDelivery sends one email or webhook delivery unless it is
	// done. Input followupv1.SendDeliveryInput.
	ActivitySendDelivery = "followup.SendDelivery"
	// ActivityGiveUpDelivery records a delivery whose retries ran out as
	// failed (the dead-letter list). Input followupv1.GiveUpDeliveryInput.
	ActivityGiveUpDelivery = "followup.GiveUpDelivery"
	// ActivityQueueTouchEmails puts campaign touch emails in the
	// deliveries outbox: one email delivery per touch id (idempotent), sent,
	// retried and recorded like every notification. Input
	// marketingv1.QueueTouchEmailsInput, result
	// marketingv1.QueueTouchEmailsResult.
	ActivityQueueTouchEmails = "followup.QueueTouchEmails"
	// ActivityNotify tells people of an event that is not a follow-up's
	// step (a marketing campaign's): one inbox message per audience, with
	// its email and webhook deliveries, idempotent on the event's id.
	// Input followupv1.NotifyInput, result followupv1.NotifyResult.
	ActivityNotify = "followup.Notify"
)
