package ports

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/temporalx"
	servicec "github.com/closeloop/closeloop/proto/contract/service"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// Activities are the after-sales service's Temporal activities, run by its
// worker on the service task queue for the ServiceCase workflow. Each is
// idempotent: a retry after a lost reply stores nothing twice.
type Activities struct {
	Cases *adapters.Cases
	SLA   *adapters.SLA
}

// Register adds the activities under their contract names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.ApplyCaseCommand, activity.RegisterOptions{Name: servicec.ActivityApplyCaseCommand})
	r.RegisterActivityWithOptions(a.RecordCaseSla, activity.RegisterOptions{Name: servicec.ActivityRecordCaseSla})
}

// ApplyCaseCommand applies a change the workflow decided, with the domain's
// rules, in one transaction with its timeline entries (whose first id is the
// command's entry id: a retried call finds it and changes nothing).
func (a *Activities) ApplyCaseCommand(ctx context.Context, in *servicev1.CaseCommand) (*servicev1.CaseSnapshot, error) {
	cmd := domain.Command{Op: in.GetOp(), Actor: in.GetActor(), Reason: in.GetReason(), To: in.GetToState(),
		CustomerRequest: in.GetCustomerRequest(), Direction: in.GetDirection(), Body: in.GetBody(), AssigneeID: in.GetAssigneeId(),
		Team: in.GetTeam(), Priority: in.GetPriority(), ReopenWindow: time.Duration(in.GetReopenWindowMs()) * time.Millisecond,
		AutoCloseAfter: time.Duration(in.GetAutoCloseAfterMs()) * time.Millisecond}
	c, err := a.Cases.Update(ctx, in.GetCaseId(), func(c *domain.Case) ([]domain.Entry, error) {
		out, es, err := domain.Apply(*c, cmd, in.GetAt().AsTime())
		if err != nil {
			return nil, err
		}
		if len(es) > 0 {
			es[0].ID = in.GetEntryId()
		}
		*c = out
		return es, nil
	})
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	return CaseSnapshot(c), nil
}

// RecordCaseSla writes an SLA target's row (and the timeline entry of a result).
func (a *Activities) RecordCaseSla(ctx context.Context, in *servicev1.SlaRecord) error {
	row := adapters.SLARow{CaseID: in.GetCaseId(), Target: in.GetTarget(), State: in.GetState(), Priority: in.GetPriority(),
		BudgetMs: in.GetBudgetMs(), Business: in.GetBusiness(), Calendar: in.GetCalendar(), DueAt: tp(in.GetDueAt()),
		WarnAt: tp(in.GetWarnAt()), WarnedAt: tp(in.GetWarnedAt()), PausedSince: tp(in.GetPausedSince()), PausedMs: in.GetPausedMs(),
		MetAt: tp(in.GetMetAt()), BreachedAt: tp(in.GetBreachedAt()), RemainingMs: in.GetRemainingMs(), FollowUpID: in.GetFollowUpId(),
		UpdatedAt: tp(in.GetUpdatedAt())}
	if in.GetMetAt() != nil {
		used := in.GetUsedMs()
		row.UsedMs = &used
	}
	var result *domain.Entry
	if in.GetEntryKind() != "" {
		c, err := a.Cases.Get(ctx, in.GetCaseId())
		if err != nil {
			return temporalx.NonRetryable(err)
		}
		met := in.GetEntryKind() == domain.KindSLAMet
		at, due := in.GetBreachedAt().AsTime(), in.GetDueAt().AsTime()
		if met {
			at = in.GetMetAt().AsTime()
		} else {
			due = at // a breach is recorded at the deadline it missed
		}
		e, err := domain.SLAResult(c, in.GetTarget(), met, due, at)
		if err != nil {
			return temporalx.NonRetryable(err)
		}
		e.ID = in.GetEntryId()
		result = &e
	}
	return temporalx.NonRetryable(a.SLA.Record(ctx, row, result))
}

// CaseSnapshot is a stored case as the workflow knows it.
func CaseSnapshot(c domain.Case) *servicev1.CaseSnapshot {
	return &servicev1.CaseSnapshot{CaseId: c.ID, CustomerId: c.CustomerID, State: c.State, Priority: c.Priority, AssigneeId: c.AssigneeID,
		Team: c.Team, Subject: c.Subject, Type: c.Type, CreatedBy: c.CreatedBy, CreatedAt: timestamppb.New(c.CreatedAt),
		FirstResponseAt: pt(c.FirstResponseAt), ResolvedAt: pt(c.ResolvedAt), ClosedAt: pt(c.ClosedAt), ReopenedCount: int32(c.ReopenedCount),
		Version: c.Version, ReportedAt: pt(c.ReportedAt)}
}

func tp(t *timestamppb.Timestamp) *time.Time {
	if t == nil {
		return nil
	}
	u := t.AsTime()
	return &u
}

func pt(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}
