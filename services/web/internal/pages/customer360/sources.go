package customer360

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The timeline's sources, one per service, in the order entries of the
// same instant are shown. A new service's records (service cases, info
// slips, campaign touches) become one more source here.

// customerSource is what the customer service records about the customer:
// actions of every department, visits and stage changes
// (GET /v1/customers/{id}/timeline, newest first by at).
type customerSource struct {
	api *customerapi.ClientWithResponses
	id  string
}

func (customerSource) Name() string { return "customer" }

// customerEntry is one entry of the customer service's timeline, decoded
// by the page itself: it was written when the service's OpenAPI document
// gave the timeline's answer and the visit list's the same name ("Page").
// The document now tells them apart (TimelinePage, Entry), so the generated
// client's JSON200 could replace it.
type customerEntry struct {
	Source     string    `json:"source"` // action, visit, stage
	ID         string    `json:"id"`
	At         time.Time `json:"at"`
	Kind       string    `json:"kind"` // plan, log; booked, done, cancelled; lifecycle, relationship
	Actor      string    `json:"actor"`
	Department string    `json:"department"`
	Action     *struct {
		Status, Category, Title, Summary, Outcome string
		LeadIDs                                   []string `json:"lead_ids"`
		OpportunityIDs                            []string `json:"opportunity_ids"`
	} `json:"action"`
	Visit *struct {
		Purpose      string `json:"purpose"`
		CancelReason string `json:"cancel_reason"`
		Log          *struct{ Summary, Outcome string }
	} `json:"visit"`
	Stage *struct{ From, To, Reason string } `json:"stage"`
}

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
	var page struct {
		Items      []customerEntry `json:"items"`
		NextCursor string          `json:"next_cursor"`
	}
	if err := json.Unmarshal(res.Body, &page); err != nil {
		return Run{}, err
	}
	entries := make([]Entry, len(page.Items))
	for i, ce := range page.Items {
		entries[i] = ce.entry()
	}
	return pageRun(p, entries, page.NextCursor), nil
}

// entry shows one entry of the customer service's timeline: an action
// (plan or log, linked to the first lead or opportunity it names), a visit
// (its purpose and what came of it) or a stage change (from, to, why).
func (ce customerEntry) entry() Entry {
	e := Entry{At: ce.At, Source: "customer", Department: ce.Department, Actor: ce.Actor}
	switch {
	case ce.Action != nil:
		a := ce.Action
		e.Kind, e.Status, e.Title, e.Summary = a.Category, a.Status, a.Title, joinText(a.Summary, a.Outcome)
		switch {
		case len(a.LeadIDs) > 0:
			e.Link = "/leads/" + url.PathEscape(a.LeadIDs[0])
		case len(a.OpportunityIDs) > 0:
			e.Link = "/opportunities/" + url.PathEscape(a.OpportunityIDs[0])
		}
	case ce.Visit != nil:
		v := ce.Visit
		e.Kind, e.Status, e.Title, e.Summary = "visit", ce.Kind, v.Purpose, v.CancelReason
		if v.Log != nil {
			e.Summary = joinText(v.Log.Summary, v.Log.Outcome)
		}
		e.Link = "/visits/" + url.PathEscape(ce.ID)
	case ce.Stage != nil:
		e.Kind, e.StageFrom, e.StageTo, e.Summary = "stage_"+ce.Kind, ce.Stage.From, ce.Stage.To, ce.Stage.Reason
	default:
		e.Kind = ce.Source // a source this page does not know yet: shown by its name
	}
	return e
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
