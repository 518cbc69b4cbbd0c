package ports

import (
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/customer/internal/visits/app"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Ops documents the visit API for the service's OpenAPI document.
func Ops() []openapi.Op {
	read, write := string(auth.PermCustomersRead), string(auth.PermFollowupsWrite)
	cust := openapi.Param{Name: "id", In: "path", Description: "customer id (UUID)"}
	id := openapi.Param{Name: "id", In: "path", Description: "visit id (UUID)"}
	rng := []openapi.Param{
		{Name: "from", In: "query", Description: "first day, YYYY-MM-DD"}, {Name: "to", In: "query", Description: "last day, YYYY-MM-DD (at most 366 days after from)"},
		{Name: "status", In: "query", Enum: []string{visit.StatusBooked, visit.StatusCancelled, visit.StatusDone}},
		{Name: "limit", In: "query", Type: "integer", Description: "1..1000 (default 200); truncated=true when there are more"},
	}
	return []openapi.Op{
		{Method: "POST", Path: "/v1/customers/:id/visits", Tag: "visits", Summary: "Request a visit to the customer on a day",
			Description: "At most one visit per customer per day across all departments. The day's Visit workflow decides: the first request books the day (201, outcome booked); " +
				"a later one with join=true joins that visit (200, outcome joined; the booker is told who joins and why); with join=false it is answered with the next working day " +
				"without a visit (200, outcome offered, offered_day) and nothing is booked. One participant per person: someone who already takes part asks again and is answered " +
				"what she has (200, outcome booked or joined, repeat=true, role booker or joined); nothing changes. Refused (422, field errors) before any workflow starts: " +
				"a day in the past, a start in the past on a day without a booked visit, a visit that would end after midnight (ends_after_day), a non-working day of the " +
				"customer's calendar — unless a manager or an admin asks with allow_non_working_day=true where VISIT_ALLOW_NON_WORKING_DAYS allows it (a rep: 403; recorded " +
				"on the visit's timeline). A customer you cannot see is 404. An Idempotency-Key makes a retried request count once.",
			Permission: write, Params: []openapi.Param{cust}, Request: RequestBody{}, Status: 201, Response: app.Answer{},
			AlsoOK: map[int]string{200: "Joined a visit already booked that day, offered another day (nothing booked), or a repeat of what the caller already has"}, Errors: []int{400, 403, 404, 409, 422, 503}},
		{Method: "GET", Path: "/v1/customers/:id/visits", Tag: "visits", Summary: "The customer's visits, past and future, by day",
			Permission: read, Params: append([]openapi.Param{cust}, rng...), Response: domain.Page{}, Errors: []int{400, 403, 404, 422}},
		{Method: "GET", Path: "/v1/visits", Tag: "visits", Summary: "Calendar view: the visits a department or a person takes part in over a date range",
			Description: "from and to are required. Only visits to customers in your scope are listed.",
			Permission:  read, Params: append([]openapi.Param{{Name: "department", In: "query", Enum: visit.Departments()}, {Name: "user_id", In: "query"}}, rng...),
			Response: domain.Page{}, Errors: []int{400, 403, 422}},
		{Method: "GET", Path: "/v1/visits/:id", Tag: "visits", Summary: "A visit with its participants, log and timeline (reminders, joins, offers, escalations)",
			Permission: read, Params: []openapi.Param{id}, Response: domain.View{}, Errors: []int{403, 404}},
		{Method: "POST", Path: "/v1/visits/:id/cancel", Tag: "visits", Summary: "Cancel a booked visit (its booker or a manager); the day is free again",
			Description: "Refused once the visit has started (422 visit_started) or when it is not booked (422 not_booked). The other visitors are told.",
			Permission:  write, Params: []openapi.Param{id}, Request: CancelBody{}, Response: domain.View{}, Errors: []int{400, 403, 404, 422, 503}},
		{Method: "POST", Path: "/v1/visits/:id/reschedule", Tag: "visits", Summary: "Move a booked visit to another day (cancel + request, in one call)",
			Description: "Requests the new day for the booker (same department and purpose). Booked or joined: the old visit is cancelled as moved (moved_from). Offered: nothing changes.",
			Permission:  write, Params: []openapi.Param{id}, Request: RescheduleBody{}, Status: 201, Response: app.Answer{},
			AlsoOK: map[int]string{200: "Joined a visit already booked on the new day, or offered another day (nothing changes)"}, Errors: []int{400, 403, 404, 409, 422, 503}},
		{Method: "POST", Path: "/v1/visits/:id/log", Tag: "visits", Summary: "Log a visit (a visitor or a manager); closes its visit-log follow-up",
			Description: "Refused for a visit that did not happen (422 visit_not_happened: cancelled, or its start has not come) and twice (422 already_logged).",
			Permission:  write, Params: []openapi.Param{id}, Request: LogBody{}, Response: domain.View{}, Errors: []int{400, 403, 404, 422, 503}},
	}
}
