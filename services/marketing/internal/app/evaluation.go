package app

import (
	"context"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// GroupView is one group of a campaign (treated or holdout) with its rates.
type GroupView struct {
	Enrolled      int `json:"enrolled"`
	Touched       int `json:"touched"`
	Responded     int `json:"responded"`
	Leads         int `json:"leads"`
	Opportunities int `json:"opportunities"`
	// Won: customers with an opportunity won since the launch; in a
	// win-back campaign, customers won back (an opportunity won, or
	// transacting again, within the attribution window of their enrolment).
	Won            int      `json:"won"`
	Revenue        float64  `json:"revenue"`
	ResponseRate   *float64 `json:"response_rate"`
	ConversionRate *float64 `json:"conversion_rate"`
}

// IntervalView is a 95 % confidence interval.
type IntervalView struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// UpliftView is the campaign's effect on one rate, treated against holdout.
type UpliftView struct {
	Absolute *float64      `json:"absolute"`
	Relative *float64      `json:"relative"`
	CI95     *IntervalView `json:"ci95"`
	TreatedN int           `json:"treated_n"`
	HoldoutN int           `json:"holdout_n"`
}

// WinBackView is a win-back campaign's won-back rate next to the baseline
// of the field studies (about one in four).
type WinBackView struct {
	Rate     *float64 `json:"rate"`
	Baseline float64  `json:"baseline"`
}

// EvaluationView is what a campaign achieved, as of its last outcome run.
type EvaluationView struct {
	CampaignID         string       `json:"campaign_id"`
	Name               string       `json:"name"`
	Type               string       `json:"type"`
	State              string       `json:"state"`
	Treated            GroupView    `json:"treated"`
	Holdout            GroupView    `json:"holdout"`
	Response           UpliftView   `json:"response_uplift"`
	Conversion         UpliftView   `json:"conversion_uplift"`
	IncrementalRevenue float64      `json:"incremental_revenue"`
	NoControlGroup     bool         `json:"no_control_group"`
	ActualCost         float64      `json:"actual_cost"`
	Budget             float64      `json:"budget"`
	CostPerResponse    *float64     `json:"cost_per_response"`
	CostPerWin         *float64     `json:"cost_per_win"`
	ROI                *float64     `json:"roi"`
	WinBack            *WinBackView `json:"winback,omitempty"`
	// OutcomesAsOf: when the sales outcomes were last brought in (hourly).
	OutcomesAsOf *time.Time `json:"outcomes_as_of,omitempty"`
}

// Evaluation evaluates one campaign for the caller.
func (a *App) Evaluation(ctx context.Context, id string) (EvaluationView, error) {
	c, _, err := a.campaign(ctx, id, domain.OpRead)
	if err != nil {
		return EvaluationView{}, err
	}
	out, err := a.evaluate(ctx, []adapters.Campaign{c})
	if err != nil {
		return EvaluationView{}, err
	}
	return out[0], nil
}

// Comparison is campaigns' evaluations side by side.
type Comparison struct {
	Items []EvaluationView `json:"items"`
}

// MaxCompare bounds the campaigns compared side by side.
const MaxCompare = 20

// Compare evaluates campaigns side by side, in the order asked.
func (a *App) Compare(ctx context.Context, ids []string) ([]EvaluationView, error) {
	act, _ := actor(ctx)
	if !a.org.SeesCampaigns(act) {
		return nil, domain.ErrNotFound
	}
	var v apperr.Validation
	v.Check(len(ids) > 0, "ids", "required", "name the campaigns to compare")
	v.Check(len(ids) <= MaxCompare, "ids", "too_many", "at most 20 campaigns")
	if err := v.Err(); err != nil {
		return nil, err
	}
	var cs []adapters.Campaign
	for _, id := range ids {
		c, _, err := a.campaign(ctx, strings.TrimSpace(id), domain.OpRead)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return a.evaluate(ctx, cs)
}

func (a *App) evaluate(ctx context.Context, cs []adapters.Campaign) ([]EvaluationView, error) {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	counts, err := a.store.Counts(ctx, ids)
	if err != nil {
		return nil, err
	}
	costs, err := a.store.CostTotals(ctx, ids)
	if err != nil {
		return nil, err
	}
	asOf, err := a.store.OutcomesAsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]EvaluationView, len(cs))
	for i, c := range cs {
		in := domain.EvaluationInput{Type: c.Type, ActualCost: costs[c.ID]}
		for _, g := range counts {
			if g.CampaignID != c.ID {
				continue
			}
			grp := domain.Group{Enrolled: g.Enrolled, Touched: g.Touched, Responded: g.Responded, Leads: g.Leads, Opportunities: g.Opportunities,
				Won: g.Won, Revenue: g.Revenue}
			if c.Type == domain.TypeWinback {
				grp.Won = g.WonBack
			}
			if g.Grp == adapters.GroupHoldout {
				in.Holdout = grp
			} else {
				in.Treated = grp
			}
		}
		e, err := domain.Evaluate(in)
		if err != nil {
			return nil, err
		}
		v := EvaluationView{CampaignID: c.ID, Name: c.Name, Type: string(c.Type), State: string(c.State), Treated: groupView(e.Treated),
			Holdout: groupView(e.Holdout), Response: upliftView(e.Response), Conversion: upliftView(e.Conversion),
			IncrementalRevenue: e.IncrementalRevenue, NoControlGroup: e.NoControlGroup, ActualCost: e.ActualCost, Budget: c.Budget,
			CostPerResponse: e.CostPerResponse, CostPerWin: e.CostPerWin, ROI: e.ROI, OutcomesAsOf: asOf[c.ID]}
		if e.WinBack != nil {
			v.WinBack = &WinBackView{Rate: e.WinBack.Rate, Baseline: e.WinBack.Baseline}
		}
		out[i] = v
	}
	return out, nil
}

func groupView(g domain.GroupResult) GroupView {
	return GroupView{Enrolled: g.Enrolled, Touched: g.Touched, Responded: g.Responded, Leads: g.Leads, Opportunities: g.Opportunities,
		Won: g.Won, Revenue: g.Revenue, ResponseRate: g.ResponseRate, ConversionRate: g.ConversionRate}
}

func upliftView(u domain.Uplift) UpliftView {
	v := UpliftView{Absolute: u.Absolute, Relative: u.Relative, TreatedN: u.TreatedN, HoldoutN: u.HoldoutN}
	if u.CI95 != nil {
		v.CI95 = &IntervalView{Low: u.CI95.Low, High: u.CI95.High}
	}
	return v
}

// CampaignPage is a page of campaigns, newest first, each with its key
// figures (the campaign list compares campaigns side by side).
type CampaignPage struct {
	Items      []CampaignListItem `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
	// CanPlan says whether you may plan campaigns: a marketer or marketing
	// manager of a marketing team (MARKETING_TEAMS), or an admin.
	CanPlan bool `json:"can_plan"`
}

// CampaignListItem is a campaign with its evaluation's key figures.
type CampaignListItem struct {
	CampaignView
	Figures EvaluationView `json:"figures"`
}

// ListCampaigns lists campaigns (state, type), newest first, with figures.
func (a *App) ListCampaigns(ctx context.Context, state, typ, cursor string, limit int) (CampaignPage, error) {
	act, _ := actor(ctx)
	if !a.org.SeesCampaigns(act) {
		return CampaignPage{Items: []CampaignListItem{}}, nil
	}
	var v apperr.Validation
	v.Check(state == "" || domain.State(state).Valid(), "state", "invalid", "one of draft, approved, running, completed, cancelled")
	v.Check(typ == "" || domain.Type(typ).Valid(), "type", "invalid", "one of winback, cross_sell, event, visit_drive, mailing, other")
	after, ok := decodeCursor(cursor)
	v.Check(ok, "cursor", "invalid", "a cursor from a previous page")
	if err := v.Err(); err != nil {
		return CampaignPage{}, badQuery(err)
	}
	limit = clampLimit(limit)
	cs, err := a.store.Campaigns(ctx, adapters.CampaignFilter{State: state, Type: typ}, after, limit+1)
	if err != nil {
		return CampaignPage{}, err
	}
	page := CampaignPage{Items: []CampaignListItem{}, CanPlan: a.mayPlan(act)}
	if len(cs) > limit {
		cs = cs[:limit]
		last := cs[limit-1]
		page.NextCursor = encodeCursor(adapters.Cursor{At: last.CreatedAt, ID: last.ID})
	}
	figures, err := a.evaluate(ctx, cs)
	if err != nil {
		return CampaignPage{}, err
	}
	for i, c := range cs {
		page.Items = append(page.Items, CampaignListItem{CampaignView: a.view(c), Figures: figures[i]})
	}
	return page, nil
}

// mayPlan says whether act may plan a campaign of some team: an admin, or
// someone who may plan one of their own marketing teams'.
func (a *App) mayPlan(act domain.Actor) bool {
	if act.Has(domain.RoleAdmin) {
		return true
	}
	for _, t := range act.Teams {
		if a.org.IsMarketingTeam(t) && a.org.CheckCreate(act, t) == nil {
			return true
		}
	}
	return false
}
