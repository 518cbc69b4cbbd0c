package ports

import (
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/marketing/internal/app"
)

var (
	campaignParam = openapi.Param{Name: "id", In: "path", Description: "campaign id (UUID)"}
	customerParam = openapi.Param{Name: "customer_id", In: "path", Description: "customer id (UUID)"}
	limitParam    = openapi.Param{Name: "limit", In: "query", Type: "integer", Description: "page size, 1..200 (default 50)"}
	cursorParam   = openapi.Param{Name: "cursor", In: "query", Description: "next_cursor of the previous page"}
)

const sight = "Campaigns are seen by the marketing department (the reps and managers of its teams, MARKETING_TEAMS), analysts " +
	"(read only) and admins; anyone else gets 404 campaign_not_found, exactly as for a campaign that does not exist."

const fields = "Every bad field is reported at once (422 validation_failed, nothing stored): name (required, one line, at most 200), " +
	"objective (at most 2,000), type (invalid), channels (required; invalid; duplicate), holdout (out_of_range: 0 to 0.5), budget, " +
	"expected_cost, expected_revenue (out_of_range: 0 to 1e12), starts_on and ends_on (required; invalid: YYYY-MM-DD; before_start), " +
	"owner_id, team (not_marketing: not a marketing team; out_of_scope: not yours), segment.<field> (unknown_field: the filter has no " +
	"such field; invalid_type; invalid: an unknown class or stage; too_many: over 100 entries; out_of_range: days 0 to 3650; " +
	"below_min; winback_lost_only: a win-back segment is lost customers only), email_subject and email_body (required when the campaign " +
	"emails: its first channel is email, or a win-back campaign has the email channel; invalid: a subject of more than one line, a body with control characters; too_long: 200 and 10,000 characters)."

// OpenAPI returns the marketing service's OpenAPI document.
func OpenAPI() []byte {
	return openapi.New("Closeloop marketing service", "1.0.0",
		"Campaigns planned (objective, type, channels, a target segment saved as a filter over customers, budget, schedule), "+
			"approved by a marketing manager, launched, and judged against a control group: a holdout share of the segment, "+
			"assigned per customer and campaign and stored, gets no touch. A running campaign enrols its segment (CampaignLaunch "+
			"workflow); a customer is in at most one running campaign (precedence: winback, visit_drive, event, cross_sell, mailing, "+
			"other) and no customer gets more touches than marketing.contact_pressure allows. Each touch is an action plan for the "+
			"customer's owner on the customer's history, or — a campaign whose first channel is email, a win-back step email — the "+
			"campaign's email to the customer's contact through the follow-up service's deliveries, with a signed, expiring unsubscribe "+
			"link to /unsubscribe/{token} (a public page, and its JSON twin /public/v1/unsubscribe/{token}, outside /v1 and without "+
			"login: GET shows, POST opts out; 400 unsubscribe_link_invalid, 410 unsubscribe_link_expired). Win-back: a lost customer, after winback.inactivity_period, enters the "+
			"running win-back campaign that matches it (or is listed as a candidate); its WinBack:<customer>:<campaign> workflow "+
			"runs winback.cadence, and any response stops it and hands the customer to sales as a lead. "+sight).
		Add(campaignOps()...).Add(enrolmentOps()...).JSON()
}

func campaignOps() []openapi.Op {
	return []openapi.Op{
		{Method: "POST", Path: "/v1/campaigns", Tag: "campaigns", Summary: "Plan a campaign (a draft)",
			Description: "Marketers and marketing managers plan campaigns of their marketing teams, admins of any (403 " +
				"campaign_create_not_allowed for anyone else). " + fields + " 201 with the draft and Location: /v1/campaigns/{id}.",
			Request: CampaignRequest{}, Status: 201, Response: app.CampaignView{}, Errors: []int{400, 403, 409, 422}, Idempotent: true},
		{Method: "GET", Path: "/v1/campaigns", Tag: "campaigns", Summary: "Campaigns, newest first, each with its key figures",
			Description: "Side by side: every item carries its evaluation (figures) as GET /v1/campaigns/{id}/evaluation gives it. " +
				"Anyone outside the marketing department, analysts and admins gets an empty list. A bad filter is 400 invalid_query.",
			Params: []openapi.Param{{Name: "state", In: "query", Enum: []string{"draft", "approved", "running", "completed", "cancelled"}},
				{Name: "type", In: "query", Enum: []string{"winback", "cross_sell", "event", "visit_drive", "mailing", "other"}}, limitParam, cursorParam},
			Response: app.CampaignPage{}, Errors: []int{400}},
		{Method: "GET", Path: "/v1/campaigns/compare", Tag: "campaigns", Summary: "Evaluations of campaigns side by side",
			Description: "id=…&id=… or id=a,b (1 to 20 campaigns), in the order asked; one out of sight is 404.",
			Params:      []openapi.Param{{Name: "id", In: "query", Description: "campaign ids"}}, Response: app.Comparison{}, Errors: []int{400, 404}},
		{Method: "POST", Path: "/v1/campaigns/preview", Tag: "campaigns", Summary: "Preview a segment: its size and a sample",
			Description: "How many customers match the filter now, about how many the holdout keeps out, and 20 of them — read by the " +
				"customer service over every customer (not only yours). Segment field errors as for a campaign (422); 503 " +
				"segment_unavailable when the customer service does not answer.",
			Request: PreviewRequest{}, Response: app.PreviewView{}, Errors: []int{400, 404, 422, 503}},
		{Method: "GET", Path: "/v1/campaigns/:id", Tag: "campaigns", Summary: "A campaign",
			Description: sight + " launch says what the launch enrolled once it has finished.",
			Params:      []openapi.Param{campaignParam}, Response: app.CampaignView{}, Errors: []int{404}},
		{Method: "PUT", Path: "/v1/campaigns/:id", Tag: "campaigns", Summary: "Edit a draft (the whole of it)",
			Description: "Only a draft (422 not_editable otherwise), by the marketing department of its team or an admin (403 " +
				"campaign_read_only). expected_version, when not 0, must be the version you read (409 version_conflict). " + fields,
			Params: []openapi.Param{campaignParam}, Request: EditCampaignRequest{}, Response: app.CampaignView{}, Errors: []int{400, 403, 404, 409, 422}},
		{Method: "POST", Path: "/v1/campaigns/:id/request-approval", Tag: "campaigns", Summary: "Ask the team's marketing managers to approve a draft",
			Description: "By the draft's owner, a marketer or marketing manager of its team, or an admin (anyone else in the department: 403 " +
				"campaign_read_only). Records approval_request (who, when) and tells the marketing managers of the campaign's team in their " +
				"inbox, and by email or webhook as they chose (kind campaign). Asking again for the same version of the draft answers the " +
				"request already made and tells nobody again; after an edit it asks again. A campaign that is not a draft is 422 " +
				"approval_request_not_draft; expected_version, when not 0, must be the version you read (409 version_conflict).",
			Params: []openapi.Param{campaignParam}, Request: RequestApprovalRequest{}, Response: app.CampaignView{}, Errors: []int{400, 403, 404, 409, 422}},
		{Method: "POST", Path: "/v1/campaigns/:id/approve", Tag: "campaigns", Summary: "Approve a draft",
			Description: "By a marketing manager of the campaign's team or an admin (403 not_marketing_manager). draft → approved; " +
				"anything else is 422 invalid_transition. The owner is told (unless they approved it themselves); a cancellation by " +
				"someone else, the launch's end (with what it enrolled) and a completion by someone else are told to the owner too.",
			Params: []openapi.Param{campaignParam}, Request: MoveRequest{}, Response: app.CampaignView{}, Errors: []int{400, 403, 404, 409, 422}},
		{Method: "POST", Path: "/v1/campaigns/:id/launch", Tag: "campaigns", Summary: "Launch an approved campaign",
			Description: "By its owner, a marketing manager of its team or an admin (403 not_campaign_runner). A draft is 422 " +
				"approval_required; an end date in the past 422 campaign_over; a segment that matches nobody now 422 segment_empty. " +
				"approved → running: its CampaignLaunch workflow enrols the segment as it is now (holdout, precedence, opt-outs) " +
				"and plans the touches (win-back: starts each treated customer's cadence). A launch the engine did not take is " +
				"started again within LAUNCH_START_INTERVAL.",
			Params: []openapi.Param{campaignParam}, Request: MoveRequest{}, Response: app.CampaignView{}, Errors: []int{400, 403, 404, 409, 422, 503}},
		{Method: "POST", Path: "/v1/campaigns/:id/complete", Tag: "campaigns", Summary: "Complete a running campaign",
			Description: "running → completed, by whoever may launch it. Enrolments still running end (completed): a win-back " +
				"cadence is told at once and stops. Outcomes are still brought in for winback.attribution_window.",
			Params: []openapi.Param{campaignParam}, Request: MoveRequest{}, Response: app.CampaignView{}, Errors: []int{400, 403, 404, 409, 422}},
		{Method: "POST", Path: "/v1/campaigns/:id/cancel", Tag: "campaigns", Summary: "Cancel a campaign",
			Description: "From draft, approved or running, by whoever may launch it; enrolments still running end (cancelled).",
			Params:      []openapi.Param{campaignParam}, Request: MoveRequest{}, Response: app.CampaignView{}, Errors: []int{400, 403, 404, 409, 422}},
		{Method: "GET", Path: "/v1/campaigns/:id/preview", Tag: "campaigns", Summary: "A campaign's segment now: size and sample",
			Params: []openapi.Param{campaignParam}, Response: app.PreviewView{}, Errors: []int{404, 503}},
		{Method: "GET", Path: "/v1/campaigns/:id/evaluation", Tag: "campaigns", Summary: "What the campaign caused, against its holdout",
			Description: "Per group (treated, holdout): enrolled, touched, responded, leads, opportunities, won (win-back: won back — an " +
				"opportunity won or transacting again within winback.attribution_window of the enrolment), revenue of won " +
				"opportunities; response and conversion rates; uplift (absolute, relative) with Newcombe's 95 % interval and the " +
				"sample sizes; incremental revenue; cost per response and per win and ROI on the actual cost (the cost entries); for " +
				"win-back the won-back rate next to the field studies' one in four. Sales outcomes are brought in hourly " +
				"(outcomes_as_of).",
			Params: []openapi.Param{campaignParam}, Response: app.EvaluationView{}, Errors: []int{404}},
		{Method: "GET", Path: "/v1/campaigns/:id/costs", Tag: "campaigns", Summary: "Cost entries and the actual cost",
			Params: []openapi.Param{campaignParam}, Response: app.CostList{}, Errors: []int{404}},
		{Method: "POST", Path: "/v1/campaigns/:id/costs", Tag: "campaigns", Summary: "Record money spent",
			Description: "Approved, running or completed campaigns (422 cost_not_allowed), by the marketing department of its team or " +
				"an admin. amount (out_of_range: more than 0, at most 1e12), spent_on (required; invalid), note (too_long).",
			Params: []openapi.Param{campaignParam}, Request: CostRequest{}, Status: 201, Response: app.CostView{}, Errors: []int{400, 403, 404, 422}},
	}
}

func enrolmentOps() []openapi.Op {
	return []openapi.Op{
		{Method: "GET", Path: "/v1/campaigns/:id/enrolments", Tag: "enrolments", Summary: "A campaign's customers, by customer id",
			Params: []openapi.Param{campaignParam, {Name: "group", In: "query", Enum: []string{"treated", "holdout"}},
				{Name: "state", In: "query", Enum: []string{"active", "ended"}},
				{Name: "outcome", In: "query", Description: "responded, opted_out, exhausted, cancelled, completed, superseded"}, limitParam, cursorParam},
			Response: app.EnrolmentPage{}, Errors: []int{400, 404}},
		{Method: "POST", Path: "/v1/campaigns/:id/enrolments", Tag: "enrolments", Summary: "Enrol a customer by hand (win-back)",
			Description: "A win-back candidate into a running win-back campaign (422 manual_enrolment_winback_only for other types; " +
				"422 campaign_not_running), by whoever may launch it. The customer must match the segment now (422 not_in_segment), " +
				"not be opted out (422 opted_out), not be in this campaign (409 already_enrolled) nor kept by a running campaign " +
				"that comes first (409 in_campaign). The holdout applies: a held-out customer is enrolled and never touched.",
			Params: []openapi.Param{campaignParam}, Request: EnrolRequest{}, Status: 201, Response: app.EnrolmentView{}, Errors: []int{400, 403, 404, 409, 422, 503}},
		{Method: "GET", Path: "/v1/opt-outs/:customer_id", Tag: "opt-outs", Summary: "A customer's opt-out of marketing",
			Params: []openapi.Param{customerParam}, Response: app.OptOutView{}, Errors: []int{404}},
		{Method: "PUT", Path: "/v1/opt-outs/:customer_id", Tag: "opt-outs", Summary: "Record a customer's opt-out",
			Description: "No campaign touches the customer from now on, and a running win-back cadence stops at once (the customer is " +
				"not handed to sales). By the marketing department and admins (403 campaign_read_only for analysts). Recording it " +
				"again keeps the first.",
			Params: []openapi.Param{customerParam}, Request: OptOutRequest{}, Response: app.OptOutView{}, Errors: []int{400, 403, 404, 422}},
		{Method: "DELETE", Path: "/v1/opt-outs/:customer_id", Tag: "opt-outs", Summary: "Remove a customer's opt-out",
			Params: []openapi.Param{customerParam}, Status: 204, Errors: []int{403, 404}},
		{Method: "GET", Path: "/v1/winback/candidates", Tag: "win-back", Summary: "Lost customers no win-back campaign has taken",
			Description: "Lost for longer than winback.inactivity_period and matched by no running win-back campaign that enrols " +
				"newcomers, as of the daily sweep; longest lost first. Empty for anyone outside the marketing department, analysts and admins.",
			Params: []openapi.Param{limitParam, cursorParam}, Response: app.CandidatePage{}, Errors: []int{400}},
	}
}
