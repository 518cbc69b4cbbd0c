package cases

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// Entry is one timeline entry as the page shows it.
type Entry struct {
	serviceapi.EntryView
	Label, Actor string
	// Detail says what changed (a move, a priority, an assignment, a
	// target), in the user's language; "" for replies and notes.
	Detail   string
	Internal bool
}

type caseData struct {
	*view.Ctx
	Case               serviceapi.CaseView
	Customer, Assignee string
	CustomerLink       bool
	CreatedBy, Owner   string
	Timeline           []Entry
	TimelineNext       string
	IncludesInternal   bool
	TimelineProblem    *view.Problem
	Done               string
	// SLA are the case's targets as of the request.
	SLA []Target
	// Works: the viewer works the case, so the page offers its forms.
	Works bool
	// Moves are the states the case may move to now.
	Moves []string
	// People and Teams are the assignment form's choices (the directory,
	// for managers and admins; others type an id).
	People []Option
	Teams  []string
	// Act is the form whose change was refused, as the user filled it.
	Act *Action
}

func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	d, err := h.load(r, c.Param("id"))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if done := r.X.Q("done"); done != "" {
		d.Done = doneMessage(r.X, done, d.Case)
	}
	h.detail.Render(c, http.StatusOK, d)
}

// load reads the case, its timeline, its customer's name and the
// directory's names: what the case page shows.
func (h *handler) load(r *console.Request, id string) (*caseData, error) {
	x := r.X
	ctx := r.C.Request.Context()
	res, err := r.API.Service.GetCasesByIdWithResponse(ctx, id)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	cs := *res.JSON200
	d := &caseData{Ctx: x, Case: cs, SLA: Targets(cs.Sla, x.Now()), Works: Works(x, cs), Moves: Moves(str(cs.State))}
	x.Title = str(cs.Subject)
	var users map[string]string
	var wg sync.WaitGroup
	wg.Go(func() {
		tres, err := r.API.Service.GetCasesByIdTimelineWithResponse(ctx, id,
			&serviceapi.GetCasesByIdTimelineParams{Limit: ptr(timelineSize), Cursor: opt(x.Q("cursor"))})
		if err := apis.Check(tres, err); err != nil {
			d.TimelineProblem = problem(x, err)
			return
		}
		d.IncludesInternal = deref(tres.JSON200.IncludesInternal)
		if next := str(tres.JSON200.NextCursor); next != "" {
			d.TimelineNext = x.PageURL(next) + "#timeline"
		}
		for _, e := range deref(tres.JSON200.Items) {
			d.Timeline = append(d.Timeline, Entry{EntryView: e, Label: entryLabel(x, e), Internal: str(e.Visibility) == "internal"})
		}
	})
	wg.Go(func() {
		d.Customer = short(str(cs.CustomerId))
		cres, err := r.API.Customer.GetCustomersByIdWithResponse(ctx, str(cs.CustomerId))
		if apis.Check(cres, err) == nil && cres.JSON200 != nil {
			d.Customer, d.CustomerLink = str(cres.JSON200.Name), true
		}
	})
	wg.Go(func() {
		dir := h.d.Users(r)
		users = console.Names(dir)
		d.People, d.Teams = choices(dir, str(cs.Team), r.User.Teams)
	})
	wg.Wait()
	if r.User.Name != "" {
		users[r.User.Subject] = r.User.Name
	}
	d.Assignee, d.CreatedBy, d.Owner = nameOr(users, str(cs.AssigneeId)), nameOr(users, str(cs.CreatedBy)), nameOr(users, str(cs.CustomerOwnerId))
	for i := range d.Timeline {
		e := &d.Timeline[i]
		e.Actor = nameOr(users, str(e.EntryView.Actor))
		e.Detail = entryDetail(x, e.EntryView, users)
	}
	return d, nil
}

// entryLabel names an entry's kind; a reply says which way it went.
func entryLabel(x *view.Ctx, e serviceapi.EntryView) string {
	kind := str(e.Kind)
	if kind == "reply" && str(e.Direction) != "" {
		kind += "." + str(e.Direction)
	}
	return orID(x, "cases.kind."+kind, str(e.Kind))
}

// entryDetail says what an entry changed: a move's states, a priority's
// levels, an assignment's person and team, a target's name and deadline.
func entryDetail(x *view.Ctx, e serviceapi.EntryView, users map[string]string) string {
	switch str(e.Kind) {
	case "state_changed":
		return x.T("cases.detail.move", "From", stateLabel(x, str(e.From)), "To", stateLabel(x, str(e.To)))
	case "priority_changed":
		return x.T("cases.detail.move", "From", str(e.From), "To", str(e.To))
	case "assigned":
		if to := str(e.To); to != "" {
			return x.T("cases.detail.assigned", "Name", nameOr(users, to), "Team", str(e.ToTeam))
		}
		return x.T("cases.detail.queued", "Team", str(e.ToTeam))
	case "sla_met", "sla_breached":
		return x.T("cases.detail.target", "Target", orID(x, "cases.sla.target."+str(e.Target), str(e.Target)), "Due", x.DateTime(e.DueAt))
	}
	return ""
}

func stateLabel(x *view.Ctx, s string) string { return orID(x, "cases.state."+s, s) }

// orID is the message id in the user's language, else fallback.
func orID(x *view.Ctx, id, fallback string) string {
	if m := x.T(id); m != id {
		return m
	}
	return fallback
}

// Option is one choice of a select.
type Option struct{ Value, Label string }

// choices are whom the assignment form offers — the enabled reps and
// managers of the directory the user reads — and the teams it offers: the
// directory's, the case's and the user's own.
func choices(users []customerapi.UserView, caseTeam string, mine []string) ([]Option, []string) {
	var people []Option
	teams := append([]string{caseTeam}, mine...)
	for _, u := range users {
		if deref(u.Disabled) {
			continue
		}
		roles := deref(u.Roles)
		if !slices.Contains(roles, "rep") && !slices.Contains(roles, "manager") {
			continue
		}
		id, label := str(u.Id), str(u.Id)
		if n := str(u.Name); n != "" {
			label = n + " (" + id + ")"
		}
		people = append(people, Option{Value: id, Label: label})
		teams = append(teams, deref(u.Teams)...)
	}
	slices.SortFunc(people, func(a, b Option) int { return strings.Compare(a.Label, b.Label) })
	teams = slices.DeleteFunc(teams, func(s string) bool { return s == "" })
	slices.Sort(teams)
	return people, slices.Compact(teams)
}
