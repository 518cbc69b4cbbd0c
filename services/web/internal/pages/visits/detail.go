package visits

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// detailData is one visit's page.
type detailData struct {
	*view.Ctx
	V        customerapi.View
	Customer string
	DayLabel string
	WeekURL  string
	// What the user may try now (the service decides again): log from the
	// start on, cancel and move before it.
	MayLog, MayChange bool
	// Form is the form a refusal concerns ("log", "cancel", "reschedule"),
	// with what the user typed.
	Form        string
	FormProblem *view.Problem
	Values      map[string]string
	Notice      string
	Result      *outcome
}

// Clock is t's time of day in the user's time zone.
func (d *detailData) Clock(t *time.Time) string { return clock(d.Ctx, t) }

// Named is value's name from the catalogue under prefix, or value itself
// when the catalogue has none (a kind newer than the console).
func (d *detailData) Named(prefix, value string) string {
	if s := d.T(prefix + value); s != prefix+value {
		return s
	}
	return value
}

// Label names a YYYY-MM-DD day briefly in the user's language.
func (d *detailData) Label(day string) string { return dayLabelOf(d.Ctx, day) }

// Val returns what the user typed into field of form (after a refusal).
func (d *detailData) Val(form, field string) string {
	if d.Form != form {
		return ""
	}
	return d.Values[field]
}

// Err is the refusal's message for field of form ("" when none).
func (d *detailData) Err(form, field string) string {
	if d.Form != form {
		return ""
	}
	return d.FormProblem.Field(field)
}

// notices are the messages a finished action leaves on the visit's page
// (?done=…).
var notices = map[string]string{"logged": "visits.notice.logged", "cancelled": "visits.notice.cancelled", "moved": "visits.notice.moved"}

func (h *handler) showVisit(c *gin.Context) {
	r := h.d.Req(c)
	data, err := h.loadVisit(r, c.Param("id"))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if id, ok := notices[c.Query("done")]; ok {
		data.Notice = r.X.T(id)
	}
	h.detail.Render(c, http.StatusOK, data)
}

func (h *handler) loadVisit(r *console.Request, id string) (*detailData, error) {
	res, err := r.API.Customer.GetVisitsByIdWithResponse(r.Ctx(), id)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	v := *res.JSON200
	names := lookupNames(r.Ctx(), r, []string{view.Str(v.CustomerId)})
	x := r.X
	data := &detailData{Ctx: x, V: v, Customer: names[view.Str(v.CustomerId)], DayLabel: dayLabelOf(x, view.Str(v.Day))}
	if data.Customer == "" {
		data.Customer = view.Str(v.CustomerId)
	}
	if m := mondayOf(view.Str(v.Day)); m != "" {
		data.WeekURL = "/visits?week=" + m
	}
	booked := view.Str(v.Status) == "booked"
	started := v.StartAt != nil && !v.StartAt.After(x.Now())
	data.MayLog = booked && started
	data.MayChange = booked && !started
	x.Title = x.T("visits.detail_title", "Customer", data.Customer, "Day", data.DayLabel)
	return data, nil
}

// refused shows the visit again with the refusal next to the form it
// concerns, and what the user typed.
func (h *handler) refused(r *console.Request, id, form string, err error) {
	data, lerr := h.loadVisit(r, id)
	if lerr != nil {
		h.d.Fail(r, lerr)
		return
	}
	data.FormProblem = r.X.ProblemOf(err)
	data.Form = form
	data.Values = map[string]string{}
	for k, v := range r.C.Request.PostForm {
		if len(v) > 0 && !strings.HasPrefix(k, "_") {
			data.Values[k] = v[0]
		}
	}
	h.detail.Render(r.C, data.FormProblem.Status, data)
}

func (h *handler) logVisit(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	s, o, n := strings.TrimSpace(c.PostForm("summary")), strings.TrimSpace(c.PostForm("outcome")), strings.TrimSpace(c.PostForm("next_step"))
	body := customerapi.LogBody{Summary: &s}
	if o != "" {
		body.Outcome = &o
	}
	if n != "" {
		body.NextStep = &n
	}
	res, err := r.API.Customer.PostVisitsByIdLogWithResponse(r.Ctx(), id, body)
	if err := apis.Check(res, err); err != nil {
		h.refused(r, id, "log", err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/visits/"+id+"?done=logged")
}

func (h *handler) cancelVisit(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	reason := strings.TrimSpace(c.PostForm("reason"))
	res, err := r.API.Customer.PostVisitsByIdCancelWithResponse(r.Ctx(), id, customerapi.CancelBody{Reason: &reason})
	if err := apis.Check(res, err); err != nil {
		h.refused(r, id, "cancel", err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/visits/"+id+"?done=cancelled")
}

// reschedule asks for another day for the visit: booked or joined there,
// the user goes to the visit on the new day; offered, the page says which
// day is free and nothing changed.
func (h *handler) reschedule(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	day, reason, start := strings.TrimSpace(c.PostForm("day")), strings.TrimSpace(c.PostForm("reason")), strings.TrimSpace(c.PostForm("start_time"))
	join := c.PostForm("join") != ""
	body := customerapi.RescheduleBody{Day: &day, Reason: &reason, Join: &join}
	if start != "" {
		body.StartTime = &start
	}
	if d := strings.TrimSpace(c.PostForm("duration_minutes")); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			data, lerr := h.loadVisit(r, id)
			if lerr != nil {
				h.d.Fail(r, lerr)
				return
			}
			data.FormProblem, data.Form = fieldProblem(r.X, "duration_minutes", "visits.err.duration_number"), "reschedule"
			data.Values = map[string]string{"day": day, "reason": reason, "start_time": start, "duration_minutes": d}
			h.detail.Render(c, data.FormProblem.Status, data)
			return
		}
		body.DurationMinutes = &n
	}
	res, err := r.API.Customer.PostVisitsByIdRescheduleWithResponse(r.Ctx(), id, body)
	if err == nil {
		var a customerapi.Answer
		a, err = answerOf(res.StatusCode(), res.Body)
		if err == nil {
			if view.Str(a.Outcome) != "offered" && a.Visit != nil {
				c.Redirect(http.StatusSeeOther, "/visits/"+view.Str(a.Visit.Id)+"?done=moved")
				return
			}
			data, lerr := h.loadVisit(r, id)
			if lerr != nil {
				h.d.Fail(r, lerr)
				return
			}
			data.Result = describe(r.X, a, requestForm{Day: day})
			data.Form = "reschedule"
			data.Values = map[string]string{"day": data.Result.OfferedDay, "reason": reason, "start_time": start}
			h.detail.Render(c, http.StatusOK, data)
			return
		}
	} else {
		err = apis.Check(res, err)
	}
	h.refused(r, id, "reschedule", err)
}
