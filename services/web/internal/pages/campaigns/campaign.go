package campaigns

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/marketingapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The campaign page's forms: the state changes (named by the API's route
// each posts to), a cost entry and an opt-out.
const (
	// FormRequestApproval asks the team's marketing managers to approve
	// the draft (they are told in their inbox and by email).
	FormRequestApproval = "request-approval"
	FormApprove         = "approve"
	FormLaunch          = "launch"
	FormComplete        = "complete"
	FormCancel          = "cancel"
	FormCost            = "cost"
	FormOptOut          = "opt_out"
)

// Action is a refused form as the user filled it.
type Action struct {
	Form    string
	Values  url.Values
	Problem *view.Problem
}

// Enrolment is one customer of the campaign.
type Enrolment struct {
	CustomerID, Name, Group, State, Outcome, Source, ResponseKind, LeadID string
	EnrolledAt, LastTouchAt, RespondedAt, WonBackAt, EndedAt              *time.Time
	Touches, Leads, Opportunities, Won                                    int
	Revenue                                                               float64
}

// Cost is one cost entry.
type Cost struct {
	Amount        float64
	Note, SpentOn string
	By            string
	At            *time.Time
}

type campaignData struct {
	Ctx
	C           marketingapi.CampaignView
	ID, State   string
	SegmentText string
	Holdout     float64
	Version     int
	Newcomers   bool
	Done        string
	// Writes, Approves, Runs: what the viewer's part in the campaign lets
	// them do (Writes, Approves, Runs).
	Writes, Approves, Runs bool
	// The evaluation (once launched).
	Launched bool
	Eval     Eval
	// The costs and their total.
	Costs     []Cost
	CostTotal float64
	// A page of the enrolments filtered by group and state ("" all), the
	// next page.
	Enrolments      []Enrolment
	Group, EState   string
	Groups, EStates []string
	EnrolNext       string
	// Problems of the parts that did not load (the rest of the page shows).
	EvalProblem, CostsProblem, EnrolProblem *view.Problem
	// Act is the form whose change was refused, as the user filled it.
	Act *Action
	// Names are users' names by id, for managers and admins (who read the
	// user directory); others see ids.
	Names map[string]string
}

// EmailLines are the lines of the campaign's email body (none: it has no
// email), for the page to keep its line breaks.
func (d *campaignData) EmailLines() []string {
	b := emailBody(str(d.C.EmailBody))
	if b == "" {
		return nil
	}
	return strings.Split(b, "\n")
}

// Who is a user's name, else their id.
func (d *campaignData) Who(id string) string {
	if n := d.Names[id]; n != "" {
		return n
	}
	return id
}

func (h *handler) show(c *gin.Context) {
	r := h.d.Req(c)
	d, err := h.load(r, c.Param("id"))
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if done := r.X.Q("done"); done != "" {
		d.Done = orID(r.X, "campaigns.done."+done, "")
	}
	h.detail.Render(c, http.StatusOK, d)
}

// load reads the campaign and, side by side, its costs and — once launched —
// its evaluation and a page of its enrolments: what its page shows. A part
// that does not load is said in its place.
func (h *handler) load(r *console.Request, id string) (*campaignData, error) {
	x := r.X
	ctx := r.C.Request.Context()
	res, err := r.API.Marketing.GetCampaignsByIdWithResponse(ctx, id)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	cv := *res.JSON200
	x.Title = str(cv.Name)
	d := &campaignData{Ctx: Ctx{x}, C: cv, ID: str(cv.Id), State: str(cv.State), SegmentText: SegmentText(x, deref(cv.Segment)),
		Holdout: deref(cv.Holdout), Version: deref(cv.Version), Newcomers: deref(cv.EnrolNewcomers),
		Writes: Writes(x, cv), Approves: Approves(x, cv), Runs: Runs(x, cv), Launched: cv.LaunchedAt != nil,
		Groups: Groups, EStates: EnrolmentStates, Group: pick(Groups, x.Q("group")), EState: pick(EnrolmentStates, x.Q("estate"))}
	// The parts side by side; each failure is said in its part's place.
	var wg sync.WaitGroup
	var costsErr, evalErr, enrolErr error
	wg.Go(func() {
		res, err := r.API.Marketing.GetCampaignsByIdCostsWithResponse(ctx, id)
		if costsErr = apis.Check(res, err); costsErr != nil {
			return
		}
		d.CostTotal = deref(res.JSON200.Total)
		for _, e := range deref(res.JSON200.Items) {
			d.Costs = append(d.Costs, Cost{Amount: deref(e.Amount), Note: str(e.Note), SpentOn: str(e.SpentOn), By: str(e.By), At: e.CreatedAt})
		}
	})
	if d.Launched {
		wg.Go(func() {
			res, err := r.API.Marketing.GetCampaignsByIdEvaluationWithResponse(ctx, id)
			if evalErr = apis.Check(res, err); evalErr == nil {
				d.Eval = evalOf(*res.JSON200)
			}
		})
		wg.Go(func() { enrolErr = h.loadEnrolments(r, d) })
	}
	if x.Has("manager", "admin") {
		wg.Go(func() { d.Names = console.Names(h.d.Users(r)) })
	}
	wg.Wait()
	for _, p := range []struct {
		err error
		to  **view.Problem
	}{{costsErr, &d.CostsProblem}, {evalErr, &d.EvalProblem}, {enrolErr, &d.EnrolProblem}} {
		if p.err != nil && signedOut(p.err) {
			return nil, p.err
		}
		if p.err != nil {
			*p.to = readProblem(x, p.err)
		}
	}
	return d, nil
}

// loadEnrolments reads the page of enrolments the query asks for.
func (h *handler) loadEnrolments(r *console.Request, d *campaignData) error {
	params := &marketingapi.GetCampaignsByIdEnrolmentsParams{Limit: ptr(pageSize), Cursor: opt(r.X.Q("cursor"))}
	if d.Group != "" {
		params.Group = ptr(marketingapi.GetCampaignsByIdEnrolmentsParamsGroup(d.Group))
	}
	if d.EState != "" {
		params.State = ptr(marketingapi.GetCampaignsByIdEnrolmentsParamsState(d.EState))
	}
	res, err := r.API.Marketing.GetCampaignsByIdEnrolmentsWithResponse(r.C.Request.Context(), d.ID, params)
	if err := apis.Check(res, err); err != nil {
		return err
	}
	for _, e := range deref(res.JSON200.Items) {
		row := Enrolment{CustomerID: str(e.CustomerId), Name: str(e.CustomerName), Group: str(e.Group), State: str(e.State),
			Outcome: str(e.Outcome), Source: str(e.Source), ResponseKind: str(e.ResponseKind), LeadID: str(e.LeadId),
			EnrolledAt: e.EnrolledAt, LastTouchAt: e.LastTouchAt, RespondedAt: e.RespondedAt, WonBackAt: e.WonBackAt, EndedAt: e.EndedAt,
			Touches: deref(e.Touches), Leads: deref(e.Leads), Opportunities: deref(e.Opportunities), Won: deref(e.Won), Revenue: deref(e.WonRevenue)}
		if row.Name == "" {
			row.Name = row.CustomerID
		}
		d.Enrolments = append(d.Enrolments, row)
	}
	if next := str(res.JSON200.NextCursor); next != "" {
		d.EnrolNext = d.FilterURL(d.Group, d.EState, next)
	}
	return nil
}

// FilterURL is the enrolments filtered by group and state ("" all), at
// cursor (none: the first page).
func (d *campaignData) FilterURL(group, state string, cursor ...string) string {
	q := url.Values{}
	if group != "" {
		q.Set("group", group)
	}
	if state != "" {
		q.Set("estate", state)
	}
	if len(cursor) > 0 && cursor[0] != "" {
		q.Set("cursor", cursor[0])
	}
	u := campaignURL(d.ID, "", "")
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u + "#enrolments"
}

// The service's rules on what the session knows: whether the viewer plans
// and edits the campaign and records its costs (an admin, or a rep or
// manager of its team), approves it (an admin, or a manager of its team),
// and launches, completes and cancels it (those, and its owner: whoever
// sees the page is in the department). Its team is a marketing team, so
// belonging to it makes a marketer or marketing manager. The service
// checks again.
func inTeam(x *view.Ctx, c marketingapi.CampaignView) bool {
	return x.User != nil && str(c.Team) != "" && slices.Contains(x.User.Teams, str(c.Team))
}

// Writes reports whether the viewer edits the campaign and records its costs.
func Writes(x *view.Ctx, c marketingapi.CampaignView) bool {
	return x.Has("admin") || (x.Has("rep", "manager") && inTeam(x, c))
}

// Approves reports whether the viewer approves the campaign.
func Approves(x *view.Ctx, c marketingapi.CampaignView) bool {
	return x.Has("admin") || (x.Has("manager") && inTeam(x, c))
}

// Runs reports whether the viewer launches, completes and cancels the campaign.
func Runs(x *view.Ctx, c marketingapi.CampaignView) bool {
	return Approves(x, c) || (x.User != nil && x.User.Subject != "" && str(c.OwnerId) == x.User.Subject)
}

// Offers reports whether the page shows form: the campaign's state takes it
// and the viewer is whom the service lets send it. The form just refused is
// always shown, so nothing typed is lost.
func (d *campaignData) Offers(form string) bool {
	if d.Act != nil && d.Act.Form == form {
		return true
	}
	if !d.Has(view.RolesWriteCampaigns...) { // the console's own guard: analysts read
		return false
	}
	switch form {
	case FormRequestApproval: // once per version of the draft: an edit asks again
		return d.State == "draft" && d.C.ApprovalRequest == nil && (d.Writes || d.Owns())
	case FormApprove:
		return d.State == "draft" && d.Approves
	case FormLaunch:
		return d.State == "approved" && d.Runs
	case FormComplete:
		return d.State == "running" && d.Runs
	case FormCancel:
		return (d.State == "draft" || d.State == "approved" || d.State == "running") && d.Runs
	case FormCost:
		return (d.State == "approved" || d.State == "running" || d.State == "completed") && d.Writes
	case FormOptOut:
		return true
	}
	return false
}

// MoveForms are the state changes, in the order the page offers them.
func (d *campaignData) MoveForms() []string {
	return []string{FormRequestApproval, FormApprove, FormLaunch, FormComplete, FormCancel}
}

// Owns reports whether the viewer owns the campaign.
func (d *campaignData) Owns() bool {
	return d.User != nil && d.User.Subject != "" && str(d.C.OwnerId) == d.User.Subject
}

// ApprovalAsker is who asked for the draft's approval, as the page names
// them: the name they signed in with, else the directory's.
func (d *campaignData) ApprovalAsker() string {
	if r := d.C.ApprovalRequest; r != nil {
		if n := str(r.ByName); n != "" {
			return n
		}
		return d.Who(str(r.By))
	}
	return ""
}

// Acts reports whether the page shows any state change.
func (d *campaignData) Acts() bool {
	return d.Offers(FormRequestApproval) || d.Offers(FormApprove) || d.Offers(FormLaunch) || d.Offers(FormComplete) || d.Offers(FormCancel) ||
		(d.State == "draft" && d.Writes)
}

// Val is what the user typed in field of form.
func (d *campaignData) Val(form, field string) string {
	if d.Act != nil && d.Act.Form == form {
		return d.Act.Values.Get(field)
	}
	return ""
}

// Err is the refusal's message for field of form ("" when fine).
func (d *campaignData) Err(form, field string) string {
	if d.Act == nil || d.Act.Form != form {
		return ""
	}
	return d.Act.Problem.Field(field)
}

// formFields are the fields each form shows; a refusal naming another field
// is said at the top of the form.
var formFields = map[string][]string{FormComplete: {"reason"}, FormCancel: {"reason"}, FormCost: {"amount", "spent_on", "note"}}

// Refusal is the refusal of form said at its top: its message, and the
// messages of fields the form does not show.
func (d *campaignData) Refusal(form string) *view.Problem {
	if d.Act == nil || d.Act.Form != form || d.Act.Problem == nil {
		return nil
	}
	p := *d.Act.Problem
	p.Fields = nil
	for f, m := range d.Act.Problem.Fields {
		if !slices.Contains(formFields[form], f) {
			if p.Fields == nil {
				p.Fields = map[string]string{}
			}
			p.Fields[f] = m
		}
	}
	return &p
}

// Today is the user's date, the cost form's default.
func (d *campaignData) Today() string { return d.Now().In(d.TZ).Format(time.DateOnly) }

// move sends the state change form (approve, launch, complete, cancel) —
// or the request for approval — at
// the version the page was read at, with the reason typed (complete,
// cancel).
func (h *handler) move(form string) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := h.d.Req(c)
		v, ok := h.postForm(r)
		if !ok {
			return
		}
		id := c.Param("id")
		body := marketingapi.MoveRequest{Reason: opt(strings.TrimSpace(v.Get("reason")))}
		if n, err := strconv.Atoi(v.Get("version")); err == nil && n > 0 {
			body.ExpectedVersion = &n
		}
		var err error
		switch form {
		case FormRequestApproval:
			res, e := r.API.Marketing.PostCampaignsByIdRequestApprovalWithResponse(r.Ctx(), id,
				marketingapi.RequestApprovalRequest{ExpectedVersion: body.ExpectedVersion})
			err = apis.Check(res, e)
		case FormApprove:
			res, e := r.API.Marketing.PostCampaignsByIdApproveWithResponse(r.Ctx(), id, body)
			err = apis.Check(res, e)
		case FormLaunch:
			res, e := r.API.Marketing.PostCampaignsByIdLaunchWithResponse(r.Ctx(), id, body)
			err = apis.Check(res, e)
		case FormComplete:
			res, e := r.API.Marketing.PostCampaignsByIdCompleteWithResponse(r.Ctx(), id, body)
			err = apis.Check(res, e)
		case FormCancel:
			res, e := r.API.Marketing.PostCampaignsByIdCancelWithResponse(r.Ctx(), id, body)
			err = apis.Check(res, e)
		}
		if err != nil {
			h.refuse(r, id, form, v, err)
			return
		}
		c.Redirect(http.StatusSeeOther, campaignURL(id, form, ""))
	}
}

// addCost records money spent on the campaign.
func (h *handler) addCost(c *gin.Context) {
	r := h.d.Req(c)
	v, ok := h.postForm(r)
	if !ok {
		return
	}
	id := c.Param("id")
	amount, good := parseAmount(v.Get("amount"))
	if !good || strings.TrimSpace(v.Get("amount")) == "" {
		p := &view.Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Message: r.X.T("campaigns.error.validation_failed"), Fields: map[string]string{"amount": r.X.T("campaigns.field.amount.number")}}
		h.refuseWith(r, id, &Action{Form: FormCost, Values: v, Problem: p})
		return
	}
	body := marketingapi.CostRequest{Amount: &amount, SpentOn: ptr(strings.TrimSpace(v.Get("spent_on"))), Note: ptr(strings.TrimSpace(v.Get("note")))}
	res, err := r.API.Marketing.PostCampaignsByIdCostsWithResponse(r.Ctx(), id, body)
	if err := apis.Check(res, err); err != nil {
		h.refuse(r, id, FormCost, v, err)
		return
	}
	c.Redirect(http.StatusSeeOther, campaignURL(id, FormCost, "costs"))
}

// optOut records the opt-out of one of the campaign's customers (the form
// of an enrolment's row): no campaign touches them again.
func (h *handler) optOut(c *gin.Context) {
	r := h.d.Req(c)
	v, ok := h.postForm(r)
	if !ok {
		return
	}
	id := c.Param("id")
	if err := putOptOut(r, v); err != nil {
		h.refuse(r, id, FormOptOut, v, err)
		return
	}
	c.Redirect(http.StatusSeeOther, campaignURL(id, FormOptOut, "enrolments"))
}

// putOptOut records the opt-out of the form's customer_id, with its reason.
func putOptOut(r *console.Request, v url.Values) error {
	cid := strings.TrimSpace(v.Get("customer_id"))
	res, err := r.API.Marketing.PutOptOutsByCustomerIdWithResponse(r.Ctx(), cid,
		marketingapi.OptOutRequest{Reason: opt(strings.TrimSpace(v.Get("reason")))})
	return apis.Check(res, err)
}

// refuse shows a refused form: the page again, as the campaign is now, with
// the form as the user filled it and the refusal at it. A campaign gone from
// the user's sight has no page to show it on.
func (h *handler) refuse(r *console.Request, id, form string, v url.Values, err error) {
	if signedOut(err) || (gone(err) && form != FormOptOut) {
		h.d.Fail(r, err)
		return
	}
	act := &Action{Form: form, Values: v, Problem: problem(r.X, err)}
	if act.Problem.Status >= 500 {
		h.d.Log.WarnContext(r.C, "campaigns: a change was not answered", "campaign", id, "form", form, "error", err)
	}
	h.refuseWith(r, id, act)
}

func (h *handler) refuseWith(r *console.Request, id string, act *Action) {
	d, lerr := h.load(r, id)
	if lerr != nil {
		h.d.Fail(r, lerr)
		return
	}
	d.Act = act
	h.detail.Render(r.C, act.Problem.Status, d)
}

// parseAmount reads an amount as people type it: digits with an optional
// decimal point, grouped by commas or spaces ("1,250.50").
func parseAmount(s string) (float64, bool) {
	s = strings.NewReplacer(",", "", "，", "", " ", "", "\u00a0", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return 0, true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// Typed is what the user typed in field of the refused form of customer
// id's row ("" for any other row).
func (d *campaignData) Typed(form, id, field string) string {
	if d.ActOn(form, id) {
		return d.Act.Values.Get(field)
	}
	return ""
}

// ActOn reports whether the refused form is form of customer id's row.
func (d *campaignData) ActOn(form, id string) bool {
	return d.Act != nil && d.Act.Form == form && d.Act.Values.Get("customer_id") == id
}
