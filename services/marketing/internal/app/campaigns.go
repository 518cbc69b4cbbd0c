package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/idem"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// CampaignInput is a campaign as someone writes it (POST, PUT).
type CampaignInput struct {
	Name, Objective, Type                 string
	Channels                              []string
	Segment                               json.RawMessage
	Holdout                               *float64
	Budget, ExpectedCost, ExpectedRevenue float64
	StartsOn, EndsOn                      string
	OwnerID, Team                         string
	EnrolNewcomers                        bool
	EmailSubject, EmailBody               string
}

// ErrSegmentEmpty refuses to launch a campaign whose segment matches no customer.
var ErrSegmentEmpty = apperr.Rule("segment_empty", "the campaign's segment matches no customer now: change its filter before launching it")

// ErrCampaignOver refuses to launch a campaign whose end date has passed.
var ErrCampaignOver = apperr.Rule("campaign_over", "the campaign's end date has passed: change its schedule before launching it")

// draft reads in as the domain's draft; bad dates are field errors.
func (in CampaignInput) draft(id string) (domain.Draft, error) {
	var v apperr.Validation
	seg, err := domain.ParseSegment(in.Segment)
	if err != nil {
		appendFields(&v, err)
	}
	starts := parseDate(&v, "starts_on", in.StartsOn)
	ends := parseDate(&v, "ends_on", in.EndsOn)
	d := domain.Draft{ID: id, Name: in.Name, Objective: in.Objective, Type: domain.Type(in.Type), Channels: in.Channels, Segment: seg,
		Holdout: in.Holdout, Budget: in.Budget, ExpectedCost: in.ExpectedCost, ExpectedRevenue: in.ExpectedRevenue, StartsOn: starts,
		EndsOn: ends, OwnerID: strings.TrimSpace(in.OwnerID), Team: strings.TrimSpace(in.Team), EnrolNewcomers: in.EnrolNewcomers,
		EmailSubject: in.EmailSubject, EmailBody: in.EmailBody}
	return d, v.Err()
}

func parseDate(v *apperr.Validation, field, s string) time.Time {
	if s == "" {
		return time.Time{} // the domain says required
	}
	t, err := time.Parse(time.DateOnly, s)
	v.Check(err == nil, field, "invalid", "a date as YYYY-MM-DD")
	return t
}

// appendFields adds err's field errors to v (or err itself as one on "").
func appendFields(v *apperr.Validation, err error) {
	if ae, ok := err.(*apperr.Error); ok && len(ae.Fields) > 0 {
		for _, f := range ae.Fields {
			v.Add(f.Field, f.Code, f.Message)
		}
		return
	}
	v.Add("", "invalid", err.Error())
}

// mergeErr joins the domain's validation with the input's own (dates,
// segment), so every bad field is reported at once.
func mergeErr(inputErr, domainErr error) error {
	if inputErr == nil {
		return domainErr
	}
	var v apperr.Validation
	appendFields(&v, inputErr)
	if domainErr != nil {
		if ae, ok := domainErr.(*apperr.Error); ok && len(ae.Fields) > 0 {
			for _, f := range ae.Fields {
				if f.Field == "starts_on" || f.Field == "ends_on" || strings.HasPrefix(f.Field, "segment") {
					continue // reported by the input already, or because of it
				}
				v.Add(f.Field, f.Code, f.Message)
			}
		} else {
			return domainErr
		}
	}
	return v.Err()
}

// Created is the answer of a create: status and body (replayed for a
// retried Idempotency-Key).
type Created struct {
	ID       string
	Status   int
	Body     json.RawMessage
	Replayed bool
}

// CreateCampaign writes a new draft campaign.
func (a *App) CreateCampaign(ctx context.Context, in CampaignInput, key string, raw []byte) (Created, error) {
	act, p := actor(ctx)
	team := strings.TrimSpace(in.Team)
	if team == "" {
		for _, t := range act.Teams {
			if a.org.IsMarketingTeam(t) {
				in.Team, team = t, t
				break
			}
		}
	}
	if err := a.org.CheckCreate(act, team); err != nil {
		return Created{}, err
	}
	id := newID()
	d, inErr := in.draft(id)
	c, err := domain.NewCampaign(d, act, a.now())
	if err = mergeErr(inErr, err); err != nil {
		return Created{}, err
	}
	res, err := idem.Do(ctx, a.store.DB(), idem.Request{Key: key, Principal: p.Subject, Scope: "POST /v1/campaigns", Body: raw},
		func(tx *gorm.DB) (int, any, error) {
			sc := adapters.Campaign{Campaign: c}
			if err := a.store.With(tx).CreateCampaign(ctx, sc); err != nil {
				return 0, nil, err
			}
			return http.StatusCreated, a.view(sc), nil
		})
	if err != nil {
		return Created{}, err
	}
	var v struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(res.Body, &v)
	return Created{ID: v.ID, Status: res.Status, Body: res.Body, Replayed: res.Replayed}, nil
}

// campaign reads a campaign the caller may act on as op.
func (a *App) campaign(ctx context.Context, id string, op domain.Op) (adapters.Campaign, domain.Actor, error) {
	act, _ := actor(ctx)
	if !a.org.SeesCampaigns(act) || !domain.ValidRef(id) {
		return adapters.Campaign{}, act, domain.ErrNotFound
	}
	c, err := a.store.Campaign(ctx, id)
	if err != nil {
		return adapters.Campaign{}, act, err
	}
	return c, act, a.org.Check(act, c.Campaign, op)
}

// GetCampaign reads one campaign.
func (a *App) GetCampaign(ctx context.Context, id string) (CampaignView, error) {
	c, _, err := a.campaign(ctx, id, domain.OpRead)
	if err != nil {
		return CampaignView{}, err
	}
	return a.view(c), nil
}

// EditCampaign replaces a draft (the whole of it).
func (a *App) EditCampaign(ctx context.Context, id string, in CampaignInput, expected int) (CampaignView, error) {
	c, act, err := a.campaign(ctx, id, domain.OpEdit)
	if err != nil {
		return CampaignView{}, err
	}
	if err := domain.CheckVersion(c.Campaign, expected); err != nil {
		return CampaignView{}, err
	}
	if strings.TrimSpace(in.Team) == "" {
		in.Team = c.Team
	}
	if err := a.org.CheckCreate(act, strings.TrimSpace(in.Team)); err != nil {
		return CampaignView{}, err
	}
	d, inErr := in.draft(id)
	next, err := c.Edit(d, a.now())
	if err = mergeErr(inErr, err); err != nil {
		return CampaignView{}, err
	}
	prev := c.Version
	c.Campaign = next
	if err := a.store.SaveCampaign(ctx, c, prev); err != nil {
		return CampaignView{}, err
	}
	return a.view(c), nil
}

// MoveInput is a state change of a campaign.
type MoveInput struct {
	To              domain.State
	ExpectedVersion int
	Reason          string
}

// MoveCampaign approves, launches, completes or cancels a campaign.
// Launching checks that the segment matches someone now and starts the
// launch workflow, which enrols the segment; a launch the engine did not
// take is started again by the service (StartPendingLaunches).
// Completing or cancelling ends every enrolment still running: a win-back
// cadence is told by its workflow (TellEnded).
func (a *App) MoveCampaign(ctx context.Context, id string, in MoveInput) (CampaignView, error) {
	op := domain.OpFor(in.To)
	c, act, err := a.campaign(ctx, id, domain.OpRead)
	if err != nil {
		return CampaignView{}, err
	}
	if err := domain.CheckVersion(c.Campaign, in.ExpectedVersion); err != nil {
		return CampaignView{}, err
	}
	var v apperr.Validation
	v.Check(len([]rune(in.Reason)) <= domain.MaxNote, "reason", "too_long", "at most 500 characters")
	if err := v.Err(); err != nil {
		return CampaignView{}, err
	}
	now := a.now()
	next, err := c.Move(in.To, act, now)
	if err != nil {
		return CampaignView{}, err
	}
	if err := a.org.Check(act, c.Campaign, op); err != nil {
		return CampaignView{}, err
	}
	if in.To == domain.StateRunning {
		if c.EndsOn.Before(domain.DateOf(now)) {
			return CampaignView{}, ErrCampaignOver
		}
		page, err := a.wf.Preview(ctx, &marketingv1.SegmentPageInput{Filter: Filter(c.Segment), Limit: 1, AsOf: timestamppb.New(now), WithCount: true})
		if err != nil {
			return CampaignView{}, err
		}
		if page.GetTotal() == 0 {
			return CampaignView{}, ErrSegmentEmpty
		}
		c.LaunchedBy = act.ID
	}
	if in.To.Final() {
		c.EndedBy, c.EndReason = act.ID, in.Reason
	}
	prev := c.Version
	c.Campaign = next
	_, p := actor(ctx)
	ev, tells := domain.EventOfMove(next, act, p.Name, in.Reason)
	var events []domain.Event
	if tells {
		events = append(events, ev)
	}
	if err := a.store.SaveCampaignTelling(ctx, c, prev, events...); err != nil {
		return CampaignView{}, err
	}
	if tells {
		a.tell(ctx, ev) // notices.go; the outbox tells it if this fails
	}
	switch {
	case in.To == domain.StateRunning:
		if err := a.wf.Launch(ctx, a.launchInput(c)); err != nil {
			a.log.WarnContext(ctx, "the launch workflow did not start; it is started again shortly", "campaign", c.ID, "error", err)
		}
	case in.To.Final() && c.Type != domain.TypeWinback:
		if err := a.store.EndAll(ctx, c.ID, "", string(in.To), now); err != nil {
			return CampaignView{}, err
		}
	case in.To.Final():
		// The holdout has no cadence to stop; the treated customers' are
		// told (now, and by the outbox until every one is).
		if err := a.store.EndAll(ctx, c.ID, adapters.GroupHoldout, string(in.To), now); err != nil {
			return CampaignView{}, err
		}
		a.TellEnded(ctx, 200)
	}
	return a.view(c), nil
}

func (a *App) launchInput(c adapters.Campaign) *marketingv1.CampaignLaunchInput {
	return &marketingv1.CampaignLaunchInput{CampaignId: c.ID, Filter: Filter(c.Segment), LaunchedAt: timestamppb.New(*c.LaunchedAt),
		LaunchedBy: c.LaunchedBy, CampaignType: string(c.Type)}
}

// StartPendingLaunches starts the launch workflows of running campaigns
// whose launch has not finished and started at least grace ago (the engine
// did not take it, or it is still running: a second start of the same id
// changes nothing).
func (a *App) StartPendingLaunches(ctx context.Context, grace time.Duration, batch int) (int, error) {
	cs, err := a.store.LaunchesPending(ctx, a.now().Add(-grace), batch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cs {
		if err := a.wf.Launch(ctx, a.launchInput(c)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// StartNewcomers reads again, every interval, the segment of each running
// campaign that enrols newcomers (every type but win-back, whose newcomers
// the win-back sweep enrols): a run of its launch workflow that enrols the
// customers who entered the segment since — those enrolled already are
// left as they are. Up to batch campaigns per call.
func (a *App) StartNewcomers(ctx context.Context, every time.Duration, batch int) (int, error) {
	now := a.now()
	cs, err := a.store.NewcomersDue(ctx, now.Add(-every), batch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cs {
		in := a.launchInput(c)
		in.LaunchedAt, in.Source = timestamppb.New(now), SourceNewcomers
		if err := a.wf.Launch(ctx, in); err != nil {
			return n, err
		}
		if err := a.store.NewcomersRead(ctx, c.ID, now); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// TellEnded tells the win-back workflows of enrolments still running in
// campaigns that ended (completed or cancelled) that their campaign ended,
// up to batch of them; the rest at the next call (the service calls it
// every interval: the enrolments table is the outbox).
func (a *App) TellEnded(ctx context.Context, batch int) int {
	es, err := a.store.CancelsPending(ctx, batch)
	if err != nil {
		a.log.WarnContext(ctx, "reading the win-backs of ended campaigns", "error", err)
		return 0
	}
	n := 0
	for _, e := range es {
		c, err := a.store.Campaign(ctx, e.CampaignID)
		if err != nil {
			continue
		}
		outcome := "cancelled"
		if c.State == domain.StateCompleted {
			outcome = "completed"
		}
		now := a.now()
		if err := a.wf.Cancel(ctx, e.CustomerID, e.CampaignID, &marketingv1.WinBackEndInput{CampaignId: e.CampaignID, CustomerId: e.CustomerID,
			Outcome: outcome, At: timestamppb.New(now)}); err != nil {
			a.log.WarnContext(ctx, "telling a win-back its campaign ended", "campaign", e.CampaignID, "customer", e.CustomerID, "error", err)
			continue
		}
		if err := a.store.CancelSent(ctx, e.CampaignID, e.CustomerID, now); err == nil {
			n++
		}
	}
	return n
}

// CostInput is a cost entry as someone writes it.
type CostInput struct {
	Amount  float64
	Note    string
	SpentOn string
}

// AddCost records money spent on a campaign.
func (a *App) AddCost(ctx context.Context, id string, in CostInput) (CostView, error) {
	c, act, err := a.campaign(ctx, id, domain.OpAddCost)
	if err != nil {
		return CostView{}, err
	}
	var v apperr.Validation
	spent := parseDate(&v, "spent_on", in.SpentOn)
	e, err := domain.NewCostEntry(c.Campaign, domain.CostDraft{ID: newID(), Amount: in.Amount, Note: in.Note, SpentOn: spent}, act, a.now())
	if err = mergeErr(v.Err(), err); err != nil {
		return CostView{}, err
	}
	if err := a.store.AddCost(ctx, e); err != nil {
		return CostView{}, err
	}
	return costView(e), nil
}

// Costs lists a campaign's cost entries and their total.
func (a *App) Costs(ctx context.Context, id string) (CostList, error) {
	if _, _, err := a.campaign(ctx, id, domain.OpRead); err != nil {
		return CostList{}, err
	}
	es, err := a.store.Costs(ctx, id)
	if err != nil {
		return CostList{}, err
	}
	out := CostList{Items: make([]CostView, len(es)), Total: domain.ActualCost(es)}
	for i, e := range es {
		out.Items[i] = costView(e)
	}
	return out, nil
}
