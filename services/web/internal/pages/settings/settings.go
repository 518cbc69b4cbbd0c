// Package settings is the page where everyone chooses how they are told of
// their follow-ups' steps: the follow-up service's notification preferences
// (docs/api/followup.md, "Your notification preferences"), edited in a form.
// The service judges every value; the page shows its refusals next to their
// fields and keeps what was typed.
package settings

import (
	"embed"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed templates
var templates embed.FS

//go:embed locales
var locales embed.FS

// Path is the page's address.
const Path = "/settings/notifications"

// Kinds are the event kinds, in the order the form lists them.
var Kinds = []string{"reminder", "escalation", "handover", "winback", "campaign"}

// roles: everyone signed in has preferences.
var roles = []string{"rep", "manager", "analyst", "admin"}

// Languages are the languages messages are written in.
var Languages = []string{"en", "zh-Hans"}

// Mount adds the page and its form's post, for every signed-in role.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("settings", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d, page: d.View.Page(templates, "templates/settings.html")}
	guard := d.Guard(roles...)
	e.GET(Path, append(guard, h.show)...)
	e.POST(Path, append(guard, h.save)...)
	return nil
}

type handler struct {
	d    *console.Deps
	page *view.Page
}

// Form is the form's values as strings, as typed.
type Form struct {
	Language, TimeZone, Email string
	Kinds                     map[string]bool
	Quiet                     bool
	QuietFrom, QuietTo        string
	Digest                    bool
	DigestHour                string
}

type pageData struct {
	*view.Ctx
	Form      Form
	Default   bool
	Saved     bool
	Kinds     []string
	Languages []string
	Hours     []int
	Problem   *view.Problem
}

func (h *handler) data(r *console.Request, f Form) *pageData {
	hours := make([]int, 24)
	for i := range hours {
		hours[i] = i
	}
	r.X.Title = r.X.T("settings.title")
	return &pageData{Ctx: r.X, Form: f, Kinds: Kinds, Languages: Languages, Hours: hours}
}

func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	res, err := r.API.FollowUp.GetMeNotificationPreferencesWithResponse(r.Ctx())
	if err := apis.Check(res, err); err != nil {
		h.d.Fail(r, err)
		return
	}
	d := h.data(r, formOf(res.JSON200))
	d.Default = res.JSON200 != nil && res.JSON200.Default != nil && *res.JSON200.Default
	d.Saved = c.Query("saved") == "1"
	h.page.Render(c, http.StatusOK, d)
}

func (h *handler) save(c *gin.Context) {
	r := h.d.Req(c)
	f := Form{Language: c.PostForm("language"), TimeZone: strings.TrimSpace(c.PostForm("time_zone")), Email: strings.TrimSpace(c.PostForm("email")),
		Kinds: map[string]bool{}, Quiet: c.PostForm("quiet") == "on", QuietFrom: c.PostForm("quiet_from"), QuietTo: c.PostForm("quiet_to"),
		Digest: c.PostForm("digest") == "on", DigestHour: c.PostForm("digest_hour")}
	for _, k := range c.PostFormArray("kind") {
		if slices.Contains(Kinds, k) {
			f.Kinds[k] = true
		}
	}
	body := followupapi.PreferencesView{Language: &f.Language, TimeZone: &f.TimeZone, Email: &f.Email}
	kinds := []string{}
	for _, k := range Kinds {
		if f.Kinds[k] {
			kinds = append(kinds, k)
		}
	}
	body.EmailKinds = &kinds
	if f.Quiet {
		body.QuietHours = &followupapi.QuietHours{From: &f.QuietFrom, To: &f.QuietTo}
	}
	if f.Digest {
		n, err := strconv.Atoi(f.DigestHour)
		if err != nil {
			n = -1 // the service names the field
		}
		body.DigestHour = &n
	}
	res, err := r.API.FollowUp.PutMeNotificationPreferencesWithResponse(r.Ctx(), body)
	if err := apis.Check(res, err); err != nil {
		p := r.X.ProblemOf(err)
		if p.Status >= 500 || p.Status == http.StatusUnauthorized {
			h.d.Fail(r, err)
			return
		}
		d := h.data(r, f)
		d.Problem = p
		h.page.Render(c, p.Status, d)
		return
	}
	c.Redirect(http.StatusSeeOther, Path+"?saved=1")
}

// formOf is the form filled with the service's preferences.
func formOf(p *followupapi.PreferencesView) Form {
	f := Form{Kinds: map[string]bool{}}
	if p == nil {
		return f
	}
	f.Language, f.TimeZone, f.Email = view.Str(p.Language), view.Str(p.TimeZone), view.Str(p.Email)
	if p.EmailKinds != nil {
		for _, k := range *p.EmailKinds {
			f.Kinds[k] = true
		}
	}
	if q := p.QuietHours; q != nil {
		f.Quiet, f.QuietFrom, f.QuietTo = true, view.Str(q.From), view.Str(q.To)
	}
	if p.DigestHour != nil {
		f.Digest, f.DigestHour = true, strconv.Itoa(*p.DigestHour)
	}
	return f
}
