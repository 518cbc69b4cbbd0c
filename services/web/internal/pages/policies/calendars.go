package policies

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// TimePattern is the HTML pattern of a working-time field: "09:00" to
// "24:00" (the end of the day).
const TimePattern = `([01][0-9]|2[0-3]):[0-5][0-9]|24:00`

type calendarsData struct {
	*view.Ctx
	Items   []calendarView
	CanEdit bool
}

func (h *handler) listCalendars(c *gin.Context) {
	r := h.d.Req(c)
	var pg page[calendarView]
	if err := into(&pg)(r.API.FollowUp.GetCalendars(r.Ctx())); err != nil {
		h.d.Fail(r, err)
		return
	}
	slices.SortFunc(pg.Items, func(a, b calendarView) int { return strings.Compare(a.Name, b.Name) })
	r.X.Title = r.X.T("policies.cal.title")
	h.calendars.Render(c, http.StatusOK, calendarsData{Ctx: r.X, Items: pg.Items, CanEdit: r.X.Has(Editors...)})
}

// calendarData is the calendar page.
type calendarData struct {
	*view.Ctx
	C        calendarView
	Year     Year
	CanEdit  bool
	Form     *CalForm
	Audit    []auditEntry
	Notice   string
	Deadline *DeadlineForm
	// New is a calendar not stored yet: the form starts from a copy of
	// another (?copy=standard) and saving creates it.
	New bool
}

// DeadlineForm is the deadline calculator: its fields and its answer.
type DeadlineForm struct {
	From, Duration string
	Answer         *deadline
	Problem        *view.Problem
}

// DueThere is the answer in the calendar's own zone, with its offset.
func (f *DeadlineForm) DueThere() string {
	if f.Answer == nil {
		return ""
	}
	return f.Answer.Due.Format("2006-01-02 15:04 (UTC-07:00)")
}

// FromThere is the start in the calendar's own zone, with its offset.
func (f *DeadlineForm) FromThere() string {
	if f.Answer == nil {
		return ""
	}
	return f.Answer.From.Format("2006-01-02 15:04 (UTC-07:00)")
}

// Weekdays are the week's days, Monday first (month table columns).
func (d *calendarData) Weekdays() []string { return Weekdays }

// TimePattern is the working-time fields' HTML pattern.
func (d *calendarData) TimePattern() string { return TimePattern }

// DurationPattern is the calculator's duration pattern.
func (d *calendarData) DurationPattern() string { return DurationPattern }

// Err is the service's message for one field of the form ("" if none).
func (d *calendarData) Err(field string) string { return d.Problem.Field(field) }

// ErrUnder joins the messages of a field and of the fields inside it
// ("regions" collects "regions[1]"), for inputs that hold a list.
func (d *calendarData) ErrUnder(field string) string {
	if d.Problem == nil {
		return ""
	}
	var msgs []string
	for f, m := range d.Problem.Fields {
		if f == field || strings.HasPrefix(f, field+"[") || strings.HasPrefix(f, field+".") {
			msgs = append(msgs, m)
		}
	}
	slices.Sort(msgs)
	return strings.Join(msgs, " ")
}

// PrevYear and NextYear are the years the page links to.
func (d *calendarData) PrevYear() int { return d.Year.Year - 1 }
func (d *calendarData) NextYear() int { return d.Year.Year + 1 }

// LocalNow is now in the user's zone as a datetime-local value.
func (d *calendarData) LocalNow() string { return d.Now().In(d.TZ).Format("2006-01-02T15:04") }

func (h *handler) loadCalendar(r *console.Request, name string, form *CalForm) (*calendarData, error) {
	var cal calendarView
	if err := into(&cal)(r.API.FollowUp.GetCalendarsByName(r.Ctx(), name)); err != nil {
		return nil, err
	}
	var au page[auditEntry]
	if err := into(&au)(r.API.FollowUp.GetCalendarsByNameAudit(r.Ctx(), name)); err != nil {
		return nil, err
	}
	d := &calendarData{Ctx: r.X, C: cal, Year: YearOf(cal, yearParam(r.C.Query("year"), r.X.Now(), cal.TimeZone)),
		CanEdit: r.X.Has(Editors...), Audit: au.Items, Deadline: &DeadlineForm{From: r.X.Now().In(r.X.TZ).Format("2006-01-02T15:04"), Duration: "8h"}}
	if d.CanEdit {
		if form == nil {
			form = CalFormOf(cal)
		}
		d.Form = form
	}
	r.X.Title = r.X.T("policies.cal.page_title", "Name", cal.Name)
	return d, nil
}

func (h *handler) showCalendar(c *gin.Context) {
	r := h.d.Req(c)
	if c.Param("name") == "new" && c.Query("name") != "" {
		// The list's "new calendar" form.
		c.Redirect(http.StatusSeeOther, "/calendars/"+url.PathEscape(c.Query("name"))+"?"+url.Values{"copy": {c.Query("copy")}}.Encode())
		return
	}
	d, err := h.loadCalendar(r, c.Param("name"), nil)
	if copyOf := c.Query("copy"); err != nil && copyOf != "" && r.X.Has(Editors...) && r.X.ProblemOf(err).Status == http.StatusNotFound {
		d, err = h.newCalendar(r, c.Param("name"), copyOf)
	}
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if c.Query("done") == "saved" {
		d.Notice = r.X.T("policies.cal.saved", "Version", c.Query("v"))
	}
	h.calendar.Render(c, http.StatusOK, d)
}

// newCalendar is the page of a calendar about to be made from a copy of
// another one.
func (h *handler) newCalendar(r *console.Request, name, copyOf string) (*calendarData, error) {
	d, err := h.loadCalendar(r, copyOf, nil)
	if err != nil {
		return nil, err
	}
	d.New, d.Audit = true, nil
	d.C.Name, d.C.Version, d.C.Default, d.C.Regions, d.C.Teams = name, 0, false, nil, nil
	d.Form = CalFormOf(d.C)
	r.X.Title = r.X.T("policies.cal.new_title", "Name", name)
	return d, nil
}

// saveCalendar stores the form as the calendar's new version; a refusal
// shows the form again, as typed, with the service's field errors.
func (h *handler) saveCalendar(c *gin.Context) {
	r := h.d.Req(c)
	name := c.Param("name")
	form := CalFormFrom(c)
	var out calendarView
	err := into(&out)(r.API.FollowUp.PutCalendarsByNameWithBody(r.Ctx(), name, jsonType, jsonBody(form.Input())))
	if err == nil {
		q := url.Values{"done": {"saved"}, "v": {strconv.FormatInt(out.Version, 10)}}
		c.Redirect(http.StatusSeeOther, "/calendars/"+url.PathEscape(name)+"?"+q.Encode())
		return
	}
	prob := problem(r.X, err, "policies.cal.refused_write")
	d, lerr := h.loadCalendar(r, name, form)
	if lerr != nil {
		h.d.Fail(r, lerr)
		return
	}
	r.X.Problem = prob
	h.calendar.Render(c, prob.Status, d)
}

// deadline answers the calculator: from (a date and time in the user's
// zone) plus a business duration in this calendar. htmx swaps the answer;
// without script the page comes back with it.
func (h *handler) deadline(c *gin.Context) {
	r := h.d.Req(c)
	name := c.Param("name")
	f := &DeadlineForm{From: strings.TrimSpace(c.Query("from")), Duration: normDuration(c.Query("duration"))}
	from := f.From
	if t, err := time.ParseInLocation("2006-01-02T15:04", f.From, r.X.TZ); err == nil {
		from = t.Format(time.RFC3339)
	}
	var ans deadline
	err := into(&ans)(r.API.FollowUp.GetCalendarsByNameDeadline(r.Ctx(), name, &followupapi.GetCalendarsByNameDeadlineParams{From: &from, Duration: &f.Duration}))
	status := http.StatusOK
	if err != nil {
		f.Problem = r.X.ProblemOf(err)
		status = f.Problem.Status
		if f.Problem.Fields["from"] != "" {
			f.Problem.Fields["from"] = r.X.T("policies.cal.bad_from")
		}
	} else {
		f.Answer = &ans
	}
	if r.X.HX && c.GetHeader("HX-Target") == "calc" {
		h.calendar.Partial(c, status, "calc", &calendarData{Ctx: r.X, C: calendarView{Name: name}, Deadline: f})
		return
	}
	d, lerr := h.loadCalendar(r, name, nil)
	if lerr != nil {
		h.d.Fail(r, lerr)
		return
	}
	d.Deadline = f
	h.calendar.Render(c, status, d)
}

// AssignmentLabel says an audited assignment ("assignment.region:east")
// in words ("region east").
func (d *calendarData) AssignmentLabel(field string) string {
	scope, name, ok := strings.Cut(strings.TrimPrefix(field, "assignment."), ":")
	if !ok {
		return field
	}
	return d.T("policies.cal.scope."+scope, "Name", name)
}

// Dur says a business duration in words.
func (d *calendarData) Dur(s string) string { return Words{d.Ctx}.Duration(s, "business") }
