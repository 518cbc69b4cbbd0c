package ports

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/faults"
	"github.com/closeloop/closeloop/platform/temporalx"
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
	"github.com/closeloop/closeloop/services/sales/internal/app"
)

// Activities are the sales service's Temporal activities, run by its worker
// on the sales task queue for the Lead and Opportunity workflows, and the
// reads the marketing workflows make. Each is idempotent: a retry after a
// lost reply stores nothing twice.
type Activities struct {
	Store *adapters.Store
	App   *app.App
}

// Register adds the activities under their contract names.
func (a *Activities) Register(r worker.Registry) {
	reg := func(fn any, name string) { r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name}) }
	reg(a.AssignLead, salesc.ActivityAssignLead)
	reg(a.RouteLead, salesc.ActivityRouteLead)
	reg(a.RecordEvent, salesc.ActivityRecordEvent)
	reg(a.ApplyLeadCommand, salesc.ActivityApplyLeadCommand)
	reg(a.CreateOpportunity, salesc.ActivityCreateOpportunity)
	reg(a.ApplyOpportunityCommand, salesc.ActivityApplyOpportunityCommand)
	reg(a.CustomerOutcomes, salesc.ActivityCustomerOutcomes)
}

// AfterAssign is the fault point (platform/faults) where an assignment is
// committed and the workflow task that ran it not yet completed: the sales
// service, which hosts new leads and writes their assignments as local
// activities, killed there leaves the assignment stored and unrecorded in
// the lead's history, so the restarted service runs it again (a retry of
// the same assignment number changes nothing).
const AfterAssign = "sales.after-assign-lead"

// AfterRoute is the fault point where a new lead's routing is committed
// (its rep reserved) and the workflow task that ran it not yet completed:
// the restarted service routes the lead again and is given the same rep.
const AfterRoute = "sales.after-route-lead"

// AssignLead assigns a lead.
func (a *Activities) AssignLead(ctx context.Context, in *salesv1.AssignLeadInput) (*salesv1.Assignment, error) {
	var lead *adapters.Lead
	if d := in.GetLead(); d != nil {
		lead = &adapters.Lead{ID: d.GetId(), Source: d.GetSource(), CustomerID: d.GetCustomerId(),
			CompanyName: d.GetCompanyName(), TaxID: d.GetTaxId(), ContactName: d.GetContactName(), ContactEmail: d.GetContactEmail(),
			ContactPhone: d.GetContactPhone(), Region: d.GetRegion(), Industry: d.GetIndustry(), Interest: d.GetInterest(),
			Notes: d.GetNotes(), ReceivedAt: d.GetReceivedAt().AsTime(), CreatedBy: d.GetCreatedBy()}
	}
	assign := adapters.AssignInput{Lead: lead, CustomerID: in.GetCustomerId(), CustomerCreated: in.GetCustomerCreated(),
		Team: in.GetTeam(), LeadID: in.GetLeadId(), OwnerID: in.GetOwnerId(), Actor: in.GetActor(),
		Reason: in.GetReason(), Exclude: in.GetExclude(), ToPool: in.GetToPool(), IgnoreCapacity: in.GetIgnoreCapacity(),
		Manual: in.GetManual(), AnyTerritory: in.GetAnyTerritory(), Seq: int(in.GetSeq()), At: in.GetAt().AsTime(), RequestID: in.GetRequestId(),
		Routed: in.GetRouted()}
	if in.GetStepDueAt() != nil {
		due := in.GetStepDueAt().AsTime()
		assign.StepDueAt = &due
	}
	l, err := a.Store.AssignLead(ctx, assign)
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	faults.Point(AfterAssign)
	a2 := assignment(l)
	a2.State = l.State
	return a2, nil
}

// RouteLead reserves the rep the territory rules give a new lead
// (adapters.Store.RouteLead); nobody when they give it none.
func (a *Activities) RouteLead(ctx context.Context, in *salesv1.RouteLeadInput) (*salesv1.RouteLeadResult, error) {
	d := in.GetLead()
	if d.GetId() == "" {
		return nil, temporalx.NonRetryable(apperr.Invalid("invalid", "RouteLead needs the lead"))
	}
	r, ok, err := a.Store.RouteLead(ctx, adapters.RouteInput{LeadID: d.GetId(), Region: d.GetRegion(), Industry: d.GetIndustry()})
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	faults.Point(AfterRoute)
	if !ok {
		return &salesv1.RouteLeadResult{}, nil
	}
	return &salesv1.RouteLeadResult{OwnerId: r.OwnerID, Team: r.Team, TerritoryId: r.TerritoryID, Reason: r.Why}, nil
}

// RecordEvent appends a timeline event.
func (a *Activities) RecordEvent(ctx context.Context, in *salesv1.TimelineEvent) error {
	return temporalx.NonRetryable(a.Store.RecordEvent(ctx, adapters.Event{ID: in.GetId(), SubjectType: in.GetSubjectType(), SubjectID: in.GetSubjectId(),
		Kind: in.GetKind(), Actor: in.GetActor(), Summary: in.GetSummary(), Data: in.GetDataJson(), At: in.GetAt().AsTime()}))
}

// ApplyLeadCommand applies a contact, qualification, disqualification or conversion.
func (a *Activities) ApplyLeadCommand(ctx context.Context, in *salesv1.LeadCommand) (*salesv1.LeadSnapshot, error) {
	c := adapters.LeadCommand{LeadID: in.GetLeadId(), Op: in.GetOp(), Actor: in.GetActor(), Reason: in.GetReason(), Channel: in.GetChannel(),
		Summary: in.GetSummary(), EventID: in.GetEventId(), At: in.GetAt().AsTime()}
	if o := in.GetOpportunity(); o != nil {
		rec := opportunityRecord(o)
		rec.CreatedAt = in.GetAt().AsTime()
		c.Opportunity = &rec
	}
	l, err := a.Store.ApplyLeadCommand(ctx, c)
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	return LeadSnapshot(l), nil
}

// CreateOpportunity stores a new opportunity.
func (a *Activities) CreateOpportunity(ctx context.Context, in *salesv1.OpportunityData) (*salesv1.OpportunitySnapshot, error) {
	rec := opportunityRecord(in)
	o, err := a.Store.CreateOpportunity(ctx, &rec)
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	return OpportunitySnapshot(o), nil
}

// ApplyOpportunityCommand moves or closes an opportunity.
func (a *Activities) ApplyOpportunityCommand(ctx context.Context, in *salesv1.OpportunityCommand) (*salesv1.OpportunitySnapshot, error) {
	o, err := a.Store.ApplyOpportunityCommand(ctx, adapters.OppCommand{ID: in.GetOpportunityId(), Op: in.GetOp(), Actor: in.GetActor(),
		Reason: in.GetReason(), Competitor: in.GetCompetitor(), EventID: in.GetEventId(), ToStage: int(in.GetToStage()),
		MayGoBack: in.GetMayGoBack(), At: in.GetAt().AsTime()})
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	return OpportunitySnapshot(o), nil
}

// CustomerOutcomes says what became of up to domain.MaxOutcomeCustomers
// customers in sales in a period (app.CustomerOutcomes): since unset is no
// lower bound, until unset is now. Malformed input fails non-retryable,
// with the error type "invalid".
func (a *Activities) CustomerOutcomes(ctx context.Context, in *marketingv1.CustomerOutcomesInput) (*marketingv1.CustomerOutcomesResult, error) {
	var since time.Time
	if in.GetSince() != nil {
		since = in.GetSince().AsTime()
	}
	var until *time.Time
	if in.GetUntil() != nil {
		t := in.GetUntil().AsTime()
		until = &t
	}
	outcomes, err := a.App.CustomerOutcomes(ctx, in.GetCustomerIds(), since, until)
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	res := &marketingv1.CustomerOutcomesResult{Outcomes: make([]*marketingv1.CustomerOutcome, 0, len(outcomes))}
	for _, o := range outcomes {
		out := &marketingv1.CustomerOutcome{CustomerId: o.CustomerID, Leads: int32(o.Leads), Opportunities: int32(o.Opportunities),
			Won: int32(o.Won), WonRevenue: o.WonRevenue}
		if !o.FirstWonAt.IsZero() {
			out.FirstWonAt = timestamppb.New(o.FirstWonAt)
		}
		res.Outcomes = append(res.Outcomes, out)
	}
	return res, nil
}

func opportunityRecord(o *salesv1.OpportunityData) adapters.Opportunity {
	rec := adapters.Opportunity{ID: o.GetId(), LeadID: o.GetLeadId(), CustomerID: o.GetCustomerId(), Name: o.GetName(), OwnerID: o.GetOwnerId(),
		Team: o.GetTeam(), TerritoryID: o.GetTerritoryId(), Region: o.GetRegion(), Stage: int(o.GetStage()), AmountMinor: o.GetAmountMinor(),
		Currency: o.GetCurrency(), ExpectedClose: o.GetExpectedClose(), Probability: int(o.GetProbability()), CreatedBy: o.GetCreatedBy()}
	if o.GetCreatedAt() != nil {
		rec.CreatedAt = o.GetCreatedAt().AsTime()
	}
	return rec
}

func assignment(l adapters.Lead) *salesv1.Assignment {
	a := &salesv1.Assignment{OwnerId: l.OwnerID, Team: l.Team, TerritoryId: l.TerritoryID, ManagerId: l.ManagerID, Pooled: l.Pooled,
		Reason: l.AssignmentWhy, Seq: int32(l.AssignmentSeq)}
	if l.AssignedAt != nil {
		a.AssignedAt = timestamppb.New(*l.AssignedAt)
	}
	return a
}

// LeadSnapshot converts a stored lead.
func LeadSnapshot(l adapters.Lead) *salesv1.LeadSnapshot {
	s := &salesv1.LeadSnapshot{LeadId: l.ID, State: l.State, Assignment: assignment(l), CustomerId: l.CustomerID, OpportunityId: l.OpportunityID}
	if l.FirstContactAt != nil {
		s.FirstContactAt = timestamppb.New(*l.FirstContactAt)
	}
	return s
}

// OpportunitySnapshot converts a stored opportunity.
func OpportunitySnapshot(o adapters.Opportunity) *salesv1.OpportunitySnapshot {
	return &salesv1.OpportunitySnapshot{OpportunityId: o.ID, Stage: int32(o.Stage), Status: o.Status, StageEnteredAt: timestamppb.New(o.StageEnteredAt),
		OwnerId: o.OwnerID, Team: o.Team, TerritoryId: o.TerritoryID, CustomerId: o.CustomerID, Region: o.Region}
}
