package webhooks

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// editData is one subscription's page: its facts, the form that changes
// it, switching it off or on, a new secret, and removal.
type editData struct {
	page
	Hook   Hook
	Form   Form
	Kinds  []string
	Max    int
	Notice string
	// Secret is a secret just made by a rotation (shown once).
	Secret *Secret
	// Refused is why the last post was not taken.
	Refused *view.Problem
}

// HookURL is the address of the subscription's page, or of one of its
// actions (action "" for the page).
func (page) HookURL(id, action string) string { return HookURL(id, action) }

// HookURL is the address of a subscription's page, or of one of its
// actions (action "" for the page).
func HookURL(id, action string) string {
	u := Path + "/" + url.PathEscape(id)
	if action != "" {
		u += "/" + action
	}
	return u
}

// hook reads one subscription; a refusal (not found) fails the request as
// a page.
func (h *handler) hook(r *console.Request, id string) (Hook, bool) {
	res, err := r.API.FollowUp.GetWebhooksByIdWithResponse(r.Ctx(), id)
	if err := apis.Check(res, err); err != nil {
		h.d.Fail(r, err)
		return Hook{}, false
	}
	if res.JSON200 == nil {
		h.d.Fail(r, apis.Problem(http.StatusNotFound, nil))
		return Hook{}, false
	}
	return hookOf(*res.JSON200), true
}

func (h *handler) editData(r *console.Request, hk Hook) *editData {
	r.X.Title = r.X.T("webhooks.edit.title", "URL", hk.Shown)
	f := Form{Description: hk.Description, Language: hk.Language, Kinds: map[string]bool{}}
	for _, k := range hk.Kinds {
		f.Kinds[k] = true
	}
	return &editData{page: page{r.X}, Hook: hk, Form: f, Kinds: Kinds, Max: MaxDescription}
}

func (h *handler) showEdit(c *gin.Context) {
	r := h.d.Req(c)
	hk, ok := h.hook(r, c.Param("id"))
	if !ok {
		return
	}
	h.edit.Render(c, http.StatusOK, h.editData(r, hk))
}

// refuse shows the subscription's page again with why a post was not
// taken (and the form as typed, when it was the form). A failure that is
// not about the request fails as every page does.
func (h *handler) refuse(r *console.Request, id string, f *Form, err error) {
	p := problemOf(r.X, err)
	if p.Status >= 500 || p.Status == http.StatusUnauthorized || p.Status == http.StatusForbidden || p.Status == http.StatusNotFound {
		h.d.Fail(r, err)
		return
	}
	hk, ok := h.hook(r, id)
	if !ok {
		return
	}
	data := h.editData(r, hk)
	if f != nil {
		data.Form = *f
	}
	data.Refused = p
	h.edit.Render(r.C, p.Status, data)
}

// save changes the URL (when a new one is typed: empty keeps it), the
// description and the kinds.
func (h *handler) save(c *gin.Context) {
	r := h.d.Req(c)
	id, f := c.Param("id"), formOf(c)
	body := followupapi.WebhookPatch{Description: &f.Description, Language: &f.Language, EventKinds: ptr(f.KindList())}
	if f.URL != "" {
		body.Url = &f.URL
	}
	res, err := r.API.FollowUp.PatchWebhooksByIdWithResponse(r.Ctx(), id, body)
	if err := apis.Check(res, err); err != nil {
		h.refuse(r, id, &f, err)
		return
	}
	c.Redirect(http.StatusSeeOther, Path+"?done=saved")
}

// switcher switches a subscription on again (its failures forgotten) or
// off.
func (h *handler) switcher(on bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := h.d.Req(c)
		id := c.Param("id")
		res, err := r.API.FollowUp.PatchWebhooksByIdWithResponse(r.Ctx(), id, followupapi.WebhookPatch{Enabled: &on})
		if err := apis.Check(res, err); err != nil {
			h.refuse(r, id, nil, err)
			return
		}
		done := "disabled"
		if on {
			done = "enabled"
		}
		c.Redirect(http.StatusSeeOther, Path+"?done="+done)
	}
}

// rotate gives the subscription a new secret and shows it, once, on the
// subscription's page, with until when the old one keeps signing.
func (h *handler) rotate(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	res, err := r.API.FollowUp.PostWebhooksByIdRotateSecretWithResponse(r.Ctx(), id, followupapi.WebhookRotateInput{})
	if err := apis.Check(res, err); err != nil {
		h.refuse(r, id, nil, err)
		return
	}
	if res.JSON200 == nil {
		h.d.Fail(r, apis.Problem(http.StatusBadGateway, nil))
		return
	}
	hk := hookOfSecret(*res.JSON200)
	data := h.editData(r, hk)
	data.Secret = &Secret{Hook: hk, Value: view.Str(res.JSON200.Secret), Rotated: true, PreviousUntil: r.X.DateTime(hk.PreviousUntil)}
	data.Notice = r.X.T("webhooks.done.rotated")
	h.edit.Render(c, http.StatusOK, data)
}

// askDelete is the confirmation a removal needs: what goes, and that
// nothing more is sent to it.
func (h *handler) askDelete(c *gin.Context) {
	r := h.d.Req(c)
	hk, ok := h.hook(r, c.Param("id"))
	if !ok {
		return
	}
	data := h.editData(r, hk)
	r.X.Title = r.X.T("webhooks.delete.title")
	h.confirm.Render(c, http.StatusOK, data)
}

func (h *handler) remove(c *gin.Context) {
	r := h.d.Req(c)
	res, err := r.API.FollowUp.DeleteWebhooksByIdWithResponse(r.Ctx(), c.Param("id"))
	if err := apis.Check(res, err); err != nil {
		h.d.Fail(r, err)
		return
	}
	c.Redirect(http.StatusSeeOther, Path+"?done=deleted")
}
