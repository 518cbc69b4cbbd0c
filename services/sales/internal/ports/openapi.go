package ports

import (
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/sales/internal/app"
)

var (
	idParam     = openapi.Param{Name: "id", In: "path", Description: "id (UUID)"}
	repParam    = openapi.Param{Name: "repId", In: "path", Description: "the rep's user id"}
	limitParam  = openapi.Param{Name: "limit", In: "query", Type: "integer", Description: "page size, 1..200 (default 50)"}
	cursorParam = openapi.Param{Name: "cursor", In: "query", Description: "next_cursor of the previous page"}
	// customerParam narrows a list to one customer's leads or opportunities.
	customerParam = openapi.Param{Name: "customer_id", In: "query", Description: "only those filed under this customer (UUID)"}
)

const (
	createNote = "Retrying with the same key returns the same record: its id is derived from you and the key. The same key with a different body is 409 idempotency_key_reused (for 24 h; the id stays derived after that)."
	changeNote = "Retrying with the same key applies the change at most once (the workflow update's id is derived from you, the key and the record), e.g. after a 503 update_pending."
)

// OpenAPI returns the sales service's OpenAPI document.
func OpenAPI() []byte {
	read, write, assign, terr := string(auth.PermLeadsRead), string(auth.PermLeadsWrite), string(auth.PermLeadsAssign), string(auth.PermTerritoriesWrite)
	return openapi.New("Closeloop sales service", "1.0.0",
		"Territories and lead assignment, leads and their first-contact escalation, opportunities in the four-stage funnel "+
			"with stale-stage follow-ups, timelines and the funnel report. Every /v1 call needs a bearer token; leads and "+
			"opportunities you may not see answer 404. Changes to a lead or an opportunity go through its Temporal workflow: "+
			"when the workflow does not answer in time the API answers 503 and nothing changed.").Add(
		openapi.Op{Method: "POST", Path: "/v1/territories", Tag: "territories", Summary: "Define a territory",
			Description: "A region, an industry or both, with a team, a manager (escalations go there), an assignment strategy (round_robin or least_loaded) and reps with a capacity (open leads each may hold). Managers define territories of their own teams.",
			Permission:  terr, Request: TerritoryRequest{}, Status: 201, Response: app.TerritoryView{}, Errors: []int{400, 403, 409, 422}},
		openapi.Op{Method: "GET", Path: "/v1/territories", Tag: "territories", Summary: "List territories with their reps and loads",
			Permission: read, Response: TerritoryList{}, Errors: []int{403}},
		openapi.Op{Method: "GET", Path: "/v1/territories/:id", Tag: "territories", Summary: "Get a territory",
			Permission: read, Params: []openapi.Param{idParam}, Response: app.TerritoryView{}, Errors: []int{403, 404}},
		openapi.Op{Method: "PATCH", Path: "/v1/territories/:id", Tag: "territories", Summary: "Change a territory",
			Permission: terr, Params: []openapi.Param{idParam}, Request: TerritoryPatchRequest{}, Response: app.TerritoryView{}, Errors: []int{400, 403, 404, 409, 422}},
		openapi.Op{Method: "DELETE", Path: "/v1/territories/:id", Tag: "territories", Summary: "Retire a territory",
			Description: "New leads no longer match it; assigned leads keep their owners.",
			Permission:  terr, Params: []openapi.Param{idParam}, Status: 204, Errors: []int{403, 404}},
		openapi.Op{Method: "PUT", Path: "/v1/territories/:id/reps/:repId", Tag: "territories", Summary: "Add a rep or change its capacity",
			Permission: terr, Params: []openapi.Param{idParam, repParam}, Request: PutRepRequest{}, Response: app.TerritoryView{}, Errors: []int{400, 403, 404, 422}},
		openapi.Op{Method: "DELETE", Path: "/v1/territories/:id/reps/:repId", Tag: "territories", Summary: "Remove a rep from a territory",
			Description: "The rep keeps its open leads; it gets no new ones from this territory.",
			Permission:  terr, Params: []openapi.Param{idParam, repParam}, Status: 204, Errors: []int{403, 404}},

		openapi.Op{Method: "POST", Path: "/v1/leads", Tag: "leads", Summary: "Create a lead",
			Description: "Starts the lead's workflow (Lead:<id>), which stores the lead, finds or creates its customer through the customer service (honouring its duplicate detection), assigns it — to the customer's owner when it has one, else by the matching territory's rules, else to the pool — and opens the first-contact follow-up. 201 when the lead is assigned within LEAD_CREATE_WAIT, else 202 (it will be). With customer_id, the customer must be one you can see. received_at is recorded; the first-contact SLA counts from the assignment, unless import is true (needs leads:assign), which times it from received_at. A lead that went outside your scope answers only its id, team and a note saying whom to ask.",
			Permission:  write, Request: LeadRequest{}, Status: 201, Response: app.LeadView{}, Errors: []int{400, 403, 409, 422, 503}, Idempotent: true, IdempotencyNote: createNote},
		openapi.Op{Method: "GET", Path: "/v1/leads", Tag: "leads", Summary: "List leads (newest first)",
			Permission: read, Response: app.Page[app.LeadView]{}, Errors: []int{400, 403, 422},
			Params: []openapi.Param{{Name: "state", In: "query", Enum: []string{"new", "contacted", "qualified", "disqualified", "converted"}},
				{Name: "owner_id", In: "query"}, {Name: "team", In: "query"}, {Name: "territory_id", In: "query"}, customerParam,
				{Name: "pool", In: "query", Type: "boolean", Description: "only open leads waiting in the pool"}, limitParam, cursorParam}},
		openapi.Op{Method: "GET", Path: "/v1/leads/:id", Tag: "leads", Summary: "Get a lead",
			Permission: read, Params: []openapi.Param{idParam}, Response: app.LeadView{}, Errors: []int{403, 404}},
		openapi.Op{Method: "GET", Path: "/v1/leads/:id/escalation", Tag: "leads", Summary: "Live escalation state: due time, next deadline and action",
			Description: "Asks the lead's workflow (a Temporal query).",
			Permission:  read, Params: []openapi.Param{idParam}, Response: app.EscalationView{}, Errors: []int{403, 404, 503}},
		openapi.Op{Method: "GET", Path: "/v1/leads/:id/timeline", Tag: "leads", Summary: "The lead's timeline, oldest first",
			Description: "Creation, assignments, contacts, reminders, escalations, reassignments, qualification, closing.",
			Permission:  read, Params: []openapi.Param{idParam, limitParam, cursorParam}, Response: app.Page[app.TimelineEvent]{}, Errors: []int{400, 403, 404}},
		openapi.Op{Method: "POST", Path: "/v1/leads/:id/contacts", Tag: "leads", Summary: "Log a contact",
			Description: "The first contact ends the first-contact follow-up and its escalation.",
			Permission:  write, Params: []openapi.Param{idParam}, Request: ContactRequest{}, Response: app.LeadView{}, Errors: []int{400, 403, 404, 422, 503}, Idempotent: true, IdempotencyNote: changeNote},
		openapi.Op{Method: "POST", Path: "/v1/leads/:id/qualify", Tag: "leads", Summary: "Qualify a contacted lead",
			Permission: write, Params: []openapi.Param{idParam}, Request: ReasonRequest{}, Response: app.LeadView{}, Errors: []int{400, 403, 404, 422, 503}, Idempotent: true, IdempotencyNote: changeNote},
		openapi.Op{Method: "POST", Path: "/v1/leads/:id/disqualify", Tag: "leads", Summary: "Disqualify a lead (reason required)",
			Permission: write, Params: []openapi.Param{idParam}, Request: ReasonRequest{}, Response: app.LeadView{}, Errors: []int{400, 403, 404, 422, 503}, Idempotent: true, IdempotencyNote: changeNote},
		openapi.Op{Method: "POST", Path: "/v1/leads/:id/convert", Tag: "leads", Summary: "Convert a contacted lead into an opportunity",
			Description: "Creates the opportunity (stage 1 unless given), owned by the lead's owner, and starts its workflow. The lead's owner must be the customer's owner (422 customer_not_visible).",
			Permission:  write, Params: []openapi.Param{idParam}, Request: ConvertRequest{}, Response: app.LeadView{}, Errors: []int{400, 403, 404, 422, 503}, Idempotent: true, IdempotencyNote: changeNote},
		openapi.Op{Method: "POST", Path: "/v1/leads/:id/reassign", Tag: "leads", Summary: "Reassign a lead or return it to the pool",
			Description: "A Temporal Update whose validator refuses, with a reason, what the lead's state does not allow (closed lead, same owner, already pooled). The rep must be an active member of the lead's territory (admins: of any territory) with room for another lead. With neither to_owner_id nor to_pool the territory rules pick another rep. A lead on a customer someone owned before it arrived moves only to a named rep with move_customer, which moves the customer too (422 customer_owned otherwise).",
			Permission:  assign, Params: []openapi.Param{idParam}, Request: ReassignRequest{}, Response: app.LeadView{}, Errors: []int{400, 403, 404, 422, 503}, Idempotent: true, IdempotencyNote: changeNote},

		openapi.Op{Method: "POST", Path: "/v1/opportunities", Tag: "opportunities", Summary: "Create an opportunity on a customer you can see",
			Permission: write, Request: OpportunityRequest{}, Status: 201, Response: app.OpportunityView{}, Errors: []int{400, 403, 409, 422, 503}, Idempotent: true, IdempotencyNote: createNote},
		openapi.Op{Method: "GET", Path: "/v1/opportunities", Tag: "opportunities", Summary: "List opportunities (newest first)",
			Permission: read, Response: app.Page[app.OpportunityView]{}, Errors: []int{400, 403, 422},
			Params: []openapi.Param{{Name: "status", In: "query", Enum: []string{"open", "won", "lost"}}, {Name: "stage", In: "query", Type: "integer"},
				{Name: "owner_id", In: "query"}, {Name: "team", In: "query"}, customerParam, limitParam, cursorParam}},
		openapi.Op{Method: "GET", Path: "/v1/opportunities/:id", Tag: "opportunities", Summary: "Get an opportunity",
			Permission: read, Params: []openapi.Param{idParam}, Response: app.OpportunityView{}, Errors: []int{403, 404}},
		openapi.Op{Method: "PATCH", Path: "/v1/opportunities/:id", Tag: "opportunities", Summary: "Change name, amount, currency, expected close date or probability",
			Description: "Give version to refuse the change when someone else changed the opportunity since you read it (409).",
			Permission:  write, Params: []openapi.Param{idParam}, Request: OpportunityPatchRequest{}, Response: app.OpportunityView{}, Errors: []int{400, 403, 404, 409, 422}},
		openapi.Op{Method: "POST", Path: "/v1/opportunities/:id/stage", Tag: "opportunities", Summary: "Move to another funnel stage",
			Description: "Forward moves may skip stages. Going back needs leads:assign (managers) and a reason. Restarts the stale-stage timer of the new stage.",
			Permission:  write, Params: []openapi.Param{idParam}, Request: StageRequest{}, Response: app.OpportunityView{}, Errors: []int{400, 403, 404, 422, 503}, Idempotent: true, IdempotencyNote: changeNote},
		openapi.Op{Method: "POST", Path: "/v1/opportunities/:id/won", Tag: "opportunities", Summary: "Close as won",
			Permission: write, Params: []openapi.Param{idParam}, Request: CloseRequest{}, Response: app.OpportunityView{}, Errors: []int{400, 403, 404, 422, 503}, Idempotent: true, IdempotencyNote: changeNote},
		openapi.Op{Method: "POST", Path: "/v1/opportunities/:id/lost", Tag: "opportunities", Summary: "Close as lost (reason required, competitor optional)",
			Permission: write, Params: []openapi.Param{idParam}, Request: CloseRequest{}, Response: app.OpportunityView{}, Errors: []int{400, 403, 404, 422, 503}, Idempotent: true, IdempotencyNote: changeNote},
		openapi.Op{Method: "GET", Path: "/v1/opportunities/:id/timeline", Tag: "opportunities", Summary: "The opportunity's timeline, oldest first",
			Permission: read, Params: []openapi.Param{idParam, limitParam, cursorParam}, Response: app.Page[app.TimelineEvent]{}, Errors: []int{400, 403, 404}},
		openapi.Op{Method: "GET", Path: "/v1/timeline", Tag: "reports", Summary: "A customer's sales timeline, newest first",
			Description: "The events of every lead and opportunity filed under the customer that you may see (yours as a rep; your teams' and the pool's as a manager; all as an analyst or admin): received, assigned, contacted, qualified, converted, stage moves, won, lost, reminders and escalations — each with the lead or opportunity it belongs to. A customer you may not see, or with no sales, has an empty timeline. The customer service's GET /v1/customers/{id}/timeline holds the rest of the customer's history; both are ordered by at, newest first.",
			Permission:  read, Params: []openapi.Param{{Name: "customer_id", In: "query", Required: true, Description: "the customer's id (UUID)"}, limitParam, cursorParam},
			Response: app.Page[app.CustomerEvent]{}, Errors: []int{400, 403}},
		openapi.Op{Method: "GET", Path: "/v1/funnel", Tag: "reports", Summary: "Funnel report",
			Description: "Per stage: open count, amount and weighted amount per currency, how many reached the stage, conversion to the next, average days in stage; won, lost, win rate. Of everything in your scope, or of one team or rep.",
			Permission:  read, Params: []openapi.Param{{Name: "team", In: "query"}, {Name: "owner_id", In: "query"}}, Response: app.FunnelReport{}, Errors: []int{403}},
	).JSON()
}
