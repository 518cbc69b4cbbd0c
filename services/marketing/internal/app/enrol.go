package app

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/types/known/timestamppb"

	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// Enrolment sources.
const (
	SourceLaunch = "launch"
	SourceSweep  = "sweep"
	SourceManual = "manual"
	// SourceNewcomers: a customer who entered a running campaign's segment
	// after its launch (enrol_newcomers).
	SourceNewcomers = "newcomers"
)

// EnrolPage enrols one page of customers into a running campaign (the
// launch's snapshot, the win-back sweep's newly lost, a manual enrolment):
// opted-out customers and those another running campaign keeps
// (domain.Decide) are skipped; the rest go to the treated group or the
// holdout (domain.InHoldout, stored). A win-back campaign's treated
// customers get their WinBack workflow; any other campaign's get one touch,
// returned for the customer service to plan unless the contact pressure
// defers it past the campaign's end. Idempotent: a retried page enrols
// nobody twice, and the workflows and touches of the page's treated
// customers still running are started and returned again (both are
// idempotent downstream).
func (a *App) EnrolPage(ctx context.Context, in *marketingv1.EnrolPageInput) (*marketingv1.EnrolPageResult, error) {
	out := &marketingv1.EnrolPageResult{}
	c, err := a.store.Campaign(ctx, in.GetCampaignId())
	if err != nil || c.State != domain.StateRunning || c.LaunchedAt == nil || len(in.GetCustomers()) == 0 {
		return out, ignoreNotFound(err)
	}
	at := in.GetAt().AsTime()
	if in.GetAt() == nil {
		at = a.now()
	}
	facts := in.GetCustomers()
	ids := make([]string, len(facts))
	for i, f := range facts {
		ids[i] = f.GetCustomerId()
	}
	optOuts, err := a.store.OptOuts(ctx, ids)
	if err != nil {
		return nil, err
	}
	active, err := a.store.Active(ctx, ids)
	if err != nil {
		return nil, err
	}
	already, err := a.store.Enrolled(ctx, c.ID, ids)
	if err != nil {
		return nil, err
	}
	self := domain.CampaignRef{ID: c.ID, Type: c.Type, LaunchedAt: *c.LaunchedAt}
	var rows []adapters.Enrolment
	var sup []adapters.Supersede
	var superseded []adapters.ActiveRef
	for _, f := range facts {
		id := f.GetCustomerId()
		if _, ok := already[id]; ok {
			continue
		}
		if _, ok := optOuts[id]; ok || (in.GetSource() != SourceLaunch && !c.Segment.Matches(FactsOf(f), at)) {
			out.Skipped++
			continue
		}
		var cur *domain.CampaignRef
		if r, ok := active[id]; ok {
			ref := domain.CampaignRef{ID: r.CampaignID, Type: domain.Type(r.Type)}
			if r.LaunchedAt != nil {
				ref.LaunchedAt = *r.LaunchedAt
			}
			cur = &ref
		}
		switch d := domain.Decide(self, cur); d.Outcome {
		case domain.Skip:
			out.Skipped++
			continue
		case domain.Supersede:
			sup = append(sup, adapters.Supersede{CampaignID: d.CampaignID, CustomerID: id})
			superseded = append(superseded, active[id])
		}
		grp := adapters.GroupTreated
		if domain.InHoldout(c.ID, id, c.Holdout) {
			grp = adapters.GroupHoldout
		}
		rows = append(rows, adapters.Enrolment{CampaignID: c.ID, CustomerID: id, CustomerName: f.GetName(), Grp: grp, State: adapters.EnrolmentActive,
			Source: in.GetSource(), OwnerID: f.GetOwnerId(), Team: f.GetTeam(), EnrolledAt: at})
	}
	inserted, err := a.store.Enrol(ctx, rows, sup, at)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		if !inserted[i] {
			continue
		}
		if r.Grp == adapters.GroupHoldout {
			out.HeldOut++
		} else {
			out.Enrolled++
		}
		already[r.CustomerID] = r
	}
	for _, s := range superseded {
		if s.Type == string(domain.TypeWinback) {
			if err := a.wf.Cancel(ctx, s.CustomerID, s.CampaignID, &marketingv1.WinBackEndInput{CampaignId: s.CampaignID, CustomerId: s.CustomerID,
				Outcome: "superseded", At: timestamppb.New(at)}); err != nil {
				a.log.WarnContext(ctx, "telling a superseded win-back", "campaign", s.CampaignID, "customer", s.CustomerID, "error", err)
			}
		}
	}
	if err := a.store.DropCandidates(ctx, enrolledIDs(already)); err != nil {
		return nil, err
	}
	return out, a.follow(ctx, c, in, facts, already, at, out)
}

// follow starts the WinBack workflows, or returns the touches, of the
// page's treated customers still active without a touch.
func (a *App) follow(ctx context.Context, c adapters.Campaign, in *marketingv1.EnrolPageInput, facts []*marketingv1.CustomerFacts,
	enrolled map[string]adapters.Enrolment, at time.Time, out *marketingv1.EnrolPageResult) error {
	limits := LimitsOf(in.GetPressure())
	var touched map[string][]time.Time
	if c.Type != domain.TypeWinback {
		ids := make([]string, 0, len(facts))
		for _, f := range facts {
			ids = append(ids, f.GetCustomerId())
		}
		var err error
		if touched, err = a.store.TouchTimes(ctx, ids, at.Add(-limits.Longest())); err != nil {
			return err
		}
	}
	var cadences []*marketingv1.WinBackInput
	for _, f := range facts {
		e, ok := enrolled[f.GetCustomerId()]
		if !ok || e.Grp != adapters.GroupTreated || e.State != adapters.EnrolmentActive || e.Touches > 0 {
			continue
		}
		owner, team := e.OwnerID, e.Team
		if owner == "" {
			owner, team = c.OwnerID, c.Team
		}
		if c.Type == domain.TypeWinback {
			cadences = append(cadences, &marketingv1.WinBackInput{CampaignId: c.ID, CampaignName: c.Name, CustomerId: e.CustomerID,
				CustomerName: e.CustomerName, OwnerId: owner, Team: team, Region: f.GetRegion(), EnrolledAt: timestamppb.New(e.EnrolledAt)})
			continue
		}
		notBefore, _ := limits.NextAllowed(touched[e.CustomerID], at)
		due, ok := domain.OneTouchDue(c.Campaign, notBefore)
		if !ok {
			continue // the contact pressure defers it past the campaign's end
		}
		out.Touches = append(out.Touches, &marketingv1.Touch{TouchId: domain.TouchID(c.ID, e.CustomerID, 0), CampaignId: c.ID,
			CampaignName: c.Name, CustomerId: e.CustomerID, Action: domain.TouchAction(c.Channels), AssigneeId: owner, Team: team,
			DueAt: timestamppb.New(due), PlannedAt: timestamppb.New(maxTime(at, notBefore))})
	}
	return a.startCadences(ctx, cadences, out)
}

// StartsInFlight bounds the WinBack workflows one page starts at a time:
// each start is a round trip to the workflow engine, and a page of 500
// started one after the other took seconds.
const StartsInFlight = 16

// startCadences starts the WinBack workflows of a page, StartsInFlight at
// a time. Each start is idempotent (the workflow id is the customer's and
// the campaign's), so a page retried after a partial failure starts only
// the rest.
func (a *App) startCadences(ctx context.Context, cadences []*marketingv1.WinBackInput, out *marketingv1.EnrolPageResult) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(StartsInFlight)
	for _, in := range cadences {
		g.Go(func() error { return a.wf.StartWinBack(gctx, in) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	out.WorkflowsStarted += int32(len(cadences))
	return nil
}

func enrolledIDs(m map[string]adapters.Enrolment) []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// LimitsOf reads the contact-pressure limits a workflow resolved.
func LimitsOf(ps []*marketingv1.PressureLimit) domain.Limits {
	out := make(domain.Limits, 0, len(ps))
	for _, p := range ps {
		out = append(out, domain.Pressure{MaxTouches: int(p.GetMaxTouches()), Window: p.GetWindow().AsDuration()})
	}
	return out
}

// RecordTouches records touches the customer service planned, with their
// action plans; each once.
func (a *App) RecordTouches(ctx context.Context, in *marketingv1.RecordTouchesInput) error {
	for i, t := range in.GetTouches() {
		action := ""
		if i < len(in.GetActionIds()) {
			action = in.GetActionIds()[i]
		}
		if _, err := a.store.RecordTouch(ctx, touchRow(t, action)); err != nil {
			return err
		}
	}
	return nil
}

func touchRow(t *marketingv1.Touch, actionID string) adapters.Touch {
	return adapters.Touch{ID: t.GetTouchId(), CampaignID: t.GetCampaignId(), CustomerID: t.GetCustomerId(), Step: int(t.GetStep()),
		Action: t.GetAction(), AssigneeID: t.GetAssigneeId(), Team: t.GetTeam(), DueAt: t.GetDueAt().AsTime(), PlannedAt: t.GetPlannedAt().AsTime(),
		ActionID: actionID}
}

// FinishLaunch records what a campaign's launch enrolled (a newcomers run
// records nothing: the launch's figures stay the launch's).
func (a *App) FinishLaunch(ctx context.Context, in *marketingv1.CampaignLaunchInput) error {
	if in.GetSource() == SourceNewcomers {
		return nil
	}
	return a.finishLaunch(ctx, in) // notices.go: with the owner's notice
}
