package slips

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/serviceapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// The slip page's forms, named by the change they ask for. A part's forms
// post to /slips/{id}/recipients/{n}/<form>, the slip's to
// /slips/{id}/<form> (add: /slips/{id}/recipients): the API's routes.
const (
	FormAcknowledge = infoslip.OpAcknowledge
	FormDone        = infoslip.OpDone
	FormReject      = infoslip.OpReject
	FormForward     = infoslip.OpForward
	FormRoute       = infoslip.OpRoute
	FormObject      = infoslip.OpObject
	FormReroute     = infoslip.OpReroute
	FormDismiss     = infoslip.OpDismiss
	FormAdd         = infoslip.OpAdd
	FormConfirm     = infoslip.OpConfirm
	FormWithdraw    = infoslip.OpWithdraw
)

// PartOps are the forms of one part, in the order the page shows them;
// SlipOps the forms of the whole slip.
var (
	PartOps = []string{FormAcknowledge, FormDone, FormReject, FormForward, FormRoute, FormObject, FormReroute, FormDismiss}
	SlipOps = []string{FormConfirm, FormAdd, FormWithdraw}
)

func opPath(op string) string {
	if op == FormAdd {
		return "recipients"
	}
	return op
}

// toFields are a recipient's inputs named "to" (forward, reroute) and
// "recipients[0]" (add).
var (
	toFields  = []string{"to", "to.kind", "to.department", "to.team", "to.user_id"}
	addFields = []string{"recipients", "recipients[0].kind", "recipients[0].department", "recipients[0].team", "recipients[0].user_id"}
)

// formFields are the fields each form shows; a refusal naming another
// field is said at the top of the form.
var formFields = map[string][]string{
	FormAcknowledge: {}, FormDone: {"note"}, FormReject: {"reason"}, FormForward: append([]string{"note"}, toFields...),
	FormRoute: {"user_id"}, FormObject: {"reason"}, FormReroute: append([]string{"reason"}, toFields...), FormDismiss: {"reason"},
	FormConfirm: {}, FormAdd: append([]string{"note"}, addFields...), FormWithdraw: {"reason"},
}

// Key names one form of the page: a part's forms by their part's number.
func Key(op string, n int) string {
	if n > 0 {
		return op + "-" + strconv.Itoa(n)
	}
	return op
}

// Action is a refused form as the user filled it.
type Action struct {
	Form    string // its Key
	Values  url.Values
	Problem *view.Problem
	// Idem is the form's idempotency key when a resend must reuse it (the
	// service did not say whether the change landed).
	Idem string
}

// Offers reports whether the page shows form op (of part n; 0 for the
// slip's own forms): the slip is open, its rules take the change now
// (infoslip.CheckCommand, what the workflow's validator runs), and the
// viewer is whom the service lets make it — the part's person for its own
// changes, a manager of the part's team to route it, who decides for the
// sender for the rest. The form just refused is always shown, so nothing
// typed is lost.
func (d *slipData) Offers(op string, n int) bool {
	if d.Act != nil && d.Act.Form == Key(op, n) {
		return true
	}
	if str(d.Slip.State) != infoslip.StateOpen {
		return false
	}
	cmd := infoslip.Command{Op: op, Recipient: int32(n), Text: "-"}
	if op == FormForward || op == FormReroute || op == FormAdd {
		cmd.Adds = 1
	}
	if infoslip.CheckCommand(d.rules(), cmd) != nil {
		return false
	}
	switch op {
	case FormAcknowledge, FormDone, FormReject, FormForward:
		p, ok := d.part(n)
		return ok && p.Mine
	case FormRoute:
		p, ok := d.part(n)
		return ok && Routes(d.Ctx, p.RecipientView)
	}
	return d.Decides
}

// Acts reports whether the page shows any form of part n.
func (d *slipData) Acts(n int) bool {
	return slices.ContainsFunc(PartOps, func(op string) bool { return d.Offers(op, n) })
}

// ActsOnParts reports whether the page shows a form of any part.
func (d *slipData) ActsOnParts() bool {
	return slices.ContainsFunc(d.Parts, func(p Part) bool { return d.Acts(p.N) })
}

// Key is the page's name of form op of part n (Key).
func (d *slipData) Key(op string, n int) string { return Key(op, n) }

// ActsOnSlip reports whether the page shows any of the slip's own forms.
func (d *slipData) ActsOnSlip() bool {
	return slices.ContainsFunc(SlipOps, func(op string) bool { return d.Offers(op, 0) })
}

// rules is the slip as the workflow's rules see it.
func (d *slipData) rules() infoslip.Slip {
	s := infoslip.Slip{State: str(d.Slip.State)}
	for _, p := range d.Parts {
		s.Recipients = append(s.Recipients, infoslip.Recipient{N: int32(p.N), Kind: str(p.Kind), State: str(p.State), UserID: str(p.UserId)})
	}
	return s
}

func (d *slipData) part(n int) (Part, bool) {
	i := slices.IndexFunc(d.Parts, func(p Part) bool { return p.N == n })
	if i < 0 {
		return Part{}, false
	}
	return d.Parts[i], true
}

// Val is what the user typed in field of form, else def.
func (d *slipData) Val(form, field, def string) string {
	if d.Act != nil && d.Act.Form == form {
		return d.Act.Values.Get(field)
	}
	return def
}

// Err is the refusal's message for field of form ("" when fine).
func (d *slipData) Err(form, field string) string {
	if d.Act == nil || d.Act.Form != form {
		return ""
	}
	return d.Act.Problem.Field(field)
}

// Refusal is the refusal of form said at its top: its message, and the
// messages of fields the form does not show.
func (d *slipData) Refusal(form string) *view.Problem {
	if d.Act == nil || d.Act.Form != form || d.Act.Problem == nil {
		return nil
	}
	op, _, _ := strings.Cut(form, "-")
	p := *d.Act.Problem
	p.Fields = nil
	for f, m := range d.Act.Problem.Fields {
		if !slices.Contains(formFields[op], f) {
			if p.Fields == nil {
				p.Fields = map[string]string{}
			}
			p.Fields[f] = m
		}
	}
	return &p
}

// IdemFor is form's idempotency key: a new one per render, or the refused
// form's when a resend must be recognised as the same change.
func (d *slipData) IdemFor(form string) string {
	if d.Act != nil && d.Act.Form == form && d.Act.Idem != "" {
		return d.Act.Idem
	}
	return d.Idem()
}

// To is the recipient inputs of form (forward, reroute: "to"; add:
// "recipients[0]"), as the user filled them when it was refused.
func (d *slipData) To(form, id string) RecipientFields {
	v, p := url.Values{}, (*view.Problem)(nil)
	if d.Act != nil && d.Act.Form == form {
		v, p = d.Act.Values, d.Act.Problem
	}
	if strings.HasPrefix(form, FormAdd) {
		return recipientFields("recipients[0]", id, d.T("slips.act.add.who"), v, p, "recipients")
	}
	return recipientFields("to", id, d.T("slips.act.to"), v, p, "to")
}

// change sends one form's change to the service: on success the browser
// goes to the slip page with a notice; a refusal shows the page again, as
// it is now, with the form as the user filled it and the refusal at it.
func (h *handler) change(op string) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := h.d.Req(c)
		if err := c.Request.ParseForm(); err != nil {
			h.d.Fail(r, apperr.Invalid("invalid_form", "the form could not be read"))
			return
		}
		v, id, n := c.Request.PostForm, c.Param("id"), 0
		if s := c.Param("n"); s != "" {
			var err error
			if n, err = strconv.Atoi(s); err != nil || n < 1 {
				h.d.Fail(r, apperr.NotFound("not_found", "no such part"))
				return
			}
		}
		err := sendChange(r, id, op, n, v)
		if err == nil {
			c.Redirect(http.StatusSeeOther, "/slips/"+url.PathEscape(id)+"?done="+op)
			return
		}
		var e *apperr.Error
		if signedOut(err) || (errors.As(err, &e) && e.Kind == apperr.KindNotFound) {
			h.d.Fail(r, err) // signed out, or the slip is gone from sight: no form to show
			return
		}
		act := &Action{Form: Key(op, n), Values: v, Problem: problem(r.X, err)}
		if act.Problem.Status >= 500 {
			act.Idem = v.Get("_idem")
			h.d.Log.WarnContext(c, "slips: a change was not answered", "slip", id, "form", act.Form, "error", err)
		}
		d, lerr := h.load(r, id)
		if lerr != nil {
			h.d.Fail(r, lerr)
			return
		}
		d.Act = act
		h.detail.Render(c, act.Problem.Status, d)
	}
}

// sendChange calls the service's route of op with what the user typed.
// Texts go as typed (the service says a required one is missing, with
// every other bad field at once).
func sendChange(r *console.Request, id, op string, n int, v url.Values) error {
	svc, ctx := r.API.Service, r.Ctx()
	var ver *int
	if x, err := strconv.Atoi(v.Get("version")); err == nil && x > 0 {
		ver = &x
	}
	text := func(k string) *string { return ptr(strings.TrimRight(v.Get(k), " \t\r\n")) }
	to := func() *serviceapi.RecipientRequest {
		if rq, ok := recipientOf(v, "to"); ok {
			return &rq
		}
		return nil
	}
	var (
		res any
		err error
	)
	switch op {
	case FormAcknowledge:
		res, err = svc.PostSlipsByIdRecipientsByNAcknowledgeWithResponse(ctx, id, n, nil, serviceapi.SlipNoteRequest{ExpectedVersion: ver})
	case FormDone:
		res, err = svc.PostSlipsByIdRecipientsByNDoneWithResponse(ctx, id, n, nil, serviceapi.SlipNoteRequest{Note: text("note"), ExpectedVersion: ver})
	case FormReject:
		res, err = svc.PostSlipsByIdRecipientsByNRejectWithResponse(ctx, id, n, nil, serviceapi.SlipReasonRequest{Reason: text("reason"), ExpectedVersion: ver})
	case FormForward:
		res, err = svc.PostSlipsByIdRecipientsByNForwardWithResponse(ctx, id, n, nil,
			serviceapi.SlipForwardRequest{To: to(), Note: text("note"), ExpectedVersion: ver})
	case FormRoute:
		res, err = svc.PostSlipsByIdRecipientsByNRouteWithResponse(ctx, id, n, nil,
			serviceapi.SlipRouteRequest{UserId: ptr(strings.TrimSpace(v.Get("user_id"))), ExpectedVersion: ver})
	case FormObject:
		res, err = svc.PostSlipsByIdRecipientsByNObjectWithResponse(ctx, id, n, nil, serviceapi.SlipReasonRequest{Reason: text("reason"), ExpectedVersion: ver})
	case FormReroute:
		// The API takes a re-route's reason as its note (and names it reason).
		res, err = svc.PostSlipsByIdRecipientsByNRerouteWithResponse(ctx, id, n, nil,
			serviceapi.SlipForwardRequest{To: to(), Note: text("reason"), ExpectedVersion: ver})
	case FormDismiss:
		res, err = svc.PostSlipsByIdRecipientsByNDismissWithResponse(ctx, id, n, nil, serviceapi.SlipReasonRequest{Reason: text("reason"), ExpectedVersion: ver})
	case FormAdd:
		body := serviceapi.SlipAddRequest{Recipients: &[]serviceapi.RecipientRequest{}, Note: text("note"), ExpectedVersion: ver}
		if rq, ok := recipientOf(v, "recipients[0]"); ok {
			*body.Recipients = append(*body.Recipients, rq)
		}
		res, err = svc.PostSlipsByIdRecipientsWithResponse(ctx, id, nil, body)
	case FormConfirm:
		res, err = svc.PostSlipsByIdConfirmWithResponse(ctx, id, nil, serviceapi.SlipNoteRequest{ExpectedVersion: ver})
	case FormWithdraw:
		res, err = svc.PostSlipsByIdWithdrawWithResponse(ctx, id, nil, serviceapi.SlipReasonRequest{Reason: text("reason"), ExpectedVersion: ver})
	default:
		return apperr.NotFound("not_found", "no such form")
	}
	return apis.Check(res, err)
}
