// Package webhooks is the administrators' page of webhook subscriptions
// (/admin/webhooks): the URLs the follow-up service sends follow-up
// messages to, signed with each one's secret (docs/api/followup.openapi.json,
// tag webhooks). Admins list them, register one, change one, switch it off
// and on again, give it a new secret and remove it.
//
// Two rules shape the page. A secret is shown once, in the answer to the
// post that made it (registration or rotation), never behind an address a
// reload or the history could open again. And a URL is shown with its path
// and query elided after the host (Elide): chat tools put their tokens
// there, and a screen share or a screenshot of the list must not leak them;
// the edit form leaves the URL empty for the same reason (empty keeps it).
// Everything else — which URLs, kinds and secrets are acceptable — is the
// service's to judge; its refusals are shown next to their fields.
package webhooks

import (
	"embed"
	"net/http"
	"net/url"

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
const Path = "/admin/webhooks"

// Kinds are the event kinds a subscription can ask for, in the order the
// forms list them.
var Kinds = []string{"reminder", "escalation", "handover", "winback"}

// MaxDescription is the service's limit on a description, in characters.
const MaxDescription = 300

// Mount adds the list with its registration form, each subscription's
// edit page, and the posts that change them, for administrators.
func Mount(e *gin.Engine, d *console.Deps) error {
	if err := d.View.AddMessages("webhooks", locales, "locales"); err != nil {
		return err
	}
	h := &handler{d: d,
		list:    d.View.Page(templates, "templates/list.html", "templates/parts.html"),
		edit:    d.View.Page(templates, "templates/edit.html", "templates/parts.html"),
		confirm: d.View.Page(templates, "templates/delete.html", "templates/parts.html")}
	g := func(fn gin.HandlerFunc) gin.HandlersChain { return append(d.Guard(view.RolesAdmin...), fn) }
	e.GET(Path, g(h.show)...)
	e.POST(Path, g(h.create)...)
	e.GET(Path+"/:id", g(h.showEdit)...)
	e.POST(Path+"/:id", g(h.save)...)
	e.POST(Path+"/:id/enable", g(h.switcher(true))...)
	e.POST(Path+"/:id/disable", g(h.switcher(false))...)
	e.POST(Path+"/:id/rotate", g(h.rotate)...)
	e.GET(Path+"/:id/delete", g(h.askDelete)...)
	e.POST(Path+"/:id/delete", g(h.remove)...)
	return nil
}

type handler struct {
	d                   *console.Deps
	list, edit, confirm *view.Page
}

// listData is the list page: the subscriptions, the registration form and,
// once, a secret just made.
type listData struct {
	page
	Hooks  []Hook
	Form   Form
	Kinds  []string
	Max    int
	Notice string
	// Secret is the secret of a subscription just registered (shown once).
	Secret *Secret
	// Refused is why the registration form was not taken.
	Refused *view.Problem
}

// Secret is a signing secret shown the one time the service answers it.
type Secret struct {
	Hook  Hook
	Value string
	// Rotated: a new secret replacing one that keeps signing until
	// PreviousUntil.
	Rotated       bool
	PreviousUntil string
}

// notices are what a done= of the list's address says.
var notices = map[string]string{"saved": "webhooks.done.saved", "enabled": "webhooks.done.enabled",
	"disabled": "webhooks.done.disabled", "deleted": "webhooks.done.deleted"}

func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	data, err := h.load(r)
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if id, ok := notices[c.Query("done")]; ok {
		data.Notice = r.X.T(id)
	}
	h.list.Render(c, http.StatusOK, data)
}

// load reads every subscription for the list page.
func (h *handler) load(r *console.Request) (*listData, error) {
	r.X.Title = r.X.T("webhooks.title")
	res, err := r.API.FollowUp.GetWebhooksWithResponse(r.Ctx())
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	data := &listData{page: page{r.X}, Kinds: Kinds, Max: MaxDescription, Form: Form{Kinds: map[string]bool{}}}
	if res.JSON200 != nil && res.JSON200.Items != nil {
		for _, v := range *res.JSON200.Items {
			data.Hooks = append(data.Hooks, hookOf(v))
		}
	}
	return data, nil
}

// create registers a subscription. The answer is the list with the new
// secret shown once (never a redirect: the secret must not be behind an
// address); a refusal is the list with the form as typed and the
// service's reasons next to the fields.
func (h *handler) create(c *gin.Context) {
	r := h.d.Req(c)
	f := formOf(c)
	body := followupapi.WebhookInput{Url: &f.URL, Description: &f.Description, Language: &f.Language, EventKinds: ptr(f.KindList())}
	if secret := c.PostForm("secret"); secret != "" {
		body.Secret = &secret
	}
	res, err := r.API.FollowUp.PostWebhooksWithResponse(r.Ctx(), body)
	if err := apis.Check(res, err); err != nil {
		p := problemOf(r.X, err)
		if p.Status >= 500 || p.Status == http.StatusUnauthorized || p.Status == http.StatusForbidden {
			h.d.Fail(r, err)
			return
		}
		data, lerr := h.load(r)
		if lerr != nil {
			h.d.Fail(r, lerr)
			return
		}
		data.Form, data.Refused = f, p
		h.list.Render(c, p.Status, data)
		return
	}
	data, err := h.load(r)
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if v := res.JSON201; v != nil {
		data.Secret = &Secret{Hook: hookOfSecret(*v), Value: view.Str(v.Secret)}
		data.Notice = r.X.T("webhooks.done.created", "URL", data.Secret.Hook.Shown)
	}
	h.list.Render(c, http.StatusOK, data)
}

// Elide shows a webhook URL without what chat tools hide their tokens in:
// the scheme and host (with its port), and "/…" when a path or query
// follows. An address that does not parse shows as "…".
func Elide(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return "…"
	}
	s := u.Scheme + "://" + u.Host
	switch {
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Opaque != "":
		return s + "/…"
	case u.Path == "/":
		return s + "/"
	}
	return s
}

func ptr[T any](v T) *T { return &v }
