package ports

import (
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/service/internal/app"
)

var (
	slipParam = openapi.Param{Name: "id", In: "path", Description: "slip id (UUID)"}
	partParam = openapi.Param{Name: "n", In: "path", Type: "integer", Description: "the recipient's number on the slip (1 for the first)"}
)

// slipOps are the info slips' operations, for the service's OpenAPI
// document (docs/api/info-slips.md tells the same with examples).
func slipOps() []openapi.Op {
	change := func(path, summary, desc string, req any, errs ...int) openapi.Op {
		params := []openapi.Param{slipParam}
		if len(path) > len("/v1/slips/:id/recipients/:n") && path[:len("/v1/slips/:id/recipients/:n")] == "/v1/slips/:id/recipients/:n" {
			params = append(params, partParam)
		}
		return openapi.Op{Method: "POST", Path: path, Tag: "slips", Summary: summary,
			Description: desc + " The change is an update of the slip's workflow (InfoSlip:<id>), its only writer: a refused change " +
				"answers its code and changes nothing. expected_version, when set, is the version you read (409 version_conflict " +
				"when it moved on). 404 slip_not_found for a slip you do not see; 403 slip_not_allowed when you see it but the change " +
				"is not yours to make; 503 update_pending when the workflow did not answer in time (a retry with the same " +
				"Idempotency-Key applies it at most once).",
			Params: params, Request: req, Response: app.SlipView{}, Errors: append([]int{400, 403, 404, 409, 422, 503}, errs...), Idempotent: true}
	}
	return []openapi.Op{
		{Method: "POST", Path: "/v1/slips", Tag: "slips", Summary: "Send an information routing slip about a customer", Status: 201,
			Description: "To 1–49 recipients: departments (sales, service, marketing — optionally one of the department's teams; " +
				"its managers route the slip to a person) or named people of the organisation (the user directory). The customer must " +
				"be one you see (422 unknown_customer). Every bad field is reported at once (422: recipients required, " +
				"too_many_recipients, unknown_user for someone the directory does not know or who is disabled, duplicate, self, an " +
				"unknown department or team, a due_at in the past, attachments' links and sizes) and nothing is stored. Each " +
				"recipient is then chased on its own: acknowledge within infoslip.ack_deadline, act within infoslip.close_deadline " +
				"(business time, from when it got the slip), escalated along infoslip.escalation_ladder.",
			Request: SendSlipRequest{}, Response: app.SlipView{}, Errors: []int{400, 422, 503}, Idempotent: true},
		{Method: "GET", Path: "/v1/slips", Tag: "slips", Summary: "The slips you see, newest first",
			Description: "role=sent (yours), received (a part yours to act on, or once was), team (a part of a team you manage); " +
				"state=open|closed|withdrawn; recipient_state=pending|acknowledged|done|rejected|forwarded|dismissed; customer_id. " +
				"You see a slip you sent or are a recipient's person of, and — as a manager — the slips of your teams' originators " +
				"and recipients; admins every slip. 400 invalid_query for a bad value.",
			Params: []openapi.Param{{Name: "role", In: "query", Description: "sent, received or team"},
				{Name: "state", In: "query", Description: "open, closed or withdrawn"},
				{Name: "recipient_state", In: "query", Description: "a part in this state"},
				{Name: "customer_id", In: "query", Description: "only this customer's slips"}, limitParam, cursorParam},
			Response: app.SlipPage{}, Errors: []int{400}},
		{Method: "GET", Path: "/v1/slips/:id", Tag: "slips", Summary: "A slip, with each recipient's running chase",
			Description: "follow_up_id and level on a part are its running follow-up (live from the workflow); auto_close_at is when an " +
				"all-done slip closes by itself unless the originator objects. 404 slip_not_found for a slip you do not see.",
			Params: []openapi.Param{slipParam}, Response: app.SlipView{}, Errors: []int{404}},
		{Method: "GET", Path: "/v1/slips/:id/timeline", Tag: "slips", Summary: "A slip's timeline, oldest first",
			Description: "Every change (created, routed, acknowledged, done, rejected, forwarded, added, rerouted, dismissed, objected, " +
				"closed, withdrawn) and every step of a recipient's chase (reminded, escalated), for whoever sees the slip.",
			Params: []openapi.Param{slipParam, limitParam, cursorParam}, Response: app.SlipTimelinePage{}, Errors: []int{404}},
		{Method: "GET", Path: "/v1/customers/:customerId/slips", Tag: "slips", Summary: "A customer's slips you see, newest first",
			Params:   []openapi.Param{{Name: "customerId", In: "path", Description: "customer id"}, limitParam, cursorParam},
			Response: app.SlipPage{}, Errors: []int{400}},
		change("/v1/slips/:id/recipients/:n/acknowledge", "Acknowledge your part",
			"The part's person (a department's part once routed to them). 409 already_acknowledged the second time; 409 "+
				"recipient_not_routed for a department's part nobody was routed to.", SlipNoteRequest{}),
		change("/v1/slips/:id/recipients/:n/done", "Report your part done, with what you did",
			"The part's person; note is required (422 note_required). Acknowledges too, if you had not.", SlipNoteRequest{}),
		change("/v1/slips/:id/recipients/:n/reject", "Reject your part: not yours to act on",
			"The part's person; reason is required (422 reason_required): the originator re-routes the part or dismisses it.",
			SlipReasonRequest{}),
		change("/v1/slips/:id/recipients/:n/forward", "Hand your part to someone better placed",
			"The part's person; to names one recipient (a person, or a department). Your part becomes forwarded and the new "+
				"recipient's is chased from now; the chain is kept (forwarded_to, forwarded_from).", SlipForwardRequest{}),
		change("/v1/slips/:id/recipients/:n/route", "Route a department's part to a person of its team",
			"A manager of the part's team (to themselves too); user_id must be a person of that team (422 not_in_team). "+
				"Routing after the acknowledgement deadline makes the part due at once for the new person.", SlipRouteRequest{}),
		change("/v1/slips/:id/recipients/:n/reroute", "Send a rejected part to another recipient",
			"The originator or a manager of their team: the rejected part is dismissed and the new recipient's is chased from now.",
			SlipForwardRequest{}),
		change("/v1/slips/:id/recipients/:n/dismiss", "Accept a rejection: nobody does that part",
			"The originator or a manager of their team; only a rejected part.", SlipReasonRequest{}),
		change("/v1/slips/:id/recipients/:n/object", "Object: a part reported done is not done",
			"The originator or a manager of their team; reason is required. The part is acknowledged again and chased for its action.",
			SlipReasonRequest{}),
		change("/v1/slips/:id/recipients", "Route the slip to more recipients",
			"The originator or a manager of their team; at most 100 recipients over the slip's life.", SlipAddRequest{}),
		change("/v1/slips/:id/confirm", "Close the slip: every part is done",
			"The originator or a manager of their team; 409 slip_not_done while a part owes something or a rejection waits for your "+
				"decision. Without a confirmation the slip closes by itself after infoslip.confirm_period.", SlipNoteRequest{}),
		change("/v1/slips/:id/withdraw", "Withdraw the slip",
			"The originator or a manager of their team: every running chase is cancelled.", SlipReasonRequest{}),
	}
}
