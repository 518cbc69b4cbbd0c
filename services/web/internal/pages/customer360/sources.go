package customer360

import (
	"context"
	"net/url"
	"strings"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The timeline's sources, one per service, in the order entries of the
// same instant are shown. A new service's records (campaign touches) become
// one more source here; info slips' changes come with the customer
// service's actions.

// customerSource is what the customer service records about the customer:
// actions of every department, among them the changes of its service cases
// and of the information routing slips about it, visits and stage changes (GET /v1/customers/{id}/timeline, newest first
// by at), in one call.
type customerSource struct {
	api *customerapi.ClientWithResponses
	id  string
}

func (customerSource) Name() string { return "customer" }

func (s customerSource) Read(ctx context.Context, pos string, want int) (Run, error) {
	p, err := parsePagePos(pos)
	if err != nil {
		return Run{}, err
	}
	params := &customerapi.GetCustomersByIdTimelineParams{Limit: ptr(p.limit(want))}
	if p.Cursor != "" {
		params.Cursor = &p.Cursor
	}
	res, err := s.api.GetCustomersByIdTimelineWithResponse(ctx, s.id, params)
	if err := apis.Check(res, err); err != nil {
		return Run{}, err
	}
	var items []customerapi.Entry
	var next string
	if res.JSON200 != nil {
		items, next = deref(res.JSON200.Items), view.Str(res.JSON200.NextCursor)
	}
	entries := make([]Entry, len(items))
	for i, ce := range items {
		entries[i] = customerEntry(ce)
	}
	return pageRun(p, entries, next), nil
}

// caseCategory is the category of the actions a service case's workflow
// records, one per change of the case; slipCategory the same for an
// information routing slip's workflow.
const (
	caseCategory = "service_case"
	slipCategory = "info_slip"
)

// customerEntry shows one entry of the customer service's timeline: an
// action (plan or log, linked to the first lead or opportunity it names), a
// change of a service case (its event, the case's subject and team, linked
// to the case) or of an info slip (its event and the slip's subject, linked
// to the slip), a visit (its purpose and what came of it) or a stage change
// (from, to, why).
func customerEntry(ce customerapi.Entry) Entry {
	e := Entry{At: deref(ce.At), Source: "customer", Department: view.Str(ce.Department), Actor: view.Str(ce.Actor)}
	switch {
	case ce.Action != nil:
		actionEntry(&e, *ce.Action)
	case ce.Visit != nil:
		v := ce.Visit
		e.Kind, e.Status, e.Title, e.Summary = "visit", view.Str(ce.Kind), view.Str(v.Purpose), view.Str(v.CancelReason)
		if v.Log != nil {
			e.Summary = joinText(view.Str(v.Log.Summary), view.Str(v.Log.Outcome))
		}
		e.Link = "/visits/" + url.PathEscape(view.Str(ce.Id))
	case ce.Stage != nil:
		e.Kind, e.StageFrom, e.StageTo, e.Summary = "stage_"+view.Str(ce.Kind), view.Str(ce.Stage.From), view.Str(ce.Stage.To), view.Str(ce.Stage.Reason)
	default:
		e.Kind = view.Str(ce.Source) // a source this page does not know yet: shown by its name
	}
	return e
}

// actionEntry fills e from an action: a person's plan or log, linked to the
// first lead or opportunity it names, or a service case's or an info slip's
// change.
func actionEntry(e *Entry, a customerapi.Action) {
	e.Kind, e.Status, e.Title, e.Summary = view.Str(a.Category), view.Str(a.Status), view.Str(a.Title), joinText(view.Str(a.Summary), view.Str(a.Outcome))
	switch caseID, slipID := view.Str(a.CaseId), view.Str(a.SlipId); {
	case caseID != "" || e.Kind == caseCategory:
		recordChange(e, caseCategory, view.Str(a.CaseEvent), "/cases/", caseID)
		e.Team = view.Str(a.CaseTeam)
		return
	case slipID != "" || e.Kind == slipCategory:
		recordChange(e, slipCategory, view.Str(a.SlipEvent), "/slips/", slipID)
		return
	}
	switch {
	case a.LeadIds != nil && len(*a.LeadIds) > 0:
		e.Link = "/leads/" + url.PathEscape((*a.LeadIds)[0])
	case a.OpportunityIds != nil && len(*a.OpportunityIds) > 0:
		e.Link = "/opportunities/" + url.PathEscape((*a.OpportunityIds)[0])
	}
}

// recordChange makes e the change (event) of a record another service's
// workflow put on the history — a case, a slip — linked to the record's
// page at prefix+id. The title is the change in the service's words and the
// record's subject ("Case resolved: Crane hydraulics leak"): the page says
// the change in the user's language and keeps the subject.
func recordChange(e *Entry, kind, event, prefix, id string) {
	e.Kind, e.Event, e.Status = kind, event, ""
	if _, subject, ok := strings.Cut(e.Title, ": "); ok && e.Event != "" {
		e.Title = strings.TrimSpace(subject)
	}
	if id != "" {
		e.Link = prefix + url.PathEscape(id)
	}
}

func joinText(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " — ")
}

// salesSource is what happened to the customer's leads and opportunities
// (the sales service's GET /v1/timeline?customer_id=, newest first by at):
// each event names its lead or opportunity, which the entry links to.
type salesSource struct {
	api *salesapi.ClientWithResponses
	id  string
}

func (salesSource) Name() string { return "sales" }

func (s salesSource) Read(ctx context.Context, pos string, want int) (Run, error) {
	p, err := parsePagePos(pos)
	if err != nil {
		return Run{}, err
	}
	params := &salesapi.GetTimelineParams{CustomerId: s.id, Limit: ptr(p.limit(want))}
	if p.Cursor != "" {
		params.Cursor = &p.Cursor
	}
	res, err := s.api.GetTimelineWithResponse(ctx, params)
	if err := apis.Check(res, err); err != nil {
		return Run{}, err
	}
	var items []salesapi.CustomerEvent
	var next string
	if res.JSON200 != nil {
		items, next = deref(res.JSON200.Items), view.Str(res.JSON200.NextCursor)
	}
	entries := make([]Entry, 0, len(items))
	for _, ev := range items {
		if ev.At == nil {
			continue
		}
		entries = append(entries, salesEntry(ev))
	}
	return pageRun(p, entries, next), nil
}

// salesEntry shows one event of a lead or an opportunity.
func salesEntry(ev salesapi.CustomerEvent) Entry {
	e := Entry{At: *ev.At, Source: "sales", Department: "sales", Kind: view.Str(ev.SubjectType), Event: view.Str(ev.Kind),
		Actor: view.Str(ev.Actor), Title: view.Str(ev.SubjectName), Summary: view.Str(ev.Summary)}
	id := url.PathEscape(view.Str(ev.SubjectId))
	switch e.Kind {
	case "lead":
		e.Link = "/leads/" + id
	case "opportunity":
		e.Link = "/opportunities/" + id
	}
	return e
}
