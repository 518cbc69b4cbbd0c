package ports

import (
	"strings"

	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// OpenAPI returns the after-sales service's OpenAPI document.
func OpenAPI() []byte {
	return openapi.New("Closeloop after-sales service", "1.0.0",
		"Service cases: a customer's request, complaint, repair, consultation or return, with its timeline (public replies and "+
			"internal entries kept apart) and two SLA targets, first response and resolution, each running, paused, met or breached on "+
			"the business calendar of the case's team. After filing, every change — state, reopen, replies, internal notes, assignment, "+
			"priority — is an update of the case's workflow (ServiceCase:<id>), its only writer, which times the targets and escalates "+
			"missed ones through the follow-up engine. Every /v1 call needs a bearer token. Who sees a case: who "+
			"works it (its assignee, its team's reps and managers, admins), who reads every case (analysts), and who reads it "+
			"through its customer (the customer's owner, the managers of the customer's team). Cases outside your sight answer "+
			"404, never 403.").
		Add(caseOps()...).Add(changeOps()...).Add(surveyOps()...).Add(reportOps()...).Add(noticeOps()...).Add(slipOps()...).JSON()
}

var (
	limitParam  = openapi.Param{Name: "limit", In: "query", Type: "integer", Description: "page size, 1..200 (default 50)"}
	cursorParam = openapi.Param{Name: "cursor", In: "query", Description: "next_cursor of the previous page"}
	stateParam  = openapi.Param{Name: "state", In: "query",
		Description: "only cases in these states: repeat it (state=new&state=open) or list them (state=new,open); any of " + strings.Join(domain.States, ", ")}
	caseParam = openapi.Param{Name: "id", In: "path", Description: "case id (UUID)"}
)

const createNote = "Retrying with the same key and body answers the first response (with Idempotent-Replayed: true) instead of filing a " +
	"second case; the same key with another body is 409 idempotency_key_reused. Keys are yours alone and kept 24 h."

func caseOps() []openapi.Op {
	return []openapi.Op{
		{Method: "POST", Path: "/v1/cases", Tag: "cases", Summary: "File a service case for a customer",
			Description: "The customer is looked up in the customer service as you: one you may not see there is 422 unknown_customer on " +
				"customer_id (\"no such customer, or not yours to see\"), and nothing is stored; 503 customer_service_unavailable when it " +
				"does not answer. The case copies the customer's owner and team (customer_owner_id, customer_team). team defaults to the " +
				"customer's team, else your first team; priority to the type's default (complaint and repair P2, returns and request P3, " +
				"consultation P4; P1 is never a default). Every bad field is reported at once (422 validation_failed).\n\n" +
				"Who files: anyone who works cases — reps, managers of a team, admins — for a customer they see, into any team's queue " +
				"(a sales rep files their customer's complaint to the service team, and then reads it through the customer). Analysts, " +
				"who read cases and work none, get 403 case_file_not_allowed. Naming assignee_id is assigning work: only who works " +
				"the team's cases (its reps and managers, admins) names someone, or you take the case yourself; anyone else is 422 " +
				"not_allowed on assignee_id and leaves the case in the team's queue.\n\n" +
				"A new case is in state new; its workflow starts at once and starts its SLA clocks from the filing instant (sla lists " +
				"them once it has; a case filed while the workflow engine is unreachable gets its workflow within CASE_START_INTERVAL). " +
				"201 with the case and Location: /v1/cases/{id}.",
			Request: CreateCaseRequest{}, Status: 201, Response: app.CaseView{}, Errors: []int{400, 403, 409, 422, 503},
			Idempotent: true, IdempotencyNote: createNote},
		{Method: "GET", Path: "/v1/cases", Tag: "cases", Summary: "Cases you see, newest first",
			Description: "Only cases in your sight, whatever the filters say. Filters combine (and); unassigned=true keeps the cases " +
				"waiting in their team's queue (not with assignee_id). A bad value is 400 invalid_query naming the parameter. Pages " +
				"follow next_cursor.",
			Params: []openapi.Param{stateParam,
				{Name: "team", In: "query", Description: "the case's team (its queue)"},
				{Name: "assignee_id", In: "query", Description: "who works the case"},
				{Name: "customer_id", In: "query"},
				{Name: "priority", In: "query", Enum: domain.Priorities},
				{Name: "type", In: "query", Enum: domain.Types},
				{Name: "unassigned", In: "query", Type: "boolean", Description: "true: only cases nobody is assigned"},
				{Name: "sla", In: "query", Enum: []string{domain.SLAAtRisk, domain.SLABreached},
					Description: "only cases still being worked with a target at risk (past its warning point) or breached and not met yet"},
				limitParam, cursorParam},
			Response: app.CasePage{}, Errors: []int{400}},
		{Method: "GET", Path: "/v1/cases/:id", Tag: "cases", Summary: "A case",
			Description: "404 case_not_found for a case out of your sight, exactly as for one that does not exist.",
			Params:      []openapi.Param{caseParam}, Response: app.CaseView{}, Errors: []int{404}},
		{Method: "GET", Path: "/v1/cases/:id/timeline", Tag: "cases", Summary: "A case's timeline, oldest first",
			Description: "Who works the case (its assignee, its team's reps and managers, admins) and analysts see every entry; who " +
				"reads it through its customer (the customer's owner, the managers of the customer's team) sees the public ones — " +
				"what the customer sees: the case being filed and the replies. includes_internal says which. 404 as for the case.",
			Params: []openapi.Param{caseParam, limitParam, cursorParam}, Response: app.TimelinePage{}, Errors: []int{400, 404}},
		{Method: "GET", Path: "/v1/customers/:customerId/cases", Tag: "cases", Summary: "A customer's cases you see, newest first",
			Description: "The after-sales part of the customer's history across departments: the customer's cases in your sight " +
				"(empty for a customer you see no case of, or that does not exist).",
			Params:   []openapi.Param{{Name: "customerId", In: "path", Description: "customer id"}, stateParam, limitParam, cursorParam},
			Response: app.CasePage{}, Errors: []int{400}},
	}
}

const changeNote = "Each change is an update of the case's workflow; with an Idempotency-Key a retried request is applied at most once."

const changeErrors = "Refusals are 422 with a code: case_closed, invalid_case_transition, state_unchanged, case_not_opened (a new case " +
	"cannot wait for the customer), case_not_resolved (close only a resolved case), use_reopen, reopen_window_passed, case_resolved " +
	"(a resolved case keeps its priority), priority_unchanged, assignment_unchanged, validation_failed with the fields; 403 " +
	"case_read_only for who reads the case but does not work it (the customer's owner); 404 case_not_found out of sight; 409 " +
	"version_conflict when expected_version is not the case's; 503 when the workflow engine does not answer in UPDATE_WAIT. " +
	"Nothing changes on any refusal. The answer is the case as stored after the change, with its SLA targets as of now."

func changeOps() []openapi.Op {
	op := func(path, summary, desc string, req any) openapi.Op {
		return openapi.Op{Method: "POST", Path: "/v1/cases/:id/" + path, Tag: "case changes", Summary: summary,
			Description: desc + "\n\n" + changeErrors, Params: []openapi.Param{caseParam}, Request: req, Response: app.CaseView{},
			Errors: []int{400, 403, 404, 409, 422, 503}, Idempotent: true, IdempotencyNote: changeNote}
	}
	return []openapi.Op{
		op("state", "Move a case to another state",
			"new → open, pending_internal or resolved; open → pending_customer, pending_internal or resolved; pending_customer → "+
				"open, pending_internal or resolved; pending_internal → open, pending_customer or resolved; resolved → closed. "+
				"Waiting for the customer (pending_customer) pauses the SLA clocks; leaving it resumes them. Resolving needs a reason "+
				"and meets the resolution target (and first response, if no reply did). customer_request on a close records that the "+
				"customer asked for it: no satisfaction survey is sent.", StateRequest{}),
		op("reopen", "Reopen a resolved case",
			"Within the reopen window (policy service.reopen_window) after it was resolved; its resolution clock runs again with "+
				"the time it sat resolved counted as hold. After the window, and once closed, file a follow-on case.", ReopenRequest{}),
		op("replies", "Add a public reply",
			"outbound: staff to the customer — the first one meets the first-response target and opens a new case; inbound: the "+
				"customer's message recorded by staff — one to a case waiting for the customer resumes it. A closed case gets none.", ReplyRequest{}),
		op("notes", "Add an internal note", "Only staff see it; a note on a new case opens it.", NoteRequest{}),
		op("assignment", "Assign a case",
			"To a person (assignee_id) or the team's queue (empty), in the case's team or another (team). Assigning a new case "+
				"opens it. The follow-ups chasing its SLA targets move to the new assignee.", AssignRequest{}),
		op("priority", "Change a case's priority",
			"P1 to P4, with a reason: the SLA targets are re-computed from the case's filing as if it had had the new priority "+
				"from the start, every hold still counted as hold; a deadline that has already passed is breached as of that "+
				"deadline. The escalation ladder may raise the priority itself (raise_priority).", PriorityRequest{}),
	}
}
