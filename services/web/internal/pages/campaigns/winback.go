package campaigns

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/marketingapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The candidates page's forms.
const (
	FormEnrol = "enrol"
)

// Running is a running win-back campaign a candidate may be enrolled in.
type Running struct{ ID, Name string }

type candidatesData struct {
	Ctx
	Rows []Sample
	Next string
	// Campaigns are the running win-back campaigns (the enrol form's choice).
	Campaigns       []Running
	CampaignProblem *view.Problem
	// Acts: the user's roles enrol and record opt-outs (the service says
	// whether their teams are marketing's).
	Acts bool
	Done string
	// Act is the refused form, as the user filled it (its customer_id names its row).
	Act *Action
}

// ActOn reports whether the refused form is form of customer id's row.
func (d *candidatesData) ActOn(form, id string) bool {
	return d.Act != nil && d.Act.Form == form && d.Act.Values.Get("customer_id") == id
}

// ActElsewhere reports whether the refused form's row is not on this page
// (the refusal is then said at the top).
func (d *candidatesData) ActElsewhere() bool {
	if d.Act == nil {
		return false
	}
	for _, row := range d.Rows {
		if row.ID == d.Act.Values.Get("customer_id") {
			return false
		}
	}
	return true
}

// ActMessage is the refusal in words: its message and those of its fields.
func (d *candidatesData) ActMessage() string {
	if d.Act == nil || d.Act.Problem == nil {
		return ""
	}
	msgs := []string{d.Act.Problem.Message}
	for _, f := range slices.Sorted(maps.Keys(d.Act.Problem.Fields)) {
		msgs = append(msgs, d.Act.Problem.Fields[f])
	}
	return strings.Join(msgs, " ")
}

// Val is what the user typed in field of form.
func (d *candidatesData) Val(form, field string) string {
	if d.Act != nil && d.Act.Form == form {
		return d.Act.Values.Get(field)
	}
	return ""
}

// Chosen reports whether campaign id is the one the refused enrol form chose.
func (d *candidatesData) Chosen(id string) bool { return d.Val(FormEnrol, "campaign_id") == id }

// LostFor is how long ago the customer was lost, in whole days.
func (d *candidatesData) LostFor(t *time.Time) int {
	if t == nil {
		return 0
	}
	return int(d.Now().Sub(*t) / (24 * time.Hour))
}

func (h *handler) candidates(c *gin.Context) {
	r := h.d.Req(c)
	d, err := h.loadCandidates(r)
	if err != nil {
		h.d.Fail(r, err)
		return
	}
	if done := r.X.Q("done"); done != "" {
		d.Done = orID(r.X, "campaigns.done."+done, "")
	}
	h.winback.Render(c, http.StatusOK, d)
}

// loadCandidates reads a page of win-back candidates and the running
// win-back campaigns they may be enrolled in.
func (h *handler) loadCandidates(r *console.Request) (*candidatesData, error) {
	x := r.X
	x.Title = x.T("campaigns.winback.title")
	ctx := r.C.Request.Context()
	d := &candidatesData{Ctx: Ctx{x}, Acts: x.Has(view.RolesWriteCampaigns...)}
	res, err := r.API.Marketing.GetWinbackCandidatesWithResponse(ctx, &marketingapi.GetWinbackCandidatesParams{Limit: ptr(pageSize),
		Cursor: opt(x.Q("cursor"))})
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	for _, cv := range deref(res.JSON200.Items) {
		d.Rows = append(d.Rows, sampleOf(marketingapi.CustomerSample{Id: cv.Id, Name: cv.Name, ValueClass: cv.ValueClass,
			LifecycleStage: cv.LifecycleStage, Region: cv.Region, Industry: cv.Industry, OwnerId: cv.OwnerId, Team: cv.Team,
			LastContactAt: cv.LastContactAt, LostAt: cv.LostAt, LostReason: cv.LostReason, LostCompetitor: cv.LostCompetitor}))
	}
	if next := str(res.JSON200.NextCursor); next != "" {
		d.Next = "/campaigns/winback/candidates?cursor=" + url.QueryEscape(next) // also from a refused post's page
	}
	if !d.Acts || len(d.Rows) == 0 {
		return d, nil
	}
	running, winback := marketingapi.GetCampaignsParamsState("running"), marketingapi.GetCampaignsParamsType("winback")
	cres, err := r.API.Marketing.GetCampaignsWithResponse(ctx, &marketingapi.GetCampaignsParams{State: &running, Type: &winback, Limit: ptr(200)})
	if err := apis.Check(cres, err); err != nil {
		if signedOut(err) {
			return nil, err
		}
		d.CampaignProblem = readProblem(x, err)
		return d, nil
	}
	for _, it := range deref(cres.JSON200.Items) {
		d.Campaigns = append(d.Campaigns, Running{ID: str(it.Id), Name: str(it.Name)})
	}
	return d, nil
}

// enrol enrols a candidate in the running win-back campaign chosen. The
// holdout applies: a customer held out is enrolled and never touched, and
// the notice says so.
func (h *handler) enrol(c *gin.Context) {
	r := h.d.Req(c)
	v, ok := h.postForm(r)
	if !ok {
		return
	}
	cid, id := strings.TrimSpace(v.Get("customer_id")), strings.TrimSpace(v.Get("campaign_id"))
	res, err := r.API.Marketing.PostCampaignsByIdEnrolmentsWithResponse(r.Ctx(), id, marketingapi.EnrolRequest{CustomerId: &cid})
	if err := apis.Check(res, err); err != nil {
		h.refuseCandidate(r, FormEnrol, v, err)
		return
	}
	done := "enrolled"
	if res.JSON201 != nil && str(res.JSON201.Group) == "holdout" {
		done = "enrolled_holdout"
	}
	c.Redirect(http.StatusSeeOther, "/campaigns/winback/candidates?done="+done)
}

// candidateOptOut records a candidate's opt-out.
func (h *handler) candidateOptOut(c *gin.Context) {
	r := h.d.Req(c)
	v, ok := h.postForm(r)
	if !ok {
		return
	}
	if err := putOptOut(r, v); err != nil {
		h.refuseCandidate(r, FormOptOut, v, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/campaigns/winback/candidates?done="+url.QueryEscape(FormOptOut))
}

// refuseCandidate shows the candidates again with the refused form at its
// row, as the user filled it.
func (h *handler) refuseCandidate(r *console.Request, form string, v url.Values, err error) {
	if signedOut(err) {
		h.d.Fail(r, err)
		return
	}
	act := &Action{Form: form, Values: v, Problem: problem(r.X, err)}
	if act.Problem.Status >= 500 {
		h.d.Log.WarnContext(r.C, "campaigns: a win-back change was not answered", "form", form, "error", err)
	}
	d, lerr := h.loadCandidates(r)
	if lerr != nil {
		h.d.Fail(r, lerr)
		return
	}
	d.Act = act
	h.winback.Render(r.C, act.Problem.Status, d)
}

// Typed is what the user typed in field of the refused form of customer
// id's row ("" for any other row).
func (d *candidatesData) Typed(form, id, field string) string {
	if d.ActOn(form, id) {
		return d.Act.Values.Get(field)
	}
	return ""
}
