package campaigns

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/services/web/internal/apis"
	"github.com/closeloop/closeloop/services/web/internal/apis/marketingapi"
	"github.com/closeloop/closeloop/services/web/internal/view"
)

// SegmentText says whom a segment reaches, in the user's language: each
// filter that is set ("value class A or B; last contact at least 90 days
// ago"), or every customer when none is.
func SegmentText(x *view.Ctx, s marketingapi.Segment) string {
	var parts []string
	list := func(id string, vs *[]string, word func(string) string) {
		if len(deref(vs)) == 0 {
			return
		}
		words := make([]string, len(*vs))
		for i, v := range *vs {
			words[i] = word(v)
		}
		parts = append(parts, x.T(id, "List", strings.Join(words, x.T("campaigns.segment.or"))))
	}
	same := func(v string) string { return v }
	list("campaigns.segment.value_classes", s.ValueClasses, same)
	list("campaigns.segment.lifecycle_stages", s.LifecycleStages, func(v string) string { return orID(x, "stage."+v, v) })
	list("campaigns.segment.relationship_stages", s.RelationshipStages, func(v string) string { return orID(x, "campaigns.relationship."+v, v) })
	list("campaigns.segment.regions", s.Regions, same)
	list("campaigns.segment.industries", s.Industries, same)
	list("campaigns.segment.owner_ids", s.OwnerIds, same)
	list("campaigns.segment.teams", s.Teams, same)
	if d := s.MinDaysSinceContact; d != nil {
		parts = append(parts, x.T("campaigns.segment.min_days", "Days", *d))
	}
	if d := s.MaxDaysSinceContact; d != nil {
		parts = append(parts, x.T("campaigns.segment.max_days", "Days", *d))
	}
	list("campaigns.segment.loyalty_levels", s.LoyaltyLevels, func(v string) string { return orID(x, "campaigns.loyalty."+v, v) })
	score := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	switch lo, hi := s.MinSatisfaction, s.MaxSatisfaction; {
	case lo != nil && hi != nil:
		parts = append(parts, x.T("campaigns.segment.satisfaction_between", "Min", score(*lo), "Max", score(*hi)))
	case lo != nil:
		parts = append(parts, x.T("campaigns.segment.min_satisfaction", "Min", score(*lo)))
	case hi != nil:
		parts = append(parts, x.T("campaigns.segment.max_satisfaction", "Max", score(*hi)))
	}
	if len(parts) == 0 {
		return x.T("campaigns.segment.everyone")
	}
	return strings.Join(parts, x.T("campaigns.segment.and"))
}

// Sample is one customer of a segment's sample or of the win-back
// candidates, as the pages show them.
type Sample struct {
	ID, Name, ValueClass, Stage, Region, Industry, Owner, Team string
	LastContact, LostAt                                        *time.Time
	LostReason, LostCompetitor                                 string
	// Loyalty is the customer's loyalty level (the preview's sample shows
	// it, with CSAT, the average of its recent answers to two decimals; ""
	// without answers).
	Loyalty, CSAT string
}

func sampleOf(c marketingapi.CustomerSample) Sample {
	s := Sample{ID: str(c.Id), Name: str(c.Name), ValueClass: str(c.ValueClass), Stage: str(c.LifecycleStage), Region: str(c.Region),
		Industry: str(c.Industry), Owner: str(c.OwnerId), Team: str(c.Team), LastContact: c.LastContactAt, LostAt: c.LostAt,
		LostReason: str(c.LostReason), LostCompetitor: str(c.LostCompetitor), Loyalty: str(c.LoyaltyLevel)}
	if c.CsatAverage != nil {
		s.CSAT = strconv.FormatFloat(*c.CsatAverage, 'f', 2, 64)
	}
	if s.Name == "" {
		s.Name = s.ID
	}
	return s
}

type previewData struct {
	Ctx
	ID    string
	Count int
	// Holdout: about how many of them the holdout would keep out.
	Holdout int
	Sample  []Sample
	AsOf    *time.Time
	// PreviewProblem: the service could not read the segment now.
	PreviewProblem *view.Problem
}

// showPreview is the campaign's segment as it is now: how many customers it
// matches, about how many the holdout keeps out, and a sample of them. The
// campaign's page loads it with htmx once shown (reading a segment takes a
// moment: the page does not wait for it); without script its link opens it
// as a page of its own. A preview the service cannot make now says so in
// its place; only a campaign out of sight fails the page.
func (h *handler) showPreview(c *gin.Context) {
	r := h.d.Req(c)
	x := r.X
	id := c.Param("id")
	d := &previewData{Ctx: Ctx{x}, ID: id}
	res, err := r.API.Marketing.GetCampaignsByIdPreviewWithResponse(r.Ctx(), id)
	if err := apis.Check(res, err); err != nil {
		if signedOut(err) || gone(err) || !x.HX {
			h.d.Fail(r, err)
			return
		}
		d.PreviewProblem = readProblem(x, err)
		if d.PreviewProblem.Status >= http.StatusInternalServerError {
			d.PreviewProblem.Message = x.T("campaigns.preview.unavailable")
		}
		h.preview.Partial(c, http.StatusOK, "preview", d)
		return
	}
	p := res.JSON200
	d.Count, d.Holdout, d.AsOf = deref(p.Count), deref(p.HoldoutEstimate), p.AsOf
	for _, s := range deref(p.Sample) {
		d.Sample = append(d.Sample, sampleOf(s))
	}
	if x.HX {
		h.preview.Partial(c, http.StatusOK, "preview", d)
		return
	}
	x.Title = x.T("campaigns.preview.title")
	h.preview.Render(c, http.StatusOK, d)
}
