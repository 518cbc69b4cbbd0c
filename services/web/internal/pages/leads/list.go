package leads

import (
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The lead list's filters. Escalation is not a filter of GET /v1/leads: "pool"
// is its pool=true, "overdue" lists the overdue first-contact follow-ups of
// the follow-up service (GET /v1/follow-ups/overdue?kind=first_contact), whose
// workflow is the lead's.
var (
	leadStates      = []string{"new", "contacted", "qualified", "disqualified", "converted"}
	escalationViews = []string{"pool", "overdue"}
)

// Badge is a lead's first-contact status in the list.
type Badge struct {
	Class string // "", "warn", "bad", "good"
	Text  string
	Title string
}

// Row is one lead of the list.
type Row struct {
	ID, Company, State, Owner, Team, Source string
	Pooled                                  bool
	Received                                *time.Time
	Badge                                   Badge
}

// OverdueRow is one lead whose first contact is overdue.
type OverdueRow struct {
	LeadID, Title, Owner, Team, LastAction, EscalatedTo string
	Due                                                 *time.Time
	Late                                                time.Duration
	Level                                               int
}

type listData struct {
	*view.Ctx
	States, Escalations []string
	State, Owner, Esc   string
	Users               []User
	OwnerFilter         bool // managers, analysts, admins filter by owner
	Rows                []Row
	Overdue             []OverdueRow
	Next                string
	First               string
}

func (h *handler) leads(c *gin.Context) {
	r := h.d.Req(c)
	x := r.X
	x.Title = x.T("leads.list.title")
	d := &listData{Ctx: x, States: leadStates, Escalations: escalationViews,
		State: x.Q("state"), Owner: x.Q("owner"), Esc: x.Q("escalation"), OwnerFilter: seesOthers(x)}
	if !contains(leadStates, d.State) {
		d.State = ""
	}
	if !contains(escalationViews, d.Esc) {
		d.Esc = ""
	}
	if !d.OwnerFilter {
		d.Owner = ""
	}
	names, users := h.directory(r)
	d.Users = users
	if x.Q("cursor") != "" {
		d.First = x.QueryWith()
	}
	var err error
	if d.Esc == "overdue" {
		err = h.overdueRows(r, d, names)
	} else {
		err = h.leadRows(r, d, names)
	}
	if err != nil {
		h.fail(r, err)
		return
	}
	h.list.Render(c, 200, d)
}

func (h *handler) leadRows(r *console.Request, d *listData, names map[string]string) error {
	x := r.X
	params := &salesapi.GetLeadsParams{Limit: ptr(50), OwnerId: ptr(d.Owner), Cursor: ptr(x.Q("cursor"))}
	if d.State != "" {
		st := salesapi.GetLeadsParamsState(d.State)
		params.State = &st
	}
	if d.Esc == "pool" {
		params.Pool = ptr(true)
	}
	res, err := r.API.Sales.GetLeadsWithResponse(r.Ctx(), params)
	if err := apis.Check(res, err); err != nil {
		return err
	}
	items := deref(res.JSON200.Items)
	d.Next = nextPage(x, "cursor", str(res.JSON200.NextCursor))
	chase, complete := h.openChases(r, d.Owner, items)
	for _, l := range items {
		row := Row{ID: str(l.Id), Company: str(l.CompanyName), State: str(l.State), Team: str(l.Team),
			Source: str(l.Source), Pooled: deref(l.Pooled), Received: l.ReceivedAt}
		if !row.Pooled {
			row.Owner = nameOf(names, str(l.OwnerId))
		}
		row.Badge = badge(x, l, chase["Lead:"+row.ID], complete)
		d.Rows = append(d.Rows, row)
	}
	return nil
}

// openChases is the open first-contact follow-ups of the leads on the page,
// by workflow id, from one call to the follow-up service (the one page of
// up to 200 that the user's scope and owner filter give). complete says
// whether that was all of them: a new lead without a follow-up then has no
// chase running (it was called off).
func (h *handler) openChases(r *console.Request, owner string, items []salesapi.LeadView) (map[string]followupapi.View, bool) {
	out := map[string]followupapi.View{}
	need := false
	for _, l := range items {
		if str(l.State) == "new" && !deref(l.Pooled) {
			need = true
		}
	}
	if !need {
		return out, true
	}
	kind, state := followupapi.GetFollowUpsParamsKindFirstContact, followupapi.Open
	res, err := r.API.FollowUp.GetFollowUpsWithResponse(r.Ctx(), &followupapi.GetFollowUpsParams{
		Kind: &kind, State: &state, OwnerId: ptr(owner), Limit: ptr(200)})
	if apis.Check(res, err) != nil || res.JSON200 == nil {
		return out, false // badges say "see the lead page"; the list still shows
	}
	for _, f := range deref(res.JSON200.Items) {
		out[str(f.WorkflowId)] = f
	}
	return out, str(res.JSON200.NextCursor) == ""
}

// badge says where a lead's first contact stands.
func badge(x *view.Ctx, l salesapi.LeadView, f followupapi.View, complete bool) Badge {
	switch {
	case str(l.State) != "new":
		if l.FirstContactAt != nil {
			return Badge{Class: "good", Text: x.T("leads.badge.contacted", "At", x.DateTime(l.FirstContactAt))}
		}
		return Badge{}
	case deref(l.Pooled):
		return Badge{Class: "warn", Text: x.T("leads.badge.pool")}
	case str(f.Id) == "" && complete:
		return Badge{Text: x.T("leads.badge.not_timed")}
	case str(f.Id) == "":
		return Badge{Text: x.T("leads.badge.see_lead")}
	}
	title := ""
	if f.NextStepAt != nil {
		title = x.T("leads.badge.next_step_at", "At", x.DateTime(f.NextStepAt))
	}
	if deref(f.Overdue) || (f.DueAt != nil && f.DueAt.Before(x.Now())) {
		text := x.T("leads.badge.overdue", "Late", x.Since(f.DueAt))
		if lvl := deref(f.EscalationLevel); lvl > 0 {
			text += " · " + x.T("leads.badge.step", "Level", lvl, "Action", x.T("leads.action."+str(f.LastAction)))
		}
		return Badge{Class: "bad", Text: text, Title: title}
	}
	return Badge{Class: "warn", Text: x.T("leads.badge.due_in", "In", x.Until(f.DueAt)), Title: title}
}

func (h *handler) overdueRows(r *console.Request, d *listData, names map[string]string) error {
	x := r.X
	kind := followupapi.GetFollowUpsOverdueParamsKindFirstContact
	res, err := r.API.FollowUp.GetFollowUpsOverdueWithResponse(r.Ctx(), &followupapi.GetFollowUpsOverdueParams{
		Kind: &kind, OwnerId: ptr(d.Owner), Limit: ptr(50), Cursor: ptr(x.Q("cursor"))})
	if err := apis.Check(res, err); err != nil {
		return err
	}
	d.Next = nextPage(x, "cursor", str(res.JSON200.NextCursor))
	for _, f := range deref(res.JSON200.Items) {
		id, ok := strings.CutPrefix(str(f.WorkflowId), "Lead:")
		if !ok {
			continue // not a lead's follow-up
		}
		// The lead workflow titles its follow-up "First contact with lead
		// <company>": the company is what the user recognises.
		title := str(f.Title)
		if company, ok := strings.CutPrefix(title, "First contact with lead "); ok {
			title = company
		}
		d.Overdue = append(d.Overdue, OverdueRow{LeadID: id, Title: title, Owner: nameOf(names, str(f.OwnerId)),
			Team: str(f.Team), Due: f.DueAt, Late: time.Duration(deref(f.OverdueSeconds)) * time.Second,
			Level: deref(f.EscalationLevel), LastAction: str(f.LastAction), EscalatedTo: str(f.EscalatedTo)})
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
