package customer360

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// stageOptions are the stages a customer in stage from may be sent to as
// far as the form goes: every other one. Which moves are allowed is the
// customer service's rule; a refused one is shown next to the field.
func stageOptions(from string) []string {
	var out []string
	for _, s := range Stages {
		if s != from {
			out = append(out, s)
		}
	}
	return out
}

// changeStage sends the lifecycle form to the customer service: done, back
// to the page; refused, the page again with the refusal next to its field.
func (h *handler) changeStage(c *gin.Context) {
	r := h.d.Req(c)
	id := c.Param("id")
	to, reason := c.PostForm("to"), c.PostForm("reason")
	res, err := r.API.Customer.PostCustomersByIdLifecycleWithResponse(r.Ctx(), id, customerapi.LifecycleRequest{To: &to, Reason: &reason})
	err = apis.Check(res, err)
	if err == nil {
		c.Redirect(http.StatusSeeOther, "/customers/"+url.PathEscape(id)+"?done=lifecycle")
		return
	}
	var e *apperr.Error
	if errors.As(err, &e) && (e.Kind == apperr.KindUnauthenticated || e.Kind == apperr.KindNotFound) {
		h.d.Fail(r, err)
		return
	}
	p := stageProblem(r.X, err)
	d, lerr := h.load(r, id, "")
	if lerr != nil {
		h.d.Fail(r, lerr)
		return
	}
	if d.StageForm == nil {
		d.StageForm = &stageForm{Options: stageOptions(view.Str(d.C.LifecycleStage))}
	}
	d.StageForm.To, d.StageForm.Reason, d.StageForm.Problem = to, reason, p
	r.X.Problem = p
	h.page.Render(c, p.Status, d)
}

// stageProblem is the lifecycle form's refusal: a move the stage table does
// not allow is said next to the stage field with the stages that are
// allowed; field messages in the user's language where the catalogue has
// them (customer360.field.<field>.<code>).
func stageProblem(x *view.Ctx, err error) *view.Problem {
	p := problem(x, err)
	if p.Fields == nil {
		p.Fields = map[string]string{}
	}
	var e *apperr.Error
	if !errors.As(err, &e) {
		return p
	}
	for _, f := range e.Fields {
		if m := x.T("customer360.field." + f.Field + "." + f.Code); m != "customer360.field."+f.Field+"."+f.Code {
			p.Fields[f.Field] = m
		}
	}
	if e.Code == "invalid_stage_transition" {
		var allowed []string
		if list, ok := e.Meta["allowed"].([]any); ok {
			for _, s := range list {
				if s, ok := s.(string); ok {
					allowed = append(allowed, x.T("stage."+s))
				}
			}
		}
		from, _ := e.Meta["from"].(string)
		p.Fields["to"] = x.T("customer360.field.to.not_allowed", "From", x.T("stage."+from), "Allowed", strings.Join(allowed, ", "))
	}
	return p
}
