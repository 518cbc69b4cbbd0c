// Package visits is the console's visit calendar: a week of the visits a
// department or a person takes part in (GET /v1/visits of the customer
// service), each visit's page with its participants, log and timeline, and
// the forms that request, log, cancel and move visits. Whether a request
// books the day, joins the visit already on it or is offered another day is
// the day's Visit workflow's decision; the page says which, in plain words,
// as soon as the API answers.
package visits

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed templates
var templates embed.FS

//go:embed locales
var locales embed.FS

// Departments that take part in visits, and the visit states (the API's
// values).
var (
	Departments = []string{"sales", "service", "marketing"}
	Statuses    = []string{"booked", "done", "cancelled"}
)

// customerChoices is how many customers the request form offers at once
// (a search narrows them).
const customerChoices = 100

// Mount adds /visits, /visits/{id} and the forms' posts.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("visits", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		week:   d.View.Page(templates, "templates/week.html", "templates/request.html"),
		detail: d.View.Page(templates, "templates/detail.html"),
	}
	guard := d.Guard(view.RolesVisits...)
	e.GET("/visits", append(guard, h.showWeek)...)
	e.POST("/visits/request", append(guard, h.request)...)
	e.GET("/visits/:id", append(guard, h.showVisit)...)
	e.POST("/visits/:id/log", append(guard, h.logVisit)...)
	e.POST("/visits/:id/cancel", append(guard, h.cancelVisit)...)
	e.POST("/visits/:id/reschedule", append(guard, h.reschedule)...)
	return nil
}

type handler struct {
	d            *console.Deps
	week, detail *view.Page
}

// Filter is whose visits the week shows.
type Filter struct {
	Department string // "" = every department
	Person     string // a user id; "" = everyone's in the user's scope
}

func filterFrom(c *gin.Context) Filter {
	f := Filter{Person: strings.TrimSpace(c.Query("person"))}
	if v := c.Query("department"); slices.Contains(Departments, v) {
		f.Department = v
	}
	if len(f.Person) > 200 {
		f.Person = ""
	}
	return f
}

// Day is one day of the week view.
type Day struct {
	Date   time.Time
	ISO    string
	Label  string
	Today  bool
	Visits []Visit
}

// Visit is a visit as the pages show it: the API's view and its customer's
// name.
type Visit struct {
	customerapi.View
	Customer string
}

type weekData struct {
	*view.Ctx
	Filter           Filter
	Departments      []string
	Days             []Day
	Start            string // the Monday, YYYY-MM-DD
	Prev, Next, This string // links
	Heading          string
	Truncated        bool
	Count            int
	Self             string // this week with this filter (the week refreshes itself from it)
	Form             requestForm
	FormProblem      *view.Problem // a refused request, shown with the form
	Result           *outcome
	Customers        []customerapi.CustomerView
	CustomerQuery    string
	MayOverride      bool
}

func (h *handler) showWeek(c *gin.Context) {
	r := h.d.Req(c)
	day, ok := parseDay(c.Query("week"))
	if !ok {
		day = today(r.X.Now(), r.X.TZ)
	}
	data, err := h.loadWeek(r, weekStart(day), filterFrom(c))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if r.X.HX && c.GetHeader("HX-Target") == "week" {
		h.week.Partial(c, http.StatusOK, "week", data)
		return
	}
	data.Form = defaultForm(r, c.Query("customer"))
	if err := h.loadCustomers(r, data, c.Query("cq")); err != nil {
		h.d.Fail(r, err)
		return
	}
	h.week.Render(c, http.StatusOK, data)
}

// loadWeek reads the week from monday on with the visits f selects.
func (h *handler) loadWeek(r *console.Request, monday time.Time, f Filter) (*weekData, error) {
	sunday := monday.AddDate(0, 0, 6)
	from, to := monday.Format(dayLayout), sunday.Format(dayLayout)
	p := &customerapi.GetVisitsParams{From: &from, To: &to}
	if f.Department != "" {
		d := customerapi.GetVisitsParamsDepartment(f.Department)
		p.Department = &d
	}
	if f.Person != "" {
		p.UserId = &f.Person
	}
	limit := 1000
	p.Limit = &limit
	res, err := r.API.Customer.GetVisitsWithResponse(r.Ctx(), p)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	var items []customerapi.View
	truncated := false
	if res.JSON200 != nil {
		if res.JSON200.Items != nil {
			items = *res.JSON200.Items
		}
		truncated = res.JSON200.Truncated != nil && *res.JSON200.Truncated
	}
	names := customerNames(r, items)
	x := r.X
	x.Title = x.T("visits.title")
	data := &weekData{Ctx: x, Filter: f, Departments: Departments, Start: from, Truncated: truncated, Count: len(items),
		MayOverride: x.Has("manager", "admin")}
	data.Heading = x.T("visits.week_of", "From", DayLabel(x, monday), "To", DayLabel(x, sunday))
	now := today(x.Now(), x.TZ)
	for i := range 7 {
		d := monday.AddDate(0, 0, i)
		data.Days = append(data.Days, Day{Date: d, ISO: d.Format(dayLayout), Label: DayLabel(x, d), Today: d.Equal(now)})
	}
	for _, v := range items {
		day, ok := parseDay(view.Str(v.Day))
		if !ok {
			continue
		}
		if i := int(day.Sub(monday).Hours() / 24); i >= 0 && i < 7 {
			data.Days[i].Visits = append(data.Days[i].Visits, Visit{View: v, Customer: names[view.Str(v.CustomerId)]})
		}
	}
	for i := range data.Days {
		sort.SliceStable(data.Days[i].Visits, func(a, b int) bool {
			sa, sb := data.Days[i].Visits[a].StartAt, data.Days[i].Visits[b].StartAt
			return sa != nil && sb != nil && sa.Before(*sb)
		})
	}
	data.Prev = weekURL(monday.AddDate(0, 0, -7), f)
	data.Next = weekURL(monday.AddDate(0, 0, 7), f)
	data.This = weekURL(weekStart(now), f)
	data.Self = weekURL(monday, f)
	return data, nil
}

// weekURL links the week from monday with filter f.
func weekURL(monday time.Time, f Filter) string {
	q := "week=" + monday.Format(dayLayout)
	if f.Department != "" {
		q += "&department=" + f.Department
	}
	if f.Person != "" {
		q += "&person=" + url.QueryEscape(f.Person)
	}
	return "/visits?" + q
}

// customerNames looks up the names of the visits' customers (one call per
// customer, a few at a time). A customer that cannot be read keeps no name;
// the page shows its id.
func customerNames(r *console.Request, items []customerapi.View) map[string]string {
	var ids []string
	seen := map[string]bool{}
	for _, v := range items {
		if id := view.Str(v.CustomerId); id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return lookupNames(r.Ctx(), r, ids)
}

func lookupNames(ctx context.Context, r *console.Request, ids []string) map[string]string {
	out := make(map[string]string, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, id := range ids {
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

// loadCustomers fills the request form's customer choices: the user's
// customers by name (those matching q when given), with the one the form
// names first when it is not among them.
func (h *handler) loadCustomers(r *console.Request, data *weekData, q string) error {
	q = strings.TrimSpace(q)
	limit, sortBy := customerChoices, customerapi.GetCustomersParamsSort("name")
	p := &customerapi.GetCustomersParams{Limit: &limit, Sort: &sortBy}
	if q != "" {
		p.Q = &q
	}
	res, err := r.API.Customer.GetCustomersWithResponse(r.Ctx(), p)
	if err := apis.Check(res, err); err != nil {
		return err
	}
	data.CustomerQuery = q
	if res.JSON200 != nil && res.JSON200.Items != nil {
		data.Customers = *res.JSON200.Items
	}
	if id := data.Form.CustomerID; id != "" && !slices.ContainsFunc(data.Customers, func(cv customerapi.CustomerView) bool { return view.Str(cv.Id) == id }) {
		one, err := r.API.Customer.GetCustomersByIdWithResponse(r.Ctx(), id)
		if apis.Check(one, err) == nil && one.JSON200 != nil {
			data.Customers = append([]customerapi.CustomerView{*one.JSON200}, data.Customers...)
		}
	}
	return nil
}

// FErr is the refused request's message for field ("" when none).
func (w *weekData) FErr(field string) string { return w.FormProblem.Field(field) }

// Clock is t's time of day in the user's time zone ("14:30").
func (w *weekData) Clock(t *time.Time) string { return clock(w.Ctx, t) }

func clock(x *view.Ctx, t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(x.TZ).Format("15:04")
}
