package app

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// Outcome pages.
const (
	defaultOutcomePage = 500
	maxOutcomePage     = 1000
)

// OutcomePage hands the CampaignOutcomes run the next page of enrolled
// customers whose sales outcomes it brings in: one campaign at a time, the
// running ones and those ended within the attribution window, in id
// order; outcomes count from the launch until the end of the attribution
// after the campaign's end.
func (a *App) OutcomePage(ctx context.Context, in *marketingv1.OutcomePageInput) (*marketingv1.OutcomePageResult, error) {
	limit := int(in.GetLimit())
	if limit <= 0 {
		limit = defaultOutcomePage
	}
	limit = min(limit, maxOutcomePage)
	asOf := a.now()
	if in.GetAsOf() != nil {
		asOf = in.GetAsOf().AsTime()
	}
	window := in.GetAttribution().AsDuration()
	campaign, afterCustomer, strictly := in.GetAfterCampaignId(), in.GetAfterCustomerId(), false
	for {
		c, ok, err := a.store.NextOutcomeCampaign(ctx, campaign, strictly, asOf.Add(-window))
		if err != nil {
			return nil, err
		}
		if !ok {
			return &marketingv1.OutcomePageResult{Done: true}, nil
		}
		if c.ID != campaign {
			afterCustomer = ""
		}
		es, err := a.store.Enrolments(ctx, c.ID, adapters.EnrolmentFilter{}, afterCustomer, limit)
		if err != nil {
			return nil, err
		}
		if len(es) == 0 {
			campaign, strictly = c.ID, true
			continue
		}
		out := &marketingv1.OutcomePageResult{CampaignId: c.ID, Since: timestamppb.New(*c.LaunchedAt), Until: timestamppb.New(asOf)}
		if end := endedAt(c); end != nil && end.Add(window).Before(asOf) {
			out.Until = timestamppb.New(end.Add(window))
		}
		for _, e := range es {
			out.CustomerIds = append(out.CustomerIds, e.CustomerID)
		}
		return out, nil
	}
}

func endedAt(c adapters.Campaign) *time.Time {
	if c.CompletedAt != nil {
		return c.CompletedAt
	}
	return c.CancelledAt
}

// RecordOutcomes stores what became of one page of a campaign's enrolled
// customers: their leads, opportunities, wins and revenue since the launch,
// and when each counts as won back (domain.WonBackAt: a win, or
// transacting again, within the attribution window of the enrolment).
// Recording a page twice stores the same figures.
func (a *App) RecordOutcomes(ctx context.Context, in *marketingv1.RecordOutcomesInput) error {
	at := a.now()
	if in.GetAt() != nil {
		at = in.GetAt().AsTime()
	}
	window := in.GetAttribution().AsDuration()
	es, err := a.store.Enrolled(ctx, in.GetCampaignId(), in.GetCustomerIds())
	if err != nil {
		return err
	}
	byCustomer := map[string]*marketingv1.CustomerOutcome{}
	for _, o := range in.GetOutcomes() {
		byCustomer[o.GetCustomerId()] = o
	}
	transacting := map[string]bool{}
	for _, f := range in.GetCustomers() {
		transacting[f.GetCustomerId()] = f.GetLifecycleStage() == "transacting"
	}
	var rows []adapters.Outcome
	for _, id := range in.GetCustomerIds() {
		e, ok := es[id]
		if !ok {
			continue
		}
		o := byCustomer[id]
		var firstWon *time.Time
		if o.GetFirstWonAt() != nil {
			t := o.GetFirstWonAt().AsTime()
			firstWon = &t
		}
		rows = append(rows, adapters.Outcome{CustomerID: id, Leads: int(o.GetLeads()), Opportunities: int(o.GetOpportunities()), Won: int(o.GetWon()),
			WonRevenue: o.GetWonRevenue(), WonBackAt: domain.WonBackAt(e.EnrolledAt, window, e.WonBackAt, firstWon, transacting[id], at), At: at})
	}
	return a.store.RecordOutcomes(ctx, in.GetCampaignId(), rows)
}
