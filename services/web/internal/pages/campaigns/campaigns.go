// Package campaigns is the console's campaign pages, for marketers,
// marketing managers and analysts: the campaigns side by side (each with
// its groups, response rates, uplift and ROI), a campaign's page (its plan,
// the state changes its state and the viewer's part allow, the segment as
// it is now, the evaluation against the holdout, the costs and the
// enrolled customers), the form that plans and edits a draft, and the
// win-back candidates, who are enrolled by hand or recorded as opted out.
//
// Everything comes from the marketing service, called as the signed-in
// user, so that service decides who sees campaigns (its marketing teams,
// analysts and admins: anyone else gets an empty list, and a campaign's
// page "no such page") and who may change them. The console does not know
// which teams are marketing's, so the navigation entry is every role's and
// the empty list says whom campaigns are for. On a campaign's page the
// forms are offered by the service's rules on what the session knows (the
// campaign's team and owner against the user's roles, teams and id:
// Writes, Approves, Runs), so a refusal is the exception; when one comes
// anyway (a campaign changed meanwhile, a segment that matches nobody, an
// end date that has passed) it is shown at its form, in the user's
// language, with what they typed.
//
// The shapes follow the notices pages (pages/notices), which this package
// copies on purpose rather than sharing code with: the two answer to
// different services and change separately.
//
// Files: campaigns.go the list and what the pages share, figures.go the
// figures as people read them, campaign.go the campaign's page and its
// forms, segment.go the segment in words and its preview, form.go the
// planning form, winback.go the win-back candidates.
package campaigns

import (
	"embed"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/marketingapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

//go:embed locales
var locales embed.FS

//go:embed templates
var templates embed.FS

// A campaign's states and types, and its channels (the service's).
var (
	States   = []string{"draft", "approved", "running", "completed", "cancelled"}
	Types    = []string{"winback", "cross_sell", "event", "visit_drive", "mailing", "other"}
	Channels = []string{"email", "phone_call", "visit", "event"}
)

// The customer vocabularies a segment filters on (the customer service's).
var (
	ValueClasses       = []string{"A", "B", "C"}
	LifecycleStages    = []string{"lead", "prospect", "transacting", "service", "lost"}
	RelationshipStages = []string{"exploration", "formation", "stability", "decline"}
)

// An enrolment's groups and states, which the enrolments are filtered by.
var (
	Groups          = []string{"treated", "holdout"}
	EnrolmentStates = []string{"active", "ended"}
)

const pageSize = 50

// Mount adds /campaigns (the list), /campaigns/new and its post (POST
// /campaigns), /campaigns/winback/candidates with the posts of its forms,
// and /campaigns/{id} with its segment preview, its edit form and the posts
// of its forms (approve, launch, complete, cancel: the API's routes; costs;
// opt-out).
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("campaigns", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		list:    d.View.Page(templates, "templates/list.html", "templates/parts.html"),
		form:    d.View.Page(templates, "templates/form.html", "templates/parts.html"),
		detail:  d.View.Page(templates, "templates/campaign.html", "templates/parts.html"),
		preview: d.View.Page(templates, "templates/preview.html", "templates/parts.html"),
		winback: d.View.Page(templates, "templates/candidates.html", "templates/parts.html"),
	}
	read := func(hf gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesCampaigns...), hf) }
	write := func(hf gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesWriteCampaigns...), hf) }
	e.GET("/campaigns", read(h.index)...)
	e.GET("/campaigns/new", write(h.newForm)...)
	e.POST("/campaigns", write(h.create)...)
	e.GET("/campaigns/winback/candidates", read(h.candidates)...)
	e.POST("/campaigns/winback/enrol", write(h.enrol)...)
	e.POST("/campaigns/winback/opt-out", write(h.candidateOptOut)...)
	e.GET("/campaigns/:id", read(h.show)...)
	e.GET("/campaigns/:id/preview", read(h.showPreview)...)
	e.GET("/campaigns/:id/edit", write(h.editForm)...)
	e.POST("/campaigns/:id/edit", write(h.edit)...)
	for _, f := range []string{FormRequestApproval, FormApprove, FormLaunch, FormComplete, FormCancel} {
		e.POST("/campaigns/:id/"+f, write(h.move(f))...)
	}
	e.POST("/campaigns/:id/costs", write(h.addCost)...)
	e.POST("/campaigns/:id/opt-out", write(h.optOut)...)
	return nil
}

type handler struct {
	d                                    *console.Deps
	list, form, detail, preview, winback *view.Page
}

// Row is one campaign of the list with its key figures.
type Row struct {
	ID, Name, Type, State, StartsOn, EndsOn string
	Eval                                    Eval
	// Launched: the campaign has enrolled customers (its figures mean something).
	Launched bool
}

type listData struct {
	Ctx
	States, Types []string
	State, Type   string
	Rows          []Row
	Next          string
	// Plans: the user may plan campaigns (the link to the form): their roles
	// (the console's guard) and the service's can_plan (a marketing team's
	// member, or an admin).
	Plans bool
}

func (h *handler) index(c *gin.Context) {
	r := h.d.Req(c)
	x := r.X
	x.Title = x.T("campaigns.list.title")
	d := &listData{Ctx: Ctx{x}, States: States, Types: Types, State: pick(States, x.Q("state")), Type: pick(Types, x.Q("type")),
		Plans: x.Has(view.RolesWriteCampaigns...)}
	params := &marketingapi.GetCampaignsParams{Limit: ptr(pageSize), Cursor: opt(x.Q("cursor"))}
	if d.State != "" {
		params.State = ptr(marketingapi.GetCampaignsParamsState(d.State))
	}
	if d.Type != "" {
		params.Type = ptr(marketingapi.GetCampaignsParamsType(d.Type))
	}
	res, err := r.API.Marketing.GetCampaignsWithResponse(r.Ctx(), params)
	if err := apis.Check(res, err); err != nil {
		h.d.Fail(r, err)
		return
	}
	for _, it := range deref(res.JSON200.Items) {
		d.Rows = append(d.Rows, Row{ID: str(it.Id), Name: str(it.Name), Type: str(it.Type), State: str(it.State),
			StartsOn: str(it.StartsOn), EndsOn: str(it.EndsOn), Eval: evalOf(deref(it.Figures)), Launched: it.LaunchedAt != nil})
	}
	if next := str(res.JSON200.NextCursor); next != "" {
		d.Next = x.PageURL(next)
	}
	d.Plans = d.Plans && res.JSON200.CanPlan != nil && *res.JSON200.CanPlan
	h.list.Render(c, http.StatusOK, d)
}

// Filtered reports whether the list is filtered (its empty answer then says
// so, not that there are no campaigns).
func (d *listData) Filtered() bool { return d.State != "" || d.Type != "" }

// problem is what the user reads of a refusal: ProblemOf, with this page's
// wording of the service's codes (campaigns.error.<code>) and of field codes
// — campaigns.field.<field>.<code> for a field of its own (without its
// index: channels[1] reads as channels), else campaigns.field.<code> —
// where the catalogue has it, else the service's words.
func problem(x *view.Ctx, err error) *view.Problem {
	p := x.ProblemOf(err)
	if m := x.T("campaigns.error." + p.Code); m != "campaigns.error."+p.Code {
		p.Message = m
	}
	var e *apperr.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			for _, id := range []string{"campaigns.field." + baseField(f.Field) + "." + f.Code, "campaigns.field." + f.Code} {
				if m := x.T(id); m != id {
					p.Fields[f.Field] = m
					break
				}
			}
		}
	}
	return p
}

var indexRE = regexp.MustCompile(`\[\d+\]$`)

// readProblem is what the user reads of a part of a page that did not load
// (the console's words for a service that did not answer: nothing was
// sent, so nothing is to send again).
func readProblem(x *view.Ctx, err error) *view.Problem { return x.ProblemOf(err) }

// baseField is a field error's field without its list index.
func baseField(f string) string { return indexRE.ReplaceAllString(f, "") }

// signedOut reports whether err ends the session (the page cannot show a form).
func signedOut(err error) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Kind == apperr.KindUnauthenticated
}

// gone reports whether err says the campaign is out of the user's sight (or
// does not exist): there is no page to show a form on.
func gone(err error) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Kind == apperr.KindNotFound
}

// campaignURL is the campaign's page, with a done=… notice when done is not
// "", at anchor (none when "").
func campaignURL(id, done, anchor string) string {
	u := "/campaigns/" + url.PathEscape(id)
	if done != "" {
		u += "?done=" + url.QueryEscape(done)
	}
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}

// postForm reads the posted form; a form that cannot be read fails the page.
func (h *handler) postForm(r *console.Request) (url.Values, bool) {
	if err := r.C.Request.ParseForm(); err != nil {
		h.d.Fail(r, apperr.Invalid("invalid_form", "the form could not be read"))
		return nil, false
	}
	return r.C.Request.PostForm, true
}

// orID is the message id in the user's language, else fallback.
func orID(x *view.Ctx, id, fallback string) string {
	if m := x.T(id); m != id {
		return m
	}
	return fallback
}

func pick(list []string, v string) string {
	if slices.Contains(list, v) {
		return v
	}
	return ""
}

func str(p *string) string { return deref(p) }

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return
}

func ptr[T any](v T) *T { return &v }

// opt is nil for "", so the parameter or field is left out.
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
