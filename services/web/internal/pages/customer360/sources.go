package customer360

import (
	"cmp"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The timeline's sources, one per kind of record, in the order entries of
// the same instant are shown. A new department's records (service cases,
// info slips, campaign touches) become one more source here.

// runLimit is how many entries a source reads at a time: twice a page, so
// a source that fills most of a page seldom needs a second read.
const runLimit = 2 * pageSize

// historySource is the customer's contact history across departments:
// action plans and logs (GET /v1/customers/{id}/history, newest first by
// occurred_at).
type historySource struct {
	api *customerapi.ClientWithResponses
	id  string
}

func (historySource) Name() string { return "history" }

// actionItem is one entry of the history as the customer service writes
// it. Its OpenAPI document gives the action's schema and the visit's the
// same name ("View"), so the generated client decodes history entries as
// visits and loses their fields; the page decodes the answer itself until
// the document tells them apart.
type actionItem struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`
	Status         string    `json:"status"`
	Category       string    `json:"category"`
	Department     string    `json:"department"`
	ActorID        string    `json:"actor_id"`
	Title          string    `json:"title"`
	Summary        string    `json:"summary"`
	Outcome        string    `json:"outcome"`
	NextStep       string    `json:"next_step"`
	OccurredAt     time.Time `json:"occurred_at"`
	LeadIDs        []string  `json:"lead_ids"`
	OpportunityIDs []string  `json:"opportunity_ids"`
}

func (s historySource) Read(ctx context.Context, pos string) (Run, error) {
	p, err := parsePagePos(pos)
	if err != nil {
		return Run{}, err
	}
	params := &customerapi.GetCustomersByIdHistoryParams{Limit: ptr(runLimit)}
	if p.Cursor != "" {
		params.Cursor = &p.Cursor
	}
	res, err := s.api.GetCustomersByIdHistoryWithResponse(ctx, s.id, params)
	if err := apis.Check(res, err); err != nil {
		return Run{}, err
	}
	var page struct {
		Items      []actionItem `json:"items"`
		NextCursor string       `json:"next_cursor"`
	}
	if err := json.Unmarshal(res.Body, &page); err != nil {
		return Run{}, err
	}
	entries := make([]Entry, len(page.Items))
	for i, a := range page.Items {
		entries[i] = actionEntry(a)
	}
	return pageRun(p, entries, page.NextCursor), nil
}

// actionEntry shows an action: a plan (planned, cancelled) or a log (done),
// linked to the first lead or opportunity it names.
func actionEntry(a actionItem) Entry {
	e := Entry{At: a.OccurredAt, Source: "history", Department: a.Department, Kind: a.Category, Status: a.Status,
		Actor: a.ActorID, Title: a.Title, Summary: joinText(a.Summary, a.Outcome)}
	switch {
	case len(a.LeadIDs) > 0:
		e.Link = "/leads/" + url.PathEscape(a.LeadIDs[0])
	case len(a.OpportunityIDs) > 0:
		e.Link = "/opportunities/" + url.PathEscape(a.OpportunityIDs[0])
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

// visitSource is the customer's visits, past and booked
// (GET /v1/customers/{id}/visits). That list is ordered by day, oldest
// first, with a day range and a limit instead of a cursor, so the source
// keeps its own position: the last day to read and the visit last shown
// ("2026-11-25 <start, Unix ns> <id>"; the day alone for a whole day).
type visitSource struct {
	api *customerapi.ClientWithResponses
	id  string
	now func() time.Time
}

func (visitSource) Name() string { return "visits" }

// visitLimit is the most visits one read asks for (the API's maximum).
const visitLimit = 1000

// dayLayout is how the visit API writes days.
const dayLayout = "2006-01-02"

// visitPos is a position in a customer's visits: those on or before To
// (every one when ""), and on To only those before the visit shown last.
type visitPos struct {
	To       string
	BeforeAt int64 // Unix ns of that visit's start; 0: none
	BeforeID string
}

func (p visitPos) String() string {
	if p.BeforeID == "" {
		return p.To
	}
	return p.To + " " + strconv.FormatInt(p.BeforeAt, 10) + " " + p.BeforeID
}

func parseVisitPos(s string) (visitPos, error) {
	if s == "" {
		return visitPos{}, nil
	}
	f := strings.Fields(s)
	if _, err := time.Parse(dayLayout, f[0]); err != nil || (len(f) != 1 && len(f) != 3) {
		return visitPos{}, errBadCursor
	}
	p := visitPos{To: f[0]}
	if len(f) == 3 {
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return visitPos{}, errBadCursor
		}
		p.BeforeAt, p.BeforeID = n, f[2]
	}
	return p, nil
}

// before reports whether a visit starting at at with id comes before the
// position (is older than the visit shown last).
func (p visitPos) before(at time.Time, id string) bool {
	if p.BeforeID == "" {
		return true
	}
	if n := at.UnixNano(); n != p.BeforeAt {
		return n < p.BeforeAt
	}
	return id < p.BeforeID
}

// Read asks for every visit up to the position's day at once: a customer
// has at most one visit a day that takes place, so nearly every customer's
// visits fit in one answer. One with more reads back a year at a time:
// only the newest of a range are wanted, and the list gives the oldest
// first, so a range that is still too full is narrowed from its start.
func (s visitSource) Read(ctx context.Context, pos string) (Run, error) {
	p, err := parseVisitPos(pos)
	if err != nil {
		return Run{}, err
	}
	params := &customerapi.GetCustomersByIdVisitsParams{Limit: ptr(visitLimit)}
	if p.To != "" {
		params.To = ptr(p.To)
	}
	items, truncated, err := s.list(ctx, params)
	if err != nil {
		return Run{}, err
	}
	run := Run{Next: Done}
	if truncated {
		end := s.now().AddDate(2, 0, 2) // visits are booked at most two years ahead
		if p.To != "" {
			end, _ = time.Parse(dayLayout, p.To)
		}
		from := end.AddDate(0, 0, -365)
		params.From, params.To = ptr(from.Format(dayLayout)), ptr(end.Format(dayLayout))
		for range 8 {
			if items, truncated, err = s.list(ctx, params); err != nil {
				return Run{}, err
			}
			if !truncated {
				break
			}
			last := view.Str(items[len(items)-1].Day)
			if last <= *params.From {
				break // over a thousand visits on one day: the newest of them are not read
			}
			params.From = ptr(last)
		}
		start, _ := time.Parse(dayLayout, *params.From)
		run.More, run.Next = true, visitPos{To: start.AddDate(0, 0, -1).Format(dayLayout)}.String()
	}
	type visit struct {
		e       Entry
		day, id string
	}
	var vs []visit
	for _, v := range items {
		if v.StartAt == nil || !p.before(*v.StartAt, view.Str(v.Id)) {
			continue
		}
		vs = append(vs, visit{e: visitEntry(v), day: view.Str(v.Day), id: view.Str(v.Id)})
	}
	// Newest first, as the position's order (start, then id) says.
	slices.SortFunc(vs, func(a, b visit) int { return cmp.Or(b.e.At.Compare(a.e.At), strings.Compare(b.id, a.id)) })
	for _, v := range vs {
		v.e.resume = visitPos{To: v.day, BeforeAt: v.e.At.UnixNano(), BeforeID: v.id}.String()
		run.Entries = append(run.Entries, v.e)
	}
	return run, nil
}

// list reads one range of the customer's visits.
func (s visitSource) list(ctx context.Context, params *customerapi.GetCustomersByIdVisitsParams) ([]customerapi.View, bool, error) {
	res, err := s.api.GetCustomersByIdVisitsWithResponse(ctx, s.id, params)
	if err := apis.Check(res, err); err != nil {
		return nil, false, err
	}
	if res.JSON200 == nil {
		return nil, false, nil
	}
	return deref(res.JSON200.Items), deref(res.JSON200.Truncated), nil
}

// visitEntry shows a visit: its booker's department, its purpose and, once
// logged, what came of it.
func visitEntry(v customerapi.View) Entry {
	e := Entry{At: *v.StartAt, Source: "visits", Department: view.Str(v.Department), Kind: "visit", Status: view.Str(v.Status),
		Actor: view.Str(v.BookedBy), Title: view.Str(v.Purpose), Link: "/visits/" + url.PathEscape(view.Str(v.Id))}
	if l := v.Log; l != nil {
		e.Summary = joinText(view.Str(l.Summary), view.Str(l.Outcome))
	}
	if c := v.Cancellation; c != nil {
		e.Summary = view.Str(c.Reason)
	}
	return e
}

// salesSource is what happened to the customer's leads and opportunities
// (the sales service's GET /v1/timeline?customer_id=, newest first by at):
// each event names its lead or opportunity, which the entry links to.
type salesSource struct {
	api *salesapi.ClientWithResponses
	id  string
}

func (salesSource) Name() string { return "sales" }

func (s salesSource) Read(ctx context.Context, pos string) (Run, error) {
	p, err := parsePagePos(pos)
	if err != nil {
		return Run{}, err
	}
	params := &salesapi.GetTimelineParams{CustomerId: s.id, Limit: ptr(runLimit)}
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
