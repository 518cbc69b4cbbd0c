package policies

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis/followupapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

func diffParams(from, to int) *followupapi.GetPoliciesByNameDiffParams {
	return &followupapi.GetPoliciesByNameDiffParams{From: &from, To: &to}
}

// problem is a refused change as the user reads it. The service's 403 says
// only that the role may not do this; the page says who may.
func problem(x *view.Ctx, err error, refusedID string) *view.Problem {
	p := x.ProblemOf(err)
	if p != nil && p.Status == http.StatusForbidden {
		p.Message = x.T(refusedID, "Reason", p.Message)
	}
	return p
}

// formPolicy reads the policy a form was sent for and the form itself.
func (h *handler) formPolicy(r *console.Request) (policyView, *Editor, error) {
	var p policyView
	if err := into(&p)(r.API.FollowUp.GetPoliciesByName(r.Ctx(), r.C.Param("name"))); err != nil {
		return p, nil, err
	}
	var cals []string
	if r.X.Has(Editors...) {
		var err error
		if cals, err = h.calendarNames(r); err != nil {
			return p, nil, err
		}
	}
	return p, EditorFrom(r.C, p, cals), nil
}

// preview runs the dry-run of the value in the form: htmx swaps the editor
// (the form as typed, with the impact or the field errors); without script
// the whole page comes back the same way.
func (h *handler) preview(c *gin.Context) {
	r := h.d.Req(c)
	p, ed, err := h.formPolicy(r)
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	var out dryRun
	err = into(&out)(r.API.FollowUp.PostPoliciesByNameDryRunWithBody(r.Ctx(), p.Name, jsonType, jsonBody(proposal{Value: ed.Value()})))
	status := http.StatusOK
	d := &policyData{Ctx: r.X, W: Words{r.X}, P: p, CanEdit: r.X.Has(Editors...), Editor: ed}
	if err != nil {
		r.X.Problem = problem(r.X, err, "policies.refused_write")
		status = r.X.Problem.Status
	} else {
		d.Impact = &out
	}
	h.editorAnswer(c, r, d, status)
}

// editorAnswer answers a form post that stays on the form: the editor part
// for htmx, else the whole page around it.
func (h *handler) editorAnswer(c *gin.Context, r *console.Request, d *policyData, status int) {
	if r.X.HX && c.GetHeader("HX-Target") == "editor" {
		h.policy.Partial(c, status, "editor", d)
		return
	}
	full, err := h.load(r, d.P.Name, d.Editor)
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	full.Impact = d.Impact
	h.policy.Render(c, status, full)
}

// save stores the form's value as a new version, now or at the chosen
// date and time; a refusal keeps the form with the service's field errors.
func (h *handler) save(c *gin.Context) {
	r := h.d.Req(c)
	p, ed, err := h.formPolicy(r)
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	eff, perr := ed.Effective(r.X.TZ)
	if perr != nil {
		r.X.Problem = &view.Problem{Status: http.StatusUnprocessableEntity, Message: r.X.T("policies.bad_form"),
			Fields: map[string]string{"effective_from": r.X.T("policies.bad_effective_at")}}
		h.editorAnswer(c, r, &policyData{Ctx: r.X, P: p, Editor: ed}, http.StatusUnprocessableEntity)
		return
	}
	var v versionView
	err = into(&v)(r.API.FollowUp.PostPoliciesByNameVersionsWithBody(r.Ctx(), p.Name, jsonType,
		jsonBody(proposal{Value: ed.Value(), EffectiveFrom: eff, Reason: ed.Reason})))
	if err != nil {
		r.X.Problem = problem(r.X, err, "policies.refused_write")
		h.editorAnswer(c, r, &policyData{Ctx: r.X, P: p, Editor: ed}, r.X.Problem.Status)
		return
	}
	done := "saved"
	if v.Status == "scheduled" {
		done = "scheduled"
	}
	h.done(c, p.Name, done, v.Version)
}

// done sends the browser back to the policy page with a notice (a new page
// load, so a reload does not post again).
func (h *handler) done(c *gin.Context, name, done string, version int64) {
	q := url.Values{"done": {done}, "v": {strconv.FormatInt(version, 10)}}
	to := "/policies/" + url.PathEscape(name) + "?" + q.Encode()
	if c.GetHeader("HX-Request") == "true" {
		c.Header("HX-Redirect", to)
		c.Status(http.StatusNoContent)
		return
	}
	c.Redirect(http.StatusSeeOther, to)
}

// refused shows the policy page again with a refused action's problem.
// form names the form that was sent ("withdraw-3", "rollback"), so its
// field errors show in that form only.
func (h *handler) refused(c *gin.Context, r *console.Request, name, form string, err error) {
	prob := problem(r.X, err, "policies.refused_write")
	d, lerr := h.load(r, name, nil)
	if lerr != nil {
		h.d.Fail(r, lerr)
		return
	}
	r.X.Problem, d.Failed = prob, form
	h.policy.Render(c, prob.Status, d)
}

// withdraw takes back a scheduled version before it comes into force.
func (h *handler) withdraw(c *gin.Context) {
	r := h.d.Req(c)
	name := c.Param("name")
	v, err := strconv.Atoi(c.Param("version"))
	if err != nil {
		h.d.View.Message(c, r.User, http.StatusNotFound, "notfound.title", "")
		return
	}
	body := reasonRequest{Reason: strings.TrimSpace(c.PostForm("reason"))}
	if err := into(nil)(r.API.FollowUp.PostPoliciesByNameVersionsByVersionWithdrawWithBody(r.Ctx(), name, v, jsonType, jsonBody(body))); err != nil {
		h.refused(c, r, name, "withdraw-"+c.Param("version"), err)
		return
	}
	h.done(c, name, "withdrawn", int64(v))
}

// rollback brings an earlier version's value back as a new version in
// force now.
func (h *handler) rollback(c *gin.Context) {
	r := h.d.Req(c)
	name := c.Param("name")
	to, _ := strconv.ParseInt(c.PostForm("to_version"), 10, 64)
	body := rollbackRequest{ToVersion: to, Reason: strings.TrimSpace(c.PostForm("reason"))}
	var v versionView
	if err := into(&v)(r.API.FollowUp.PostPoliciesByNameRollbackWithBody(r.Ctx(), name, jsonType, jsonBody(body))); err != nil {
		h.refused(c, r, name, "rollback-"+c.PostForm("to_version"), err)
		return
	}
	h.done(c, name, "rolled_back", v.Version)
}
