package leads

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
	"github.com/closeloop/closeloop/services/web/internal/console"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// The opportunity page's posts, named as the sales API's commands.
var opportunityActions = []string{"stage", "won", "lost"}

// StageOption is a stage the opportunity may be moved to.
type StageOption struct {
	Stage int
	Back  bool
}

// OppInfo is the opportunity as the page shows it.
type OppInfo struct {
	Name, Status, CustomerID, LeadID, Team, ExpectedClose, LostReason, Competitor, WorkflowURL string
	Stage, Probability                                                                         int
	StageEntered, Closed                                                                       *time.Time
}

type oppData struct {
	*view.Ctx
	Opp              OppInfo
	ID, Owner        string
	Amount, Weighted string
	Timeline         []Event
	TimelineNext     string
	Done             string
	Form             *Form
	Open, CanWrite   bool
	Moves            []StageOption
}

func (h *handler) showOpportunity(c *gin.Context) {
	r := h.d.Req(c)
	d, err := h.loadOpportunity(r, c.Param("id"))
	if err != nil {
		h.fail(r, err)
		return
	}
	if done := r.X.Q("done"); contains(opportunityActions, done) {
		d.Done = r.X.T("leads.opp.done." + done)
	}
	h.opportunity.Render(c, http.StatusOK, d)
}

func (h *handler) loadOpportunity(r *console.Request, id string) (*oppData, error) {
	x := r.X
	ctx := r.C.Request.Context()
	res, err := r.API.Sales.GetOpportunitiesByIdWithResponse(ctx, id)
	if err := apis.Check(res, err); err != nil {
		return nil, err
	}
	o := *res.JSON200
	x.Title = x.T("leads.opp.title", "Name", str(o.Name))
	info := OppInfo{Name: str(o.Name), Status: str(o.Status), CustomerID: str(o.CustomerId), LeadID: str(o.LeadId),
		Team: str(o.Team), ExpectedClose: str(o.ExpectedClose), LostReason: str(o.LostReason), Competitor: str(o.Competitor),
		WorkflowURL: str(o.WorkflowUrl), Stage: deref(o.Stage), Probability: deref(o.Probability),
		StageEntered: o.StageEnteredAt, Closed: o.ClosedAt}
	d := &oppData{Ctx: x, Opp: info, ID: str(o.Id), Owner: str(o.OwnerId), Form: &Form{}, Open: str(o.Status) == "open", CanWrite: canWrite(x)}
	if o.AmountMinor != nil {
		d.Amount = money(x, int64(*o.AmountMinor), str(o.Currency))
		d.Weighted = money(x, int64(deref(o.WeightedAmountMinor)), str(o.Currency))
	}
	cur := deref(o.Stage)
	for _, s := range stages {
		// Moving back is for managers (leads:assign); the service decides.
		if s != cur && (s > cur || canAssign(x)) {
			d.Moves = append(d.Moves, StageOption{Stage: s, Back: s < cur})
		}
	}
	tl, err := r.API.Sales.GetOpportunitiesByIdTimelineWithResponse(ctx, d.ID,
		&salesapi.GetOpportunitiesByIdTimelineParams{Limit: ptr(100), Cursor: ptr(x.Q("tl"))})
	if err := apis.Check(tl, err); err != nil {
		return nil, err
	}
	d.Timeline = events(x, deref(tl.JSON200.Items))
	d.TimelineNext = nextPage(x, "tl", str(tl.JSON200.NextCursor))
	return d, nil
}

func (h *handler) opportunityAction(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := h.d.Req(c)
		id := c.Param("id")
		err := h.sendOpportunity(r, id, action)
		if err == nil {
			seeOther(c, "/opportunities/"+url.PathEscape(id), action)
			return
		}
		var e *apperr.Error
		if errors.As(err, &e) && (e.Kind == apperr.KindUnauthenticated || e.Kind == apperr.KindNotFound) {
			h.fail(r, err)
			return
		}
		p := formProblem(r.X, "opp."+action, err)
		d, lerr := h.loadOpportunity(r, id)
		if lerr != nil {
			h.fail(r, lerr)
			return
		}
		_ = c.Request.ParseForm()
		d.Form = &Form{Name: action, Values: c.Request.PostForm, Problem: p}
		r.X.Problem = p
		h.opportunity.Render(c, p.Status, d)
	}
}

func (h *handler) sendOpportunity(r *console.Request, id, action string) error {
	c, ctx := r.C, r.Ctx()
	reason := ptrAlways(strings.TrimSpace(c.PostForm("reason")))
	var res any
	var err error
	switch action {
	case "stage":
		body := salesapi.StageRequest{Reason: reason}
		s, perr := strconv.Atoi(c.PostForm("stage"))
		if perr != nil {
			return invalid("stage", "stage")
		}
		body.Stage = &s
		res, err = r.API.Sales.PostOpportunitiesByIdStageWithResponse(ctx, id, nil, body)
	case "won":
		res, err = r.API.Sales.PostOpportunitiesByIdWonWithResponse(ctx, id, nil, salesapi.CloseRequest{Reason: ptr(*reason)})
	case "lost":
		res, err = r.API.Sales.PostOpportunitiesByIdLostWithResponse(ctx, id, nil,
			salesapi.CloseRequest{Reason: reason, Competitor: ptr(strings.TrimSpace(c.PostForm("competitor")))})
	}
	return apis.Check(res, err)
}
