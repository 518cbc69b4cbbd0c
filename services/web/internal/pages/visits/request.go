package visits

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// requestForm is the visit request form as the user filled it in.
type requestForm struct {
	CustomerID, Day, Department, Purpose, StartTime, Duration string
	Join, Override                                            bool
}

// defaultForm is an empty request: tomorrow, the sales department, for
// customer (when a link named one).
func defaultForm(r *console.Request, customer string) requestForm {
	return requestForm{CustomerID: strings.TrimSpace(customer), Department: "sales",
		Day: today(r.X.Now(), r.X.TZ).AddDate(0, 0, 1).Format(dayLayout)}
}

func formFrom(c *gin.Context) requestForm {
	return requestForm{
		CustomerID: strings.TrimSpace(c.PostForm("customer_id")), Day: strings.TrimSpace(c.PostForm("day")),
		Department: c.PostForm("department"), Purpose: strings.TrimSpace(c.PostForm("purpose")),
		StartTime: strings.TrimSpace(c.PostForm("start_time")), Duration: strings.TrimSpace(c.PostForm("duration_minutes")),
		Join: c.PostForm("join") != "", Override: c.PostForm("allow_non_working_day") != "",
	}
}

// body is the API request the form asks for; ok is false when the
// duration is not a whole number (the API takes a number).
func (f requestForm) body() (b customerapi.RequestBody, ok bool) {
	b = customerapi.RequestBody{Day: &f.Day, Department: &f.Department, Purpose: &f.Purpose, Join: &f.Join}
	if f.StartTime != "" {
		b.StartTime = &f.StartTime
	}
	if f.Duration != "" {
		n, err := strconv.Atoi(f.Duration)
		if err != nil {
			return b, false
		}
		b.DurationMinutes = &n
	}
	if f.Override {
		b.AllowNonWorkingDay = &f.Override
	}
	return b, true
}

// fieldProblem is a form's own refusal of one field, before any call:
// the message msgID next to the field.
func fieldProblem(x *view.Ctx, field, msgID string) *view.Problem {
	return &view.Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: x.T("visits.err.form"),
		Fields: map[string]string{field: x.T(msgID)}}
}

// outcome is the answer to a request, as the page says it.
type outcome struct {
	Kind    string // booked, joined, offered; repeat answers are booked or joined with Repeat
	Repeat  bool
	Message string
	VisitID string
	// Offered: the day offered, and the request again for that day (and,
	// to join instead, for the day asked).
	OfferedDay   string
	OfferedLabel string
	BookOffered  requestForm
	JoinInstead  requestForm
	JoinLabel    string
}

// answerOf reads the API's answer to a request or a move (201 booked; 200
// joined, offered or a repeat).
func answerOf(status int, body []byte) (customerapi.Answer, error) {
	var a customerapi.Answer
	if status != http.StatusOK && status != http.StatusCreated {
		return a, apis.Problem(status, body)
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return a, apperr.Unavailable("service_unavailable", "the customer service answered something the console cannot read").Wrap(err)
	}
	return a, nil
}

// describe says what an answer means: "Booked for Tue 8 Dec at 10:00",
// "Joined the sales visit on …", "That day is taken by service; offered Wed
// 9 Dec — book it?".
func describe(x *view.Ctx, a customerapi.Answer, asked requestForm) *outcome {
	v := a.Visit
	o := &outcome{Kind: view.Str(a.Outcome), Repeat: a.Repeat != nil && *a.Repeat}
	var day, at, dept, by string
	if v != nil {
		o.VisitID = view.Str(v.Id)
		day, at = dayLabelOf(x, view.Str(v.Day)), clock(x, v.StartAt)
		dept, by = x.T("visits.dept."+view.Str(v.Department)), view.Str(v.BookedBy)
	}
	switch {
	case o.Kind == "booked" && o.Repeat:
		o.Message = x.T("visits.outcome.repeat_booker", "Day", day, "Time", at)
	case o.Kind == "booked":
		o.Message = x.T("visits.outcome.booked", "Day", day, "Time", at)
	case o.Kind == "joined" && o.Repeat:
		o.Message = x.T("visits.outcome.repeat_joined", "Day", day, "Time", at, "By", by)
	case o.Kind == "joined":
		o.Message = x.T("visits.outcome.joined", "Dept", dept, "Day", day, "Time", at, "By", by)
	case o.Kind == "offered":
		o.OfferedDay = view.Str(a.OfferedDay)
		o.OfferedLabel = dayLabelOf(x, o.OfferedDay)
		o.Message = x.T("visits.outcome.offered", "Dept", dept, "Day", day, "Offered", o.OfferedLabel)
		o.BookOffered = asked
		o.BookOffered.Day, o.BookOffered.Join = o.OfferedDay, false
		o.JoinInstead = asked
		o.JoinInstead.Join = true
		o.JoinLabel = x.T("visits.join_instead", "Dept", dept, "Day", day)
	default:
		o.Message = view.Str(a.Message)
	}
	return o
}

// request sends the form to POST /v1/customers/{id}/visits and shows the
// answer: in place (htmx) or on the week of the day it concerns.
func (h *handler) request(c *gin.Context) {
	r := h.d.Req(c)
	f := formFrom(c)
	o, status, problem := h.send(r, f)
	if r.X.HX {
		data := &weekData{Ctx: r.X, Departments: Departments, Form: f, Result: o, MayOverride: r.X.Has("manager", "admin")}
		if problem != nil {
			data.FormProblem = problem
		} else {
			// The week on the page shows the new visit (week.html listens).
			c.Header("HX-Trigger", "visits-changed")
		}
		if err := h.loadCustomers(r, data, ""); err != nil && data.FormProblem == nil {
			data.FormProblem = r.X.ProblemOf(err)
		}
		h.week.Partial(c, status, "request", data)
		return
	}
	day, ok := parseDay(f.Day)
	if o != nil && o.OfferedDay != "" {
		day, ok = parseDay(o.OfferedDay)
	}
	if !ok {
		day = today(r.X.Now(), r.X.TZ)
	}
	data, err := h.loadWeek(r, weekStart(day), Filter{})
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	data.Form, data.Result, data.FormProblem = f, o, problem
	if err := h.loadCustomers(r, data, ""); err != nil {
		h.d.Fail(r, err)
		return
	}
	h.week.Render(c, status, data)
}

// send asks for the visit; a refusal comes back as the problem to show
// with the form, with its status.
func (h *handler) send(r *console.Request, f requestForm) (*outcome, int, *view.Problem) {
	if f.CustomerID == "" {
		p := fieldProblem(r.X, "customer_id", "visits.err.customer_required")
		return nil, p.Status, p
	}
	body, ok := f.body()
	if !ok {
		p := fieldProblem(r.X, "duration_minutes", "visits.err.duration_number")
		return nil, p.Status, p
	}
	res, err := r.API.Customer.PostCustomersByIdVisitsWithResponse(r.Ctx(), f.CustomerID, body)
	if err == nil {
		var a customerapi.Answer
		if a, err = answerOf(res.StatusCode(), res.Body); err == nil {
			return describe(r.X, a, f), res.StatusCode(), nil
		}
	} else {
		err = apis.Check(res, err)
	}
	p := r.X.ProblemOf(err)
	if p.Status >= 500 {
		h.d.Log.ErrorContext(r.C, "a visit request failed", "error", err)
	}
	return nil, p.Status, p
}

// mondayOf is the Monday of day's week (YYYY-MM-DD), for links to a week.
func mondayOf(day string) string {
	d, ok := parseDay(day)
	if !ok {
		return ""
	}
	return weekStart(d).Format(dayLayout)
}
