// Package policies is the analysts' console for timer policies and
// business calendars.
//
// /policies lists every policy in analysts' words with the value in force
// and any scheduled change; /policies/{name} shows one with its versions,
// differences and audit trail, and (for analysts and administrators) an
// editor whose "Preview impact" runs the follow-up service's dry-run and
// shows, per team, what the new value would do to the open follow-ups
// before anything is saved; the change is then applied now or scheduled,
// and a scheduled version can be withdrawn and an earlier one brought back.
// /calendars and /calendars/{name} show the business calendars as a year of
// month tables (holidays, make-up working days, days off), edit working
// hours, holidays and make-up days, and answer "when is N business hours
// after this moment?" on the same page.
//
// Managers read the same pages without the forms; every change is judged
// by the follow-up service (bounds, shapes, dates, the user's permission):
// the console checks nothing beyond what HTML attributes say and shows the
// service's field errors next to the fields.
package policies

import (
	"embed"
	"net/http"
	"slices"
	"sort"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed templates
var templates embed.FS

//go:embed locales
var locales embed.FS

// Editors are the roles whose changes the follow-up service accepts; the
// forms are shown to them only (the service still decides).
var Editors = []string{"analyst", "admin"}

// Mount adds /policies, /calendars and their parts and actions.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("policies", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		list:      d.View.Page(templates, "templates/list.html", "templates/parts.html"),
		policy:    d.View.Page(templates, "templates/policy.html", "templates/editor.html", "templates/parts.html"),
		calendars: d.View.Page(templates, "templates/calendars.html", "templates/parts.html"),
		calendar:  d.View.Page(templates, "templates/calendar.html", "templates/calform.html", "templates/parts.html"),
	}
	g := func(fn gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesPolicies...), fn) }
	e.GET("/policies", g(h.listPolicies)...)
	e.GET("/policies/:name", g(h.showPolicy)...)
	e.GET("/policies/:name/diff", g(h.diffPart)...)
	e.POST("/policies/:name/preview", g(h.preview)...)
	e.POST("/policies/:name/versions", g(h.save)...)
	e.POST("/policies/:name/versions/:version/withdraw", g(h.withdraw)...)
	e.POST("/policies/:name/rollback", g(h.rollback)...)
	e.GET("/calendars", g(h.listCalendars)...)
	e.GET("/calendars/:name", g(h.showCalendar)...)
	e.POST("/calendars/:name", g(h.saveCalendar)...)
	e.GET("/calendars/:name/deadline", g(h.deadline)...)
	return nil
}

type handler struct {
	d                                 *console.Deps
	list, policy, calendars, calendar *view.Page
}

// Group is the policies of one workflow.
type Group struct {
	Workflow string
	Items    []policyView
}

type listData struct {
	*view.Ctx
	W      Words
	Groups []Group
}

func (h *handler) listPolicies(c *gin.Context) {
	r := h.d.Req(c)
	var pg page[policyView]
	if err := into(&pg)(r.API.FollowUp.GetPolicies(r.Ctx())); err != nil {
		h.d.Fail(r, err)
		return
	}
	r.X.Title = r.X.T("policies.title")
	data := listData{Ctx: r.X, W: Words{r.X}}
	for _, p := range pg.Items {
		i := slices.IndexFunc(data.Groups, func(g Group) bool { return g.Workflow == p.Workflow })
		if i < 0 {
			data.Groups = append(data.Groups, Group{Workflow: p.Workflow})
			i = len(data.Groups) - 1
		}
		data.Groups[i].Items = append(data.Groups[i].Items, p)
	}
	h.list.Render(c, http.StatusOK, data)
}

// policyData is the policy page.
type policyData struct {
	*view.Ctx
	W        Words
	P        policyView
	CanEdit  bool
	Editor   *Editor
	Impact   *dryRun
	Versions []versionView // newest first
	Audit    []auditEntry
	Diff     *diffView
	Notice   string
	// Failed names the version form whose post was refused ("" for the
	// editor), so field errors show in that form only.
	Failed string
}

// Versions lists the version numbers for the compare form, oldest first.
func (d *policyData) Numbers() []int64 {
	out := make([]int64, 0, len(d.Versions))
	for _, v := range d.Versions {
		out = append(out, v.Version)
	}
	slices.Sort(out)
	return out
}

// load reads what the policy page shows; ed, when not nil, is the form as
// the user sent it (kept after a refusal or a preview).
func (h *handler) load(r *console.Request, name string, ed *Editor) (*policyData, error) {
	api := r.API.FollowUp
	var p policyView
	if err := into(&p)(api.GetPoliciesByName(r.Ctx(), name)); err != nil {
		return nil, err
	}
	var vs page[versionView]
	if err := into(&vs)(api.GetPoliciesByNameVersions(r.Ctx(), name)); err != nil {
		return nil, err
	}
	var au page[auditEntry]
	if err := into(&au)(api.GetPoliciesByNameAudit(r.Ctx(), name)); err != nil {
		return nil, err
	}
	sort.Slice(vs.Items, func(i, j int) bool { return vs.Items[i].Version > vs.Items[j].Version })
	d := &policyData{Ctx: r.X, W: Words{r.X}, P: p, CanEdit: r.X.Has(Editors...), Versions: vs.Items, Audit: au.Items}
	if d.CanEdit {
		if ed == nil {
			cals, err := h.calendarNames(r)
			if err != nil {
				return nil, err
			}
			ed = EditorOf(p, p.Active.Value, cals)
		}
		d.Editor = ed
	}
	r.X.Title = r.X.T("policies.policy_title", "Title", h.title(r.X, p))
	return d, nil
}

// title is the policy's title in the user's language (the service's words
// when the catalogue has none).
func (h *handler) title(x *view.Ctx, p policyView) string {
	if t := x.T("policies.name." + p.Name); t != "policies.name."+p.Name {
		return t
	}
	return p.Title
}

// calendarNames are the calendars a business-time value may name.
func (h *handler) calendarNames(r *console.Request) ([]string, error) {
	var pg page[calendarView]
	if err := into(&pg)(r.API.FollowUp.GetCalendars(r.Ctx())); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(pg.Items))
	for _, c := range pg.Items {
		out = append(out, c.Name)
	}
	slices.Sort(out)
	return out, nil
}

func (h *handler) showPolicy(c *gin.Context) {
	r := h.d.Req(c)
	name := c.Param("name")
	d, err := h.load(r, name, nil)
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if done := c.Query("done"); done != "" {
		if t := r.X.T("policies.done."+done, "Version", c.Query("v")); t != "policies.done."+done {
			d.Notice = t
		}
	}
	if from, to := c.Query("from"), c.Query("to"); from != "" && to != "" {
		d.Diff, r.X.Problem = h.diff(r, name, from, to)
	}
	h.policy.Render(c, http.StatusOK, d)
}

// diff compares two versions; a refusal becomes the page's problem.
func (h *handler) diff(r *console.Request, name, from, to string) (*diffView, *view.Problem) {
	f, err1 := strconv.Atoi(from)
	t, err2 := strconv.Atoi(to)
	if err1 != nil || err2 != nil {
		return nil, &view.Problem{Status: http.StatusBadRequest, Message: r.X.T("policies.diff_pick")}
	}
	var out diffView
	if err := into(&out)(r.API.FollowUp.GetPoliciesByNameDiff(r.Ctx(), name, diffParams(f, t))); err != nil {
		return nil, r.X.ProblemOf(err)
	}
	return &out, nil
}

func (h *handler) diffPart(c *gin.Context) {
	r := h.d.Req(c)
	name := c.Param("name")
	if !r.X.HX {
		c.Redirect(http.StatusSeeOther, "/policies/"+name+"?from="+c.Query("from")+"&to="+c.Query("to")+"#diff")
		return
	}
	d := &policyData{Ctx: r.X, W: Words{r.X}, P: policyView{Name: name}}
	d.Diff, r.X.Problem = h.diff(r, name, c.Query("from"), c.Query("to"))
	status := http.StatusOK
	if r.X.Problem != nil {
		status = r.X.Problem.Status
	}
	h.policy.Partial(c, status, "diff", d)
}

// DurationPattern is the duration fields' HTML pattern.
func (d *policyData) DurationPattern() string { return DurationPattern }

// Clocks are the clocks a duration is counted on.
func (d *policyData) Clocks() []string { return []string{"business", "calendar"} }

// LocalNow is now in the user's time zone, as a datetime-local value (the
// earliest a change can be scheduled for).
func (d *policyData) LocalNow() string { return d.Now().In(d.TZ).Format("2006-01-02T15:04") }

// ChangeFrom and ChangeTo say a previewed change's old value (of the
// version in force) and new value (the form's) in words.
func (d *policyData) ChangeFrom(c change) string {
	return d.W.ChangeIn(c.Field, c.From, d.Impact.Active.Value)
}
func (d *policyData) ChangeTo(c change) string { return d.W.ChangeIn(c.Field, c.To, d.Editor.Value()) }
