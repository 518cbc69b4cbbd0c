// Package marketing holds the names under which the marketing service
// exposes its Temporal activities. These strings are the cross-service
// contract between the marketing service (which registers the activities on
// TaskQueue) and the CampaignLaunch, WinBackSweep and WinBack workflows
// (which schedule them by name): change them only together with every
// caller, and never while workflows that use the old names are running.
//
// Activity payloads are the protobuf messages in
// github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1.
package marketing

// TaskQueue is the Temporal task queue the marketing service's worker polls.
const TaskQueue = "marketing"

// BulkTaskQueue is the marketing service's second task queue, for the page
// activities of the campaign launches and sweeps (see customer.BulkTaskQueue).
// The service registers every activity on both queues.
const BulkTaskQueue = "marketing-bulk"

// Activity names registered by the marketing service.
const (
	// ActivityEnrolPage enrols one page of a segment into a campaign:
	// holdout, deduplication against other running campaigns, opt-outs;
	// starts the WinBack workflows of a win-back campaign's treated
	// customers and returns the touches of any other campaign. Idempotent
	// per (campaign, customer). Input marketingv1.EnrolPageInput, result
	// marketingv1.EnrolPageResult.
	ActivityEnrolPage = "marketing.EnrolPage"
	// ActivityRecordTouches records touches the customer service planned,
	// with their action plans (idempotent on the touch id). Input
	// marketingv1.RecordTouchesInput.
	ActivityRecordTouches = "marketing.RecordTouches"
	// ActivityWinBackTouch decides and records one touch of a cadence
	// before it is planned: opted out, deferred by contact pressure, or go.
	// Input marketingv1.WinBackTouchInput, result
	// marketingv1.WinBackTouchResult.
	ActivityWinBackTouch = "marketing.WinBackTouch"
	// ActivityEndWinBack records how a cadence ended. Input
	// marketingv1.WinBackEndInput.
	ActivityEndWinBack = "marketing.EndWinBack"
	// ActivityFinishLaunch marks a campaign's launch enrolled (counts).
	// Input marketingv1.CampaignLaunchInput.
	ActivityFinishLaunch = "marketing.FinishLaunch"
	// ActivityWinBackSweepPage enrols one page of lost customers past the
	// inactivity period into the running win-back campaign that matches
	// each, or lists them as candidates. Input marketingv1.EnrolPageInput
	// (campaign_id empty), result marketingv1.WinBackSweepResult.
	ActivityWinBackSweepPage = "marketing.WinBackSweepPage"
	// ActivityOutcomePage returns the next page of enrolments whose sales
	// outcomes are refreshed (one campaign per page). Input
	// marketingv1.OutcomePageInput, result marketingv1.OutcomePageResult.
	ActivityOutcomePage = "marketing.OutcomePage"
	// ActivityRecordOutcomes stores one page's outcomes (leads,
	// opportunities, wins, revenue, won back). Input
	// marketingv1.RecordOutcomesInput.
	ActivityRecordOutcomes = "marketing.RecordOutcomes"
	// ActivityEmailTouches writes the emails of a campaign's email touches
	// (content, recipient, signed unsubscribe link) and says which touches
	// fall back to an action plan (no address, no email, email not set up)
	// and which are dropped (opted out). Records nothing. Input
	// marketingv1.EmailTouchesInput, result marketingv1.EmailTouchesResult.
	ActivityEmailTouches = "marketing.EmailTouches"
)
