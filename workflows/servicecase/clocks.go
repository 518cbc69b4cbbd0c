package servicecase

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	servicec "github.com/closeloop/closeloop/proto/contract/service"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/sla"
)

// target is one SLA target of the case: its clock, the budget it counts,
// and the follow-up that chases it while it runs (chase.go).
type target struct {
	name  sla.Target
	kind  string
	clock sla.Clock
	b     budget
	// written is the row as last written, so an unchanged row is not
	// written again.
	written *servicev1.SlaRecord
	chaseState
}

func newTarget(ctx workflow.Context, name sla.Target) *target {
	kind := policy.KindServiceResponse
	if name == sla.Resolution {
		kind = policy.KindServiceResolution
	}
	return &target{name: name, kind: kind, chaseState: newChaseState(ctx)}
}

// clocksAfter moves the clocks as a change of the case says (before → after
// at now), whoever made it:
//
//   - the first outbound reply meets first response;
//   - resolving meets resolution — and first response, if no reply did
//     (the resolution answered the customer);
//   - waiting on the customer pauses every running clock; leaving that
//     state resumes them;
//   - reopening runs resolution again (the time resolved counts as hold);
//   - a new priority or team re-reads the budgets (the team's calendar may
//     differ) and re-computes from the anchor.
func (w *caseWF) clocksAfter(ctx workflow.Context, before, after *servicev1.CaseSnapshot, now time.Time) error {
	resp, res := w.targets[0], w.targets[1]
	meet := func(t *target) error {
		if t.clock.IsMet() {
			return nil
		}
		if t.clock.IsPaused() {
			if err := t.clock.Resume(now); err != nil {
				return bad(err)
			}
		}
		return bad(t.clock.Meet(t.b.cal, now))
	}
	if before.GetFirstResponseAt() == nil && after.GetFirstResponseAt() != nil {
		if err := meet(resp); err != nil {
			return err
		}
	}
	if after.GetReopenedCount() > before.GetReopenedCount() && res.clock.IsMet() {
		if err := res.clock.Reopen(now); err != nil {
			return bad(err)
		}
	}
	if after.GetState() == StateResolved && before.GetState() != StateResolved {
		if err := meet(resp); err != nil {
			return err
		}
		if err := meet(res); err != nil {
			return err
		}
	}
	switch {
	case after.GetState() == StatePendingCustomer && before.GetState() != StatePendingCustomer:
		for _, t := range w.targets {
			if !t.clock.IsMet() && !t.clock.IsPaused() {
				if err := t.clock.Pause(now); err != nil {
					return bad(err)
				}
			}
		}
	case before.GetState() == StatePendingCustomer && after.GetState() != StatePendingCustomer:
		for _, t := range w.targets {
			if t.clock.IsPaused() {
				if err := t.clock.Resume(now); err != nil {
					return bad(err)
				}
			}
		}
	}
	if after.GetPriority() != before.GetPriority() || after.GetTeam() != before.GetTeam() {
		if after.GetTeam() != before.GetTeam() {
			if err := w.refresh(ctx); err != nil {
				return err
			}
		}
		if err := w.rebudget(); err != nil {
			return err
		}
	}
	for _, t := range w.targets {
		t.clock.Check(t.b.cal, now)
	}
	return nil
}

func bad(err error) error {
	if err == nil {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), "invalid", nil)
}

// record writes every target's row that changed since it was last written,
// with the timeline entry of a new result (met, breached).
func (w *caseWF) record(ctx workflow.Context, now time.Time) error {
	for _, t := range w.targets {
		rec := w.row(t, now)
		if t.written != nil && sameRow(t.written, rec) {
			continue
		}
		switch {
		case rec.GetBreachedAt() != nil && t.written.GetBreachedAt() == nil:
			rec.EntryKind, rec.EntryId = "sla_breached", w.snap.GetCaseId()+":"+string(t.name)+":breached"
		case rec.GetMetAt() != nil && rec.GetBreachedAt() == nil && t.written.GetMetAt() == nil:
			rec.EntryKind = "sla_met"
			rec.EntryId = w.snap.GetCaseId() + ":" + string(t.name) + ":met:" + strconv.Itoa(int(w.snap.GetReopenedCount()))
		}
		if err := workflow.ExecuteActivity(w.svc, servicec.ActivityRecordCaseSla, rec).Get(ctx, nil); err != nil {
			return err
		}
		if rec.GetEntryKind() == "sla_breached" {
			what := "first response"
			if t.name == sla.Resolution {
				what = "resolution"
			}
			if err := w.tell(ctx, rec.GetEntryId(), "workflow", []historyEvent{{"breached", "the " + what + " target was missed"}}); err != nil {
				return err
			}
		}
		t.written = rec
	}
	return nil
}

// sameRow: nothing but the remaining time (which moves with the clock) and
// the instant of writing differs.
func sameRow(a, b *servicev1.SlaRecord) bool {
	x, y := proto.Clone(a).(*servicev1.SlaRecord), proto.Clone(b).(*servicev1.SlaRecord)
	for _, r := range []*servicev1.SlaRecord{x, y} {
		r.RemainingMs, r.UpdatedAt, r.EntryKind, r.EntryId = 0, nil, "", ""
	}
	return proto.Equal(x, y)
}

// row is target t's row as of now.
func (w *caseWF) row(t *target, now time.Time) *servicev1.SlaRecord {
	v := view(t, now)
	rec := &servicev1.SlaRecord{
		CaseId: w.snap.GetCaseId(), Target: string(t.name), State: v.GetState(), Priority: w.snap.GetPriority(),
		BudgetMs: v.GetBudgetMs(), Business: v.GetBusiness(), Calendar: v.GetCalendar(), DueAt: v.GetDueAt(), WarnAt: v.GetWarnAt(),
		PausedMs: v.GetPausedMs(), MetAt: v.GetMetAt(), BreachedAt: v.GetBreachedAt(), RemainingMs: v.GetRemainingMs(),
		FollowUpId: t.fuID, UpdatedAt: timestamppb.New(now),
	}
	if !t.clock.WarnedAt.IsZero() {
		rec.WarnedAt = timestamppb.New(t.clock.WarnedAt)
	}
	if t.clock.IsPaused() {
		rec.PausedSince = timestamppb.New(t.clock.PausedSince)
	}
	if t.clock.IsMet() {
		rec.UsedMs = t.clock.Used(t.b.cal, t.clock.MetAt).Milliseconds()
	}
	if !t.running {
		rec.FollowUpId = ""
	}
	return rec
}

// view is target t as people see it at now.
func view(t *target, now time.Time) *servicev1.SlaView {
	c, cal := t.clock, t.b.cal
	if c.Anchor.IsZero() {
		return &servicev1.SlaView{Target: string(t.name), State: string(sla.Running)}
	}
	st := c.State(cal, now)
	v := &servicev1.SlaView{
		Target: string(t.name), State: string(st), DueAt: timestamppb.New(c.Due(cal, now)),
		RemainingMs: c.Remaining(cal, now).Milliseconds(), PausedMs: c.OnHold(cal, now).Milliseconds(),
		BudgetMs: c.Budget.Milliseconds(), Business: c.Business, Calendar: t.b.calName,
	}
	if st == sla.Warning {
		v.State, v.AtRisk = string(sla.Running), true
	}
	if at, ok := c.WarnAt(cal, now); ok {
		v.WarnAt = timestamppb.New(at)
	}
	if c.IsMet() {
		v.MetAt = timestamppb.New(c.MetAt)
	}
	if !c.BreachedAt.IsZero() {
		v.BreachedAt = timestamppb.New(c.BreachedAt)
	}
	if t.running {
		v.FollowUpId = t.fuID
		if t.state != nil {
			v.Level = t.state().GetLevel()
		}
	}
	if !c.Business {
		v.Calendar = ""
	}
	return v
}

// snapshot is the case with its targets as of now.
func (w *caseWF) snapshot(now time.Time) *servicev1.CaseSnapshot {
	s := proto.Clone(w.snap).(*servicev1.CaseSnapshot)
	for _, t := range w.targets {
		if t.clock.Anchor.IsZero() {
			continue // not started yet (the workflow's first moments): no target to show
		}
		s.Sla = append(s.Sla, view(t, now))
	}
	if at, ok := w.autoCloseAt(); ok {
		s.AutoCloseAt = timestamppb.New(at)
	}
	if r := w.snap.GetResolvedAt(); r != nil && w.snap.GetState() == StateResolved && w.terms != nil {
		s.ReopenUntil = timestamppb.New(r.AsTime().Add(w.terms.reopenWindow()))
	}
	return s
}

// clockOf and clockFrom carry a clock through continue-as-new.
func clockOf(c sla.Clock) *servicev1.SlaClock {
	out := &servicev1.SlaClock{Target: string(c.Target), Anchor: ts(c.Anchor), BudgetNs: int64(c.Budget), Business: c.Business,
		WarnShare: c.WarnShare, PausedSince: ts(c.PausedSince), WarnedAt: ts(c.WarnedAt), BreachedAt: ts(c.BreachedAt), MetAt: ts(c.MetAt)}
	for _, h := range c.Paused {
		out.Paused = append(out.Paused, &servicev1.Hold{Start: ts(h.Start), End: ts(h.End)})
	}
	return out
}

func clockFrom(p *servicev1.SlaClock) sla.Clock {
	c := sla.Clock{Target: sla.Target(p.GetTarget()), Anchor: tm(p.GetAnchor()), Budget: time.Duration(p.GetBudgetNs()), Business: p.GetBusiness(),
		WarnShare: p.GetWarnShare(), PausedSince: tm(p.GetPausedSince()), WarnedAt: tm(p.GetWarnedAt()), BreachedAt: tm(p.GetBreachedAt()),
		MetAt: tm(p.GetMetAt())}
	for _, h := range p.GetPaused() {
		c.Paused = append(c.Paused, sla.Interval{Start: tm(h.GetStart()), End: tm(h.GetEnd())})
	}
	return c
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func tm(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

// closeNote is the close of a chase the workflow ends itself.
func closeNote(state, note string) *followupv1.CloseSignal {
	return &followupv1.CloseSignal{State: state, By: "workflow", Note: note}
}
