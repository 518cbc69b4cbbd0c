package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/apperr"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// PreviewSample is how many customers a preview shows.
const PreviewSample = 20

// CustomerSample is one customer of a segment's sample.
type CustomerSample struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	ValueClass        string     `json:"value_class"`
	LifecycleStage    string     `json:"lifecycle_stage"`
	RelationshipStage string     `json:"relationship_stage"`
	Region            string     `json:"region"`
	Industry          string     `json:"industry"`
	OwnerID           string     `json:"owner_id"`
	Team              string     `json:"team"`
	LastContactAt     *time.Time `json:"last_contact_at"`
	LostAt            *time.Time `json:"lost_at,omitempty"`
	LostReason        string     `json:"lost_reason,omitempty"`
	LostCompetitor    string     `json:"lost_competitor,omitempty"`
	// LoyaltyLevel is the level of the customer's service standing
	// (unknown without one); CSATAverage the average CSAT of its recent
	// answers, over CSATCount of them (null without any).
	LoyaltyLevel string   `json:"loyalty_level"`
	CSATAverage  *float64 `json:"csat_average"`
	CSATCount    int      `json:"csat_count"`
}

// PreviewView is a segment's size and a sample, before a launch.
type PreviewView struct {
	// Count: customers matching the segment now.
	Count int64 `json:"count"`
	// HoldoutEstimate: about how many of them the holdout would keep out.
	HoldoutEstimate int64            `json:"holdout_estimate"`
	Sample          []CustomerSample `json:"sample"`
	AsOf            time.Time        `json:"as_of"`
}

// PreviewInput is a segment to preview, for a campaign type and holdout.
type PreviewInput struct {
	Type    string
	Segment json.RawMessage
	Holdout *float64
}

// Preview shows the size of a segment and a sample of it.
func (a *App) Preview(ctx context.Context, in PreviewInput) (PreviewView, error) {
	act, _ := actor(ctx)
	if !a.org.SeesCampaigns(act) {
		return PreviewView{}, domain.ErrNotFound
	}
	var v apperr.Validation
	t := domain.Type(in.Type)
	if in.Type == "" {
		t = domain.TypeOther
	}
	v.Check(t.Valid(), "type", "invalid", "one of winback, cross_sell, event, visit_drive, mailing, other")
	holdout := domain.DefaultHoldout
	if in.Holdout != nil {
		holdout = *in.Holdout
	}
	v.Check(holdout >= 0 && holdout <= domain.MaxHoldout, "holdout", "out_of_range", "a share from 0 to 0.5")
	seg, err := domain.ParseSegment(in.Segment)
	if err == nil && t.Valid() {
		seg, err = seg.EffectiveSegment(t)
	}
	if err != nil {
		appendFields(&v, err)
	}
	if err := v.Err(); err != nil {
		return PreviewView{}, err
	}
	return a.preview(ctx, seg, holdout)
}

// PreviewCampaign shows the size of a campaign's segment and a sample.
func (a *App) PreviewCampaign(ctx context.Context, id string) (PreviewView, error) {
	c, _, err := a.campaign(ctx, id, domain.OpRead)
	if err != nil {
		return PreviewView{}, err
	}
	return a.preview(ctx, c.Segment, c.Holdout)
}

func (a *App) preview(ctx context.Context, seg domain.Segment, holdout float64) (PreviewView, error) {
	now := a.now()
	page, err := a.wf.Preview(ctx, &marketingv1.SegmentPageInput{Filter: Filter(seg), Limit: PreviewSample, AsOf: timestamppb.New(now), WithCount: true})
	if err != nil {
		return PreviewView{}, err
	}
	out := PreviewView{Count: page.GetTotal(), HoldoutEstimate: int64(float64(page.GetTotal())*holdout + 0.5), Sample: []CustomerSample{}, AsOf: now}
	for _, f := range page.GetCustomers() {
		out.Sample = append(out.Sample, sampleOf(f))
	}
	return out, nil
}

func sampleOf(f *marketingv1.CustomerFacts) CustomerSample {
	s := CustomerSample{ID: f.GetCustomerId(), Name: f.GetName(), ValueClass: f.GetValueClass(), LifecycleStage: f.GetLifecycleStage(),
		RelationshipStage: f.GetRelationshipStage(), Region: f.GetRegion(), Industry: f.GetIndustry(), OwnerID: f.GetOwnerId(), Team: f.GetTeam(),
		LostReason: f.GetLostReason(), LostCompetitor: f.GetLostCompetitor(), LoyaltyLevel: f.GetLoyaltyLevel(), CSATAverage: f.CsatAverage,
		CSATCount: int(f.GetCsatCount())}
	if s.LoyaltyLevel == "" {
		s.LoyaltyLevel = domain.LoyaltyUnknown
	}
	if f.GetLastContactAt() != nil {
		t := f.GetLastContactAt().AsTime()
		s.LastContactAt = &t
	}
	if f.GetLostAt() != nil {
		t := f.GetLostAt().AsTime()
		s.LostAt = &t
	}
	return s
}

// Refusals of a manual enrolment.
var (
	ErrAlreadyEnrolled = apperr.Conflict("already_enrolled", "the customer is enrolled in this campaign already")
	ErrInCampaign      = apperr.Conflict("in_campaign", "another running campaign that comes first keeps the customer (docs/campaigns.md, precedence)")
	ErrOptedOut        = apperr.Rule("opted_out", "the customer opted out of marketing: no campaign touches them")
	ErrNotInSegment    = apperr.Rule("not_in_segment", "the customer does not match the campaign's segment now")
	ErrNotRunning      = apperr.Rule("campaign_not_running", "customers are enrolled only in a running campaign")
	ErrManualWinBack   = apperr.Rule("manual_enrolment_winback_only", "a customer is enrolled by hand only in a win-back campaign (from the win-back candidates); other campaigns enrol their segment")
)

// Enrol enrols one customer by hand in a running win-back campaign (a
// win-back candidate a marketer picks): the customer must match the
// campaign's segment now, not be opted out, not be in it already, and no
// running campaign that comes first may keep them.
func (a *App) Enrol(ctx context.Context, id, customerID string) (EnrolmentView, error) {
	c, _, err := a.campaign(ctx, id, domain.OpRun)
	if err != nil {
		return EnrolmentView{}, err
	}
	if _, perr := uuid.Parse(customerID); perr != nil {
		var v apperr.Validation
		v.Add("customer_id", "invalid", "a customer id")
		return EnrolmentView{}, v.Err()
	}
	switch {
	case c.State != domain.StateRunning:
		return EnrolmentView{}, ErrNotRunning
	case c.Type != domain.TypeWinback:
		return EnrolmentView{}, ErrManualWinBack
	}
	if _, ok, err := a.store.Enrolment(ctx, c.ID, customerID); err != nil {
		return EnrolmentView{}, err
	} else if ok {
		return EnrolmentView{}, ErrAlreadyEnrolled
	}
	if opt, err := a.store.OptOuts(ctx, []string{customerID}); err != nil {
		return EnrolmentView{}, err
	} else if _, out := opt[customerID]; out {
		return EnrolmentView{}, ErrOptedOut
	}
	now := a.now()
	f := Filter(c.Segment)
	f.CustomerIds = []string{customerID}
	page, err := a.wf.Preview(ctx, &marketingv1.SegmentPageInput{Filter: f, Limit: 1, AsOf: timestamppb.New(now)})
	if err != nil {
		return EnrolmentView{}, err
	}
	if len(page.GetCustomers()) == 0 {
		return EnrolmentView{}, ErrNotInSegment
	}
	if _, err := a.EnrolPage(ctx, &marketingv1.EnrolPageInput{CampaignId: c.ID, Customers: page.GetCustomers(), Source: SourceManual,
		At: timestamppb.New(now)}); err != nil {
		return EnrolmentView{}, err
	}
	e, ok, err := a.store.Enrolment(ctx, c.ID, customerID)
	if err != nil {
		return EnrolmentView{}, err
	}
	if !ok {
		return EnrolmentView{}, ErrInCampaign
	}
	return enrolmentView(e), nil
}

// EnrolmentView is one customer in a campaign.
type EnrolmentView struct {
	CampaignID   string `json:"campaign_id"`
	CustomerID   string `json:"customer_id"`
	CustomerName string `json:"customer_name"`
	// Group: treated or holdout (never touched).
	Group string `json:"group"`
	// State: active or ended; Outcome says how it ended (responded,
	// opted_out, exhausted, cancelled, completed, superseded).
	State         string     `json:"state"`
	Outcome       string     `json:"outcome,omitempty"`
	Source        string     `json:"source"`
	OwnerID       string     `json:"owner_id"`
	Team          string     `json:"team"`
	EnrolledAt    time.Time  `json:"enrolled_at"`
	EndedAt       *time.Time `json:"ended_at,omitempty"`
	Touches       int        `json:"touches"`
	LastTouchAt   *time.Time `json:"last_touch_at,omitempty"`
	RespondedAt   *time.Time `json:"responded_at,omitempty"`
	ResponseKind  string     `json:"response_kind,omitempty"`
	LeadID        string     `json:"lead_id,omitempty"`
	Leads         int        `json:"leads"`
	Opportunities int        `json:"opportunities"`
	Won           int        `json:"won"`
	WonRevenue    float64    `json:"won_revenue"`
	WonBackAt     *time.Time `json:"won_back_at,omitempty"`
}

func enrolmentView(e adapters.Enrolment) EnrolmentView {
	return EnrolmentView{CampaignID: e.CampaignID, CustomerID: e.CustomerID, CustomerName: e.CustomerName, Group: e.Grp, State: e.State,
		Outcome: e.Outcome, Source: e.Source, OwnerID: e.OwnerID, Team: e.Team, EnrolledAt: e.EnrolledAt.UTC(), EndedAt: utcp(e.EndedAt),
		Touches: e.Touches, LastTouchAt: utcp(e.LastTouchAt), RespondedAt: utcp(e.RespondedAt), ResponseKind: e.ResponseKind, LeadID: e.LeadID,
		Leads: e.Leads, Opportunities: e.Opportunities, Won: e.Won, WonRevenue: e.WonRevenue, WonBackAt: utcp(e.WonBackAt)}
}

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// EnrolmentPage is a page of a campaign's enrolments.
type EnrolmentPage struct {
	Items      []EnrolmentView `json:"items"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// Enrolments lists a campaign's enrolments by customer id.
func (a *App) Enrolments(ctx context.Context, id string, f adapters.EnrolmentFilter, cursor string, limit int) (EnrolmentPage, error) {
	if _, _, err := a.campaign(ctx, id, domain.OpRead); err != nil {
		return EnrolmentPage{}, err
	}
	var v apperr.Validation
	v.Check(f.Group == "" || f.Group == adapters.GroupTreated || f.Group == adapters.GroupHoldout, "group", "invalid", "treated or holdout")
	v.Check(f.State == "" || f.State == adapters.EnrolmentActive || f.State == adapters.EnrolmentEnded, "state", "invalid", "active or ended")
	v.Check(len(cursor) <= 36, "cursor", "invalid", "a cursor from a previous page")
	if err := v.Err(); err != nil {
		return EnrolmentPage{}, badQuery(err)
	}
	limit = clampLimit(limit)
	es, err := a.store.Enrolments(ctx, id, f, cursor, limit+1)
	if err != nil {
		return EnrolmentPage{}, err
	}
	out := EnrolmentPage{Items: []EnrolmentView{}}
	if len(es) > limit {
		es = es[:limit]
		out.NextCursor = es[limit-1].CustomerID
	}
	for _, e := range es {
		out.Items = append(out.Items, enrolmentView(e))
	}
	return out, nil
}
