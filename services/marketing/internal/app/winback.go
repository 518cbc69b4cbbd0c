package app

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// Why a win-back touch does not go ahead (WinBackTouchResult.skip_reason).
const (
	SkipOptedOut = "opted_out"
	SkipPressure = "pressure"
	SkipStopped  = "stopped"
)

// WinBackTouch decides one touch of a win-back cadence before the workflow
// plans it, and records it: the enrolment must still be active, the
// customer not opted out, and the touch within the contact-pressure limits
// (else not_before says when to ask again). A touch recorded already (a
// retry) goes ahead without being counted again.
func (a *App) WinBackTouch(ctx context.Context, in *marketingv1.WinBackTouchInput) (*marketingv1.WinBackTouchResult, error) {
	t := in.GetTouch()
	e, ok, err := a.store.Enrolment(ctx, t.GetCampaignId(), t.GetCustomerId())
	if err != nil {
		return nil, err
	}
	if !ok || e.State != adapters.EnrolmentActive {
		return &marketingv1.WinBackTouchResult{SkipReason: SkipStopped}, nil
	}
	opt, err := a.store.OptOuts(ctx, []string{t.GetCustomerId()})
	if err != nil {
		return nil, err
	}
	if _, out := opt[t.GetCustomerId()]; out {
		return &marketingv1.WinBackTouchResult{SkipReason: SkipOptedOut}, nil
	}
	done, err := a.store.Touches(ctx, t.GetCampaignId(), t.GetCustomerId())
	if err != nil {
		return nil, err
	}
	for _, d := range done {
		if d.ID == t.GetTouchId() {
			return &marketingv1.WinBackTouchResult{}, nil
		}
	}
	now := a.now()
	limits := LimitsOf(in.GetPressure())
	prev, err := a.store.TouchTimes(ctx, []string{t.GetCustomerId()}, now.Add(-limits.Longest()))
	if err != nil {
		return nil, err
	}
	if next, ok := limits.NextAllowed(prev[t.GetCustomerId()], now); !ok {
		return &marketingv1.WinBackTouchResult{SkipReason: SkipPressure, NotBefore: timestamppb.New(next)}, nil
	}
	row := touchRow(t, "")
	row.PlannedAt = now
	if _, err := a.store.RecordTouch(ctx, row); err != nil {
		return nil, err
	}
	return &marketingv1.WinBackTouchResult{}, nil
}

// EndWinBack records how a win-back cadence ended (once): responded (the
// response and the lead it became), opted_out (the customer's opt-out is
// stored too: no campaign touches them again), exhausted, cancelled,
// completed or superseded.
func (a *App) EndWinBack(ctx context.Context, in *marketingv1.WinBackEndInput) error {
	at := a.now()
	if in.GetAt() != nil {
		at = in.GetAt().AsTime()
	}
	e := adapters.Enrolment{CampaignID: in.GetCampaignId(), CustomerID: in.GetCustomerId(), Outcome: in.GetOutcome(), EndedAt: &at,
		LeadID: in.GetLeadId()}
	if r := in.GetResponse(); r != nil {
		rat := at
		if r.GetAt() != nil {
			rat = r.GetAt().AsTime()
		}
		e.RespondedAt, e.ResponseKind, e.ResponseRef = &rat, r.GetKind(), r.GetRef()
	}
	if in.GetOutcome() == "opted_out" {
		by := in.GetResponse().GetBy()
		if by == "" {
			by = "winback"
		}
		if _, err := a.store.AddOptOut(ctx, adapters.OptOut{CustomerID: in.GetCustomerId(), Reason: "opted out in reply to a win-back touch",
			CreatedBy: by, CreatedAt: at}); err != nil {
			return err
		}
	}
	_, err := a.store.EndEnrolment(ctx, e)
	return err
}

// WinBackSweepPage takes one page of lost customers whose inactivity
// period has passed: each enters the running win-back campaign that
// matches it and enrols newcomers (the earliest launched first), or is
// listed as a win-back candidate. A customer already in a win-back stays
// there; a campaign that had the customer once (a cadence that ran out)
// does not take them again.
func (a *App) WinBackSweepPage(ctx context.Context, in *marketingv1.EnrolPageInput) (*marketingv1.WinBackSweepResult, error) {
	at := a.now()
	if in.GetAt() != nil {
		at = in.GetAt().AsTime()
	}
	out := &marketingv1.WinBackSweepResult{Examined: int32(len(in.GetCustomers()))}
	if _, err := a.store.DropStaleCandidates(ctx, at.Add(-candidateStale)); err != nil {
		return nil, err
	}
	running, err := a.store.Running(ctx, string(domain.TypeWinback))
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.GetCustomers()))
	for i, f := range in.GetCustomers() {
		ids[i] = f.GetCustomerId()
	}
	active, err := a.store.Active(ctx, ids)
	if err != nil {
		return nil, err
	}
	runningIDs := make([]string, len(running))
	for i, c := range running {
		runningIDs[i] = c.ID
	}
	before, err := a.store.EnrolledIn(ctx, runningIDs, ids)
	if err != nil {
		return nil, err
	}
	pages := map[string][]*marketingv1.CustomerFacts{}
	var order []string
	for _, f := range in.GetCustomers() {
		if r, ok := active[f.GetCustomerId()]; ok && r.Type == string(domain.TypeWinback) {
			continue
		}
		matched := ""
		for _, c := range running {
			if c.EnrolNewcomers && !before[f.GetCustomerId()][c.ID] && c.Segment.Matches(FactsOf(f), at) {
				matched = c.ID
				break
			}
		}
		if matched == "" {
			if err := a.store.ListCandidate(ctx, candidateOf(f, at)); err != nil {
				return nil, err
			}
			out.Candidates++
			continue
		}
		if _, ok := pages[matched]; !ok {
			order = append(order, matched)
		}
		pages[matched] = append(pages[matched], f)
	}
	for _, id := range order {
		res, err := a.EnrolPage(ctx, &marketingv1.EnrolPageInput{CampaignId: id, Customers: pages[id], Source: SourceSweep, At: timestamppb.New(at)})
		if err != nil {
			return nil, err
		}
		out.Enrolled += res.GetEnrolled() + res.GetHeldOut()
	}
	return out, nil
}

// candidateStale: a candidate the daily sweep has not seen again for this
// long is no longer lost (or was deleted) and leaves the list.
const candidateStale = 48 * time.Hour

func candidateOf(f *marketingv1.CustomerFacts, at time.Time) adapters.Candidate {
	c := adapters.Candidate{CustomerID: f.GetCustomerId(), CustomerName: f.GetName(), OwnerID: f.GetOwnerId(), Team: f.GetTeam(),
		Region: f.GetRegion(), Industry: f.GetIndustry(), ValueClass: f.GetValueClass(), LostReason: f.GetLostReason(),
		LostCompetitor: f.GetLostCompetitor(), ListedAt: at, SeenAt: at}
	if f.GetLostAt() != nil {
		t := f.GetLostAt().AsTime()
		c.LostAt = &t
	}
	return c
}
