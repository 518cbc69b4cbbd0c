package ports

import (
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

var (
	limitParam  = openapi.Param{Name: "limit", In: "query", Type: "integer", Description: "page size, 1..200 (default 50)"}
	cursorParam = openapi.Param{Name: "cursor", In: "query", Description: "next_cursor of the previous page"}
)

// OpenAPI returns the follow-up service's OpenAPI document.
func OpenAPI() []byte {
	return openapi.New("Closeloop follow-up service", "1.0.0",
		"The follow-up engine: timer policies and their versions, business calendars, follow-ups with their escalation history, "+
			"and the managers' overdue views. Every /v1 call needs a bearer token; follow-ups outside your scope answer 404.").
		Add(engineOps()...).Add(inboxOps()...).Add(deliveryOps()...).Add(webhookOps()...).JSON()
}

var (
	policyParam  = openapi.Param{Name: "name", In: "path", Description: "policy name, such as lead.first_contact_sla"}
	versionPath  = openapi.Param{Name: "version", In: "path", Type: "integer", Description: "version number"}
	calendarPath = openapi.Param{Name: "name", In: "path", Description: "calendar name, such as standard"}
	followUpPath = openapi.Param{Name: "id", In: "path", Description: "follow-up id (UUID)"}
	filterParams = []openapi.Param{
		{Name: "team", In: "query"}, {Name: "owner_id", In: "query"}, {Name: "territory", In: "query"}, {Name: "customer_id", In: "query"},
		{Name: "kind", In: "query", Enum: []string{"first_contact", "stale_stage", "visit_log", "care_contact", "service_response", "service_resolution", "slip_ack", "slip_close", "winback_touch", "callback", "notice_ack"}},
	}
)

func engineOps() []openapi.Op {
	read, write, fuRead, fuWrite := string(auth.PermPoliciesRead), string(auth.PermPoliciesWrite), string(auth.PermFollowupsRead), string(auth.PermFollowupsWrite)
	return []openapi.Op{
		{Method: "GET", Path: "/v1/policies", Tag: "policies", Summary: "Every timer policy with the version in force and scheduled ones",
			Permission: read, Response: PoliciesPage{}, Errors: []int{403}},
		{Method: "GET", Path: "/v1/policies/:name", Tag: "policies", Summary: "A policy: meaning, bounds, default, version in force, scheduled versions",
			Permission: read, Params: []openapi.Param{policyParam}, Response: app.PolicyView{}, Errors: []int{403, 404}},
		{Method: "GET", Path: "/v1/policies/:name/versions", Tag: "policies", Summary: "Every version of a policy, oldest first",
			Permission: read, Params: []openapi.Param{policyParam}, Response: VersionsPage{}, Errors: []int{403, 404}},
		{Method: "POST", Path: "/v1/policies/:name/versions", Tag: "policies", Summary: "Change a policy now, or schedule the change",
			Description: "Validated against the policy's bounds (field errors, 422, nothing stored). effective_from in the future schedules the version; absent means now. Running workflows re-compute their pending deadlines when it comes into force.",
			Permission:  write, Params: []openapi.Param{policyParam}, Request: ProposeRequest{}, Status: 201, Response: app.VersionView{}, Errors: []int{400, 403, 404, 409, 422}},
		{Method: "GET", Path: "/v1/policies/:name/versions/:version", Tag: "policies", Summary: "One version of a policy",
			Permission: read, Params: []openapi.Param{policyParam, versionPath}, Response: app.VersionView{}, Errors: []int{400, 403, 404}},
		{Method: "POST", Path: "/v1/policies/:name/versions/:version/withdraw", Tag: "policies", Summary: "Withdraw a scheduled version before it comes into force",
			Permission: write, Params: []openapi.Param{policyParam, versionPath}, Request: WithdrawRequest{}, Response: app.VersionView{}, Errors: []int{400, 403, 404, 422}},
		{Method: "POST", Path: "/v1/policies/:name/rollback", Tag: "policies", Summary: "Bring back an earlier version's value as a new version",
			Permission: write, Params: []openapi.Param{policyParam}, Request: RollbackRequest{}, Status: 201, Response: app.VersionView{}, Errors: []int{400, 403, 404, 409, 422}},
		{Method: "POST", Path: "/v1/policies/:name/dry-run", Tag: "policies", Summary: "What-if: the effect of a candidate value on open follow-ups, by team",
			Description: "Changes nothing. Reports how many open follow-ups would be overdue or escalate at once under the candidate, which move earlier or later, and when the rest fall due.",
			Permission:  write, Params: []openapi.Param{policyParam}, Request: DryRunRequest{}, Response: app.DryRun{}, Errors: []int{400, 403, 404, 422}},
		{Method: "GET", Path: "/v1/policies/:name/diff", Tag: "policies", Summary: "Field-by-field difference between two versions",
			Permission: read, Params: []openapi.Param{policyParam, {Name: "from", In: "query", Type: "integer"}, {Name: "to", In: "query", Type: "integer"}},
			Response: app.DiffView{}, Errors: []int{403, 404, 422}},
		{Method: "GET", Path: "/v1/policies/:name/audit", Tag: "policies", Summary: "Who changed the policy, when, why, and what changed; newest first",
			Permission: read, Params: []openapi.Param{policyParam}, Response: AuditPage{}, Errors: []int{403, 404}},
		{Method: "GET", Path: "/v1/calendars", Tag: "calendars", Summary: "Every business calendar with its region and team assignments",
			Permission: read, Response: CalendarsPage{}, Errors: []int{403}},
		{Method: "GET", Path: "/v1/calendars/assigned", Tag: "calendars", Summary: "The business calendar a team (else its region, else the default) counts business time in",
			Description: "For anyone who reads follow-ups: the customer service checks visit days against it. spec_json is the calendar's stored definition.",
			Permission:  fuRead, Params: []openapi.Param{{Name: "team", In: "query"}, {Name: "region", In: "query"}}, Response: app.AssignedCalendarView{}, Errors: []int{403}},
		{Method: "GET", Path: "/v1/resolution", Tag: "calendars", Summary: "The policy versions in force now and the calendars they count in, for a team and region",
			Description: "What a workflow's ResolvePolicies activity would answer now: the customer service starts a Visit workflow with it. next_change_at, when present, is when a scheduled version of one of the policies comes into force (a copy is stale from then). An unknown policy is a field error (422).",
			Permission:  fuRead, Params: []openapi.Param{{Name: "policy", In: "query", Repeated: true, Description: "a policy name, such as visit.reminder_before; repeat for more"}, {Name: "team", In: "query"}, {Name: "region", In: "query"}},
			Response: app.ResolutionView{}, Errors: []int{403, 422}},
		{Method: "GET", Path: "/v1/calendars/:name", Tag: "calendars", Summary: "A business calendar",
			Permission: read, Params: []openapi.Param{calendarPath}, Response: app.CalendarView{}, Errors: []int{403, 404}},
		{Method: "PUT", Path: "/v1/calendars/:name", Tag: "calendars", Summary: "Create or change a business calendar and its assignments",
			Description: "Stores a new version. A region or team can use one calendar only (409 with field errors); setting default moves the default here. Running workflows that count business time in it re-compute.",
			Permission:  write, Params: []openapi.Param{calendarPath}, Request: domain.CalendarInput{}, Response: app.CalendarView{}, Errors: []int{400, 403, 409, 422}},
		{Method: "GET", Path: "/v1/calendars/:name/audit", Tag: "calendars", Summary: "The calendar's audit trail, newest first",
			Permission: read, Params: []openapi.Param{calendarPath}, Response: AuditPage{}, Errors: []int{403, 404}},
		{Method: "GET", Path: "/v1/calendars/:name/deadline", Tag: "calendars", Summary: "Add business time to an instant in this calendar",
			Permission: read, Params: []openapi.Param{calendarPath, {Name: "from", In: "query", Description: "RFC 3339 instant"}, {Name: "duration", In: "query", Description: "such as 8h or 90m"}},
			Response: app.Deadline{}, Errors: []int{403, 404, 422}},
		{Method: "POST", Path: "/v1/follow-ups", Tag: "follow-ups", Summary: "Open a follow-up on a customer",
			Description: "Starts its FollowUp workflow. The due time comes from the kind's deadline policy unless due_at is given. 201 with the follow-up once stored, or 202 with its id if that takes longer than FOLLOWUP_OPEN_WAIT. An Idempotency-Key makes retries open one follow-up.",
			Permission:  fuWrite, Request: OpenFollowUpRequest{}, Status: 201, Response: app.View{}, Errors: []int{403, 422, 503}},
		{Method: "GET", Path: "/v1/follow-ups", Tag: "follow-ups", Summary: "Follow-ups in your scope, soonest due first",
			Description: "Reps see their own, managers their teams', admins and analysts all. state=open (the default) is every follow-up not closed, escalated ones included; " +
				"escalated only the escalated ones; closed the done and cancelled ones. due_before keeps those due strictly before an instant: a rep's day is " +
				"state=open&due_before=<tonight>, overdue ones first. Pages follow next_cursor.",
			Permission: fuRead, Params: append(append([]openapi.Param{}, filterParams...),
				openapi.Param{Name: "state", In: "query", Enum: domain.ListStates},
				openapi.Param{Name: "due_before", In: "query", Description: "RFC 3339 instant (encode + as %2B); only follow-ups due before it"},
				limitParam, cursorParam),
			Response: app.Page{}, Errors: []int{400, 403, 422}},
		{Method: "GET", Path: "/v1/follow-ups/overdue", Tag: "follow-ups", Summary: "Overdue follow-ups, most late first",
			Description: "Managers see their teams, reps their own, admins and analysts all. Each item links to its customer and its workflow.",
			Permission:  fuRead, Params: append(append([]openapi.Param{}, filterParams...), openapi.Param{Name: "lateness", In: "query", Enum: domain.LatenessBuckets()}, limitParam, cursorParam),
			Response: app.Page{}, Errors: []int{400, 403, 422}},
		{Method: "GET", Path: "/v1/follow-ups/overdue/counts", Tag: "follow-ups", Summary: "Overdue follow-ups counted per owner, per team and per lateness bucket",
			Permission: fuRead, Params: append(append([]openapi.Param{}, filterParams...), openapi.Param{Name: "lateness", In: "query", Enum: domain.LatenessBuckets()}),
			Response: app.Counts{}, Errors: []int{403, 422}},
		{Method: "GET", Path: "/v1/follow-ups/stats/on-time", Tag: "follow-ups", Summary: "Follow-ups closed on time, per team and week or month",
			Description: "Counts the follow-ups closed in [from, to) per team and period: closed, closed_on_time (closed_at <= due_at) and on_time_share " +
				"(null when none closed), and the same split into done and cancelled. Periods are ISO weeks starting Monday 00:00 (label 2026-W14) or calendar " +
				"months (2026-04) in tz, the first and last cut to the range; every team lists every period. Scope as for the overdue views: managers their " +
				"teams, reps their own follow-ups, analysts and admins all. Bad values are 422 with field errors.",
			Permission: fuRead, Params: []openapi.Param{
				{Name: "from", In: "query", Required: true, Description: "date (2026-04-01: midnight in tz) or RFC 3339 instant; inclusive"},
				{Name: "to", In: "query", Required: true, Description: "date or RFC 3339 instant; exclusive; at most three years after from"},
				{Name: "bucket", In: "query", Description: "week (default) or month"},
				{Name: "tz", In: "query", Description: "IANA time zone of the periods and of dates, such as Asia/Shanghai (default UTC)"},
				{Name: "team", In: "query", Description: "one team only"},
			},
			Response: app.OnTimeStats{}, Errors: []int{403, 422}},
		{Method: "GET", Path: "/v1/follow-ups/:id", Tag: "follow-ups", Summary: "A follow-up with its history",
			Permission: fuRead, Params: []openapi.Param{followUpPath}, Response: app.View{}, Errors: []int{403, 404}},
		{Method: "POST", Path: "/v1/follow-ups/:id/complete", Tag: "follow-ups", Summary: "Mark a follow-up done",
			Permission: fuWrite, Params: []openapi.Param{followUpPath}, Request: NoteRequest{}, Response: app.View{}, Errors: []int{403, 404, 422, 503}},
		{Method: "POST", Path: "/v1/follow-ups/:id/cancel", Tag: "follow-ups", Summary: "Cancel a follow-up (managers)",
			Permission: fuWrite, Params: []openapi.Param{followUpPath}, Request: NoteRequest{}, Response: app.View{}, Errors: []int{403, 404, 422, 503}},
		{Method: "POST", Path: "/v1/follow-ups/:id/reassign", Tag: "follow-ups", Summary: "Give an open or escalated follow-up to another owner (managers, admins)",
			Description: "Managers: follow-ups of their teams, to an enabled rep or manager of a team they manage; admins: any follow-up, to an enabled rep or " +
				"manager of its (new) team. team defaults to the follow-up's; reason is required and kept in the history (action reassigned). Due time, " +
				"escalation level and state stay; the overdue lists and counts show the new owner at once. 409 when another service decides the owner: " +
				"owner_held_by_lead (use the sales service's POST /v1/leads/{id}/reassign), owner_held_by_opportunity, owner_held_by_visit, " +
				"owner_held_by_customer (care contacts: PATCH /v1/customers/{id}); details name the service, endpoint and ids. The new owner is looked up " +
				"in the customer service's user directory as the caller (422 unknown_owner on owner_id; 503 customer_service_unavailable).",
			Permission: fuWrite, Params: []openapi.Param{followUpPath}, Request: ReassignRequest{}, Response: app.View{}, Errors: []int{403, 404, 409, 422, 503}},
	}
}
