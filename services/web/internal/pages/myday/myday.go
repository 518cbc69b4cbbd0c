// Package myday is a rep's start page: the follow-ups due today and the
// overdue ones (deadlines in the rep's time zone, and the business calendar
// they count in), today's and tomorrow's visits, and the new leads — each
// follow-up and lead with one click that logs the call or visit answering
// it, which closes it. What answers what is the services' rule (see
// docs/api/actions.md, visits.md, sales.md); answer.go only picks the
// endpoint that records the contact.
package myday

import (
	"context"
	"embed"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed templates
var templates embed.FS

//go:embed locales
var locales embed.FS

// Bounds of what the page lists (a rep's day is far smaller).
const (
	maxFollowUps = 400
	maxLeads     = 50
)

// Mount adds /my-day and its one-click posts.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("myday", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d, page: d.View.Page(templates, "templates/myday.html")}
	guard := d.Guard(view.RolesMyDay...)
	e.GET("/my-day", append(guard, h.show)...)
	e.POST("/my-day/follow-ups/:id/log", append(guard, h.logFollowUp)...)
	e.POST("/my-day/leads/:id/contact", append(guard, h.contactLead)...)
	return nil
}

type handler struct {
	d    *console.Deps
	page *view.Page
}

// FollowUp is one row of the list: the follow-up, its customer's name, and
// what answers it.
type FollowUp struct {
	followupapi.View
	Customer string
	Late     bool
	Answer   answer
	// Problem is a refused one-click, shown in the row.
	Problem *view.Problem
	Note    string
}

// Calendar is the business calendar a team's deadlines count in.
type Calendar struct {
	Team, Name, TimeZone string
	Version              int
}

// Visit is a visit of today or tomorrow with its customer's name.
type Visit struct {
	customerapi.View
	Customer string
}

// Lead is a new lead, with a refused contact shown in its row.
type Lead struct {
	salesapi.LeadView
	Problem *view.Problem
	Note    string
}

type pageData struct {
	*view.Ctx
	TodayLabel, TomorrowLabel string
	FollowUps                 []FollowUp
	Overdue, DueToday         int
	Capped                    bool
	Calendars                 []Calendar
	Today, Tomorrow           []Visit
	Leads                     []Lead
	Notice                    string
	// Row and Lead are the row a refused one-click shows again; RowID and
	// RowText the notice (or refusal) that replaces a row.
	Row            *FollowUp
	Lead           *Lead
	RowID, RowText string
}

// day is the user's calendar day at now, and the instants it starts and
// ends at in their time zone.
func day(now time.Time, tz *time.Location, offset int) (date string, start, end time.Time) {
	y, m, d := now.In(tz).Date()
	start = time.Date(y, m, d+offset, 0, 0, 0, 0, tz)
	return start.Format("2006-01-02"), start, time.Date(y, m, d+offset+1, 0, 0, 0, 0, tz)
}

func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	x := r.X
	x.Title = x.T("myday.title")
	data := &pageData{Ctx: x}
	switch c.GetHeader("HX-Target") {
	case "followups":
		if err := h.loadFollowUps(r, data); err != nil {
			h.d.Fail(r, err)
			return
		}
		h.page.Partial(c, http.StatusOK, "followups", data)
		return
	case "leads":
		if err := h.loadLeads(r, data); err != nil {
			h.d.Fail(r, err)
			return
		}
		h.page.Partial(c, http.StatusOK, "leads", data)
		return
	}
	// The four parts come from three services: read them at once.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i, load := range []func(*console.Request, *pageData) error{h.loadFollowUps, h.loadCalendars, h.loadVisits, h.loadLeads} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = load(r, data) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			h.d.Fail(r, err)
			return
		}
	}
	if id, ok := notices[c.Query("done")]; ok {
		data.Notice = x.T(id)
	}
	h.page.Render(c, http.StatusOK, data)
}

// notices are what a one-click post without script leaves on the page.
var notices = map[string]string{"followup": "myday.notice.followup", "lead": "myday.notice.lead"}

// loadFollowUps reads the user's open follow-ups due before tonight, their
// midnight (due_before): today's and the overdue ones.
func (h *handler) loadFollowUps(r *console.Request, data *pageData) error {
	x := r.X
	_, _, tonight := day(x.Now(), x.TZ, 0)
	state, limit := followupapi.GetFollowUpsParamsState("open"), 200
	// The service's list is soonest due first, so the overdue ones lead.
	before := tonight.UTC().Format(time.RFC3339)
	p := &followupapi.GetFollowUpsParams{State: &state, Limit: &limit, DueBefore: &before}
	var items []followupapi.View
	for {
		res, err := r.API.FollowUp.GetFollowUpsWithResponse(r.Ctx(), p)
		if err := apis.Check(res, err); err != nil {
			return err
		}
		if res.JSON200 == nil {
			break
		}
		if res.JSON200.Items != nil {
			items = append(items, *res.JSON200.Items...)
		}
		next := view.Str(res.JSON200.NextCursor)
		if next == "" {
			break
		}
		if len(items) >= maxFollowUps {
			data.Capped = true
			break
		}
		p.Cursor = &next
	}
	ids := make([]string, 0, len(items))
	for _, f := range items {
		ids = append(ids, view.Str(f.CustomerId))
	}
	names := customerNames(r.Ctx(), r, ids)
	for _, f := range items {
		row := FollowUp{View: f, Customer: names[view.Str(f.CustomerId)], Late: f.DueAt != nil && f.DueAt.Before(x.Now()),
			Answer: answerFor(view.Str(f.Kind), view.Str(f.WorkflowId), view.Str(f.CustomerId))}
		if row.Late {
			data.Overdue++
		} else {
			data.DueToday++
		}
		data.FollowUps = append(data.FollowUps, row)
	}
	return nil
}

// loadCalendars reads the business calendar each of the user's teams
// counts deadlines in (the default calendar when the user has no team).
func (h *handler) loadCalendars(r *console.Request, data *pageData) error {
	teams := r.User.Teams
	if len(teams) == 0 {
		teams = []string{""}
	}
	for _, team := range teams {
		p := &followupapi.GetCalendarsAssignedParams{}
		if team != "" {
			p.Team = &team
		}
		// Read without the generated decoder: the document types spec_json
		// as bytes, the service answers it as an object.
		res, err := r.API.FollowUp.GetCalendarsAssigned(r.Ctx(), p)
		if err != nil {
			return apis.Check(nil, err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err := apis.Problem(res.StatusCode, body); err != nil {
			return err
		}
		var v struct {
			Name    string `json:"name"`
			Version int    `json:"version"`
			Spec    struct {
				TimeZone string `json:"time_zone"`
			} `json:"spec_json"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return apis.Check(nil, err)
		}
		data.Calendars = append(data.Calendars, Calendar{Team: team, Name: v.Name, Version: v.Version, TimeZone: v.Spec.TimeZone})
	}
	return nil
}

// loadVisits reads the visits the user takes part in today and tomorrow.
func (h *handler) loadVisits(r *console.Request, data *pageData) error {
	x := r.X
	today, todayStart, _ := day(x.Now(), x.TZ, 0)
	tomorrow, tomorrowStart, _ := day(x.Now(), x.TZ, 1)
	limit := 200
	res, err := r.API.Customer.GetVisitsWithResponse(r.Ctx(), &customerapi.GetVisitsParams{UserId: &r.User.Subject, From: &today, To: &tomorrow, Limit: &limit})
	if err := apis.Check(res, err); err != nil {
		return err
	}
	var items []customerapi.View
	if res.JSON200 != nil && res.JSON200.Items != nil {
		items = *res.JSON200.Items
	}
	ids := make([]string, 0, len(items))
	for _, v := range items {
		ids = append(ids, view.Str(v.CustomerId))
	}
	names := customerNames(r.Ctx(), r, ids)
	for _, v := range items {
		if view.Str(v.Status) == "cancelled" {
			continue
		}
		vv := Visit{View: v, Customer: names[view.Str(v.CustomerId)]}
		switch view.Str(v.Day) {
		case today:
			data.Today = append(data.Today, vv)
		case tomorrow:
			data.Tomorrow = append(data.Tomorrow, vv)
		}
	}
	data.TodayLabel, data.TomorrowLabel = x.Weekday(todayStart)+" "+today, x.Weekday(tomorrowStart)+" "+tomorrow
	return nil
}

// loadLeads reads the user's new leads (assigned, not contacted yet).
func (h *handler) loadLeads(r *console.Request, data *pageData) error {
	state, limit := salesapi.GetLeadsParamsState("new"), maxLeads
	res, err := r.API.Sales.GetLeadsWithResponse(r.Ctx(), &salesapi.GetLeadsParams{State: &state, OwnerId: &r.User.Subject, Limit: &limit})
	if err := apis.Check(res, err); err != nil {
		return err
	}
	if res.JSON200 != nil && res.JSON200.Items != nil {
		for _, l := range *res.JSON200.Items {
			data.Leads = append(data.Leads, Lead{LeadView: l})
		}
	}
	return nil
}

// customerNames looks up the names of customers (one call each, a few at
// a time); one that cannot be read keeps no name and the page shows its id.
func customerNames(ctx context.Context, r *console.Request, ids []string) map[string]string {
	out := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := r.API.Customer.GetCustomersByIdWithResponse(ctx, id)
			if apis.Check(res, err) != nil || res.JSON200 == nil {
				return
			}
			mu.Lock()
			out[id] = view.Str(res.JSON200.Name)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// Clock is t's time of day in the user's time zone.
func (d *pageData) Clock(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(d.TZ).Format("15:04")
}

// Named is value's name from the catalogue under prefix, or value itself.
func (d *pageData) Named(prefix, value string) string {
	if s := d.T(prefix + value); s != prefix+value {
		return s
	}
	return value
}
