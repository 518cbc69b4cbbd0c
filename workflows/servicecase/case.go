package servicecase

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	servicec "github.com/closeloop/closeloop/proto/contract/service"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/sla"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// callService is the activity options of the case workflow (wfx's one
// convention): retried until they succeed, except business refusals, which
// the activities fail as non-retryable.
func callService(ctx workflow.Context) workflow.Context {
	return wfx.Activities(ctx, wfx.Call{Queue: servicec.TaskQueue, NonRetryable: []string{"invalid", "not_found"}})
}

type caseWF struct {
	snap    *servicev1.CaseSnapshot
	targets []*target // first response, resolution
	terms   *terms
	// fresh: the terms were resolved since the last decision point.
	fresh   bool
	mu      workflow.Mutex
	svc     workflow.Context
	changed bool  // an update changed the case since the loop last looked
	err     error // a chase failed: the workflow fails with it
	// history: the case's changes go on the customer's history (version 1
	// of versionHistory).
	history bool
	// alarms: the loop and the chases wait on one timer (versionAlarms);
	// nil in executions started before.
	alarms *wfx.Alarms
	wfx.Runs
}

// ServiceCase is the ServiceCase workflow (ServiceCase:<id>); see the
// package documentation.
func ServiceCase(ctx workflow.Context, in *servicev1.CaseInput) (*servicev1.CaseSnapshot, error) {
	c := in.GetCase()
	if c.GetCaseId() == "" || c.GetCreatedAt() == nil || c.GetCustomerId() == "" {
		return nil, temporal.NewNonRetryableApplicationError("a case needs an id, a customer and created_at", "invalid", nil)
	}
	w := &caseWF{snap: proto.Clone(c).(*servicev1.CaseSnapshot), mu: workflow.NewMutex(ctx), svc: callService(ctx),
		Runs: wfx.Runs{Limit: in.GetContinueAsNewAfter()}}
	w.snap.Sla = nil
	for _, t := range []sla.Target{sla.FirstResponse, sla.Resolution} {
		w.targets = append(w.targets, newTarget(ctx, t))
	}
	if err := workflow.SetQueryHandler(ctx, wfc.QueryCaseState, func() (*servicev1.CaseSnapshot, error) {
		return w.snapshot(workflow.Now(ctx)), nil
	}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, wfc.UpdateCaseCommand, w.command,
		workflow.UpdateHandlerOptions{Validator: w.validate}); err != nil {
		return nil, err
	}
	w.route(ctx) // policy-change and close signals to the chases (chase.go)
	w.history = workflow.GetVersion(ctx, versionHistory, workflow.DefaultVersion, 1) >= 1
	if workflow.GetVersion(ctx, versionAlarms, workflow.DefaultVersion, 1) >= 1 {
		w.alarms = wfx.NewAlarms(ctx)
	}

	if err := w.refresh(ctx); err != nil {
		return nil, err
	}
	if carried := in.GetCarried(); carried != nil {
		w.restore(carried)
		if err := w.rebudget(); err != nil {
			return nil, err
		}
	} else if err := w.start(ctx); err != nil {
		return nil, err
	} else if err := w.tell(ctx, w.snap.GetCaseId()+":filed", w.snap.GetCreatedBy(), []historyEvent{{"filed", "case filed"}}); err != nil {
		return nil, err
	}

	for {
		if w.err != nil {
			return nil, w.err
		}
		if err := w.decide(ctx); err != nil {
			return nil, err
		}
		if w.snap.GetState() == StateClosed && !w.chasing() {
			break
		}
		if w.ContinueDue(ctx) {
			if err := w.suspendChases(ctx); err != nil {
				return nil, err
			}
			if w.ContinueDue(ctx) && !w.chasing() {
				return nil, w.continueAsNew(ctx)
			}
			continue
		}
		now := workflow.Now(ctx)
		wake, timed := w.nextWake()
		w.changed = false
		cond := func() bool { return w.changed || w.err != nil || w.chaseOutOfStep(ctx) || w.ContinueDue(ctx) }
		if !timed {
			if err := workflow.Await(ctx, cond); err != nil {
				return nil, err
			}
			continue
		}
		var (
			woke bool
			err  error
		)
		if w.alarms != nil {
			woke, err = w.alarms.Until(ctx, wake, cond)
		} else {
			woke, err = workflow.AwaitWithTimeout(ctx, max(0, wake.Sub(now)), cond)
		}
		if err != nil {
			return nil, err
		}
		// A timer (a warning point, a deadline, the automatic close) was a
		// decision point that re-read the policies; policy changes arrive as
		// signals (which mark the terms stale, chase.go) and reach the
		// follow-ups on their own, so executions since versionTimerTerms
		// keep the terms they have: one activity less per deadline.
		if !woke && workflow.GetVersion(ctx, versionTimerTerms, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			w.fresh = false
		}
	}
	if workflow.GetVersion(ctx, versionSurvey, workflow.DefaultVersion, 1) >= 1 {
		if err := w.survey(ctx); err != nil {
			return nil, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return nil, err
	}
	return w.snapshot(workflow.Now(ctx)), nil
}

// versionSurvey marks executions that issue the satisfaction survey after
// the close; executions that closed before it did not.
const versionSurvey = "service-case-survey"

// survey waits the survey delay (service.survey_delay) after the close and
// has the service decide and send the case's satisfaction survey (it skips
// what must not be surveyed and records why). A refusal — the case is not
// closed, or gone — is logged: the case's workflow does not fail for its
// survey.
func (w *caseWF) survey(ctx workflow.Context) error {
	closed := w.snap.GetClosedAt()
	if closed == nil {
		return nil
	}
	if err := w.refresh(ctx); err != nil {
		return err
	}
	due, nps := w.terms.surveyDue(closed.AsTime()), w.terms.npsPeriod()
	if d := due.Sub(workflow.Now(ctx)); d > 0 {
		if err := workflow.Sleep(ctx, d); err != nil {
			return err
		}
	}
	var res servicev1.IssueSurveyResult
	err := workflow.ExecuteActivity(w.svc, servicec.ActivityIssueSurvey, &servicev1.IssueSurveyInput{
		CaseId: w.snap.GetCaseId(), NpsPeriodMs: nps.Milliseconds()}).Get(ctx, &res)
	if err != nil {
		if _, refused := wfx.AsRefusal(err); refused && !temporal.IsCanceledError(err) {
			workflow.GetLogger(ctx).Warn("the case's survey was refused", "case_id", w.snap.GetCaseId(), "error", err)
			return nil
		}
		return err
	}
	workflow.GetLogger(ctx).Info("survey decided", "case_id", w.snap.GetCaseId(), "outcome", res.GetOutcome())
	return nil
}

// start sets the clocks of a new case running from its filing and writes
// their rows.
func (w *caseWF) start(ctx workflow.Context) error {
	// An update that arrives meanwhile waits until the clocks run: it moves
	// them. Executions started before did not wait (versionStartLocked).
	if workflow.GetVersion(ctx, versionStartLocked, workflow.DefaultVersion, 1) >= 1 {
		if err := w.mu.Lock(ctx); err != nil {
			return err
		}
		defer w.mu.Unlock()
	}
	anchor := w.snap.GetCreatedAt().AsTime()
	if r := w.snap.GetReportedAt(); r != nil && r.AsTime().Before(anchor) {
		anchor = r.AsTime() // reported before it was filed: the clocks count from the report
	}
	for _, t := range w.targets {
		b, err := w.terms.budgetFor(t.name, w.snap.GetPriority())
		if err != nil {
			return err
		}
		if t.clock, err = sla.New(t.name, anchor, b.amount, b.business, b.warnShare); err != nil {
			return temporal.NewNonRetryableApplicationError(err.Error(), "invalid", nil)
		}
		t.b = b
	}
	return w.record(ctx, workflow.Now(ctx))
}

// versionTimerTerms marks executions that do not re-read the policies at
// every timer (see the main loop).
const versionTimerTerms = "service-case-timer-terms"

// versionAlarms marks executions whose loop and chases wait on one shared
// timer (wfx.Alarms): a deadline and the first step of its follow-up's
// ladder then wake together instead of the second a second late.
const versionAlarms = "service-case-alarms"

// versionStartLocked marks executions whose start holds the mutex.
const versionStartLocked = "service-case-start-locked"

// decide is the loop's decision point: the terms in force (after a timer, a
// policy change or a change of priority or team), the clocks' warnings and
// breaches, the automatic close, and which targets are chased.
func (w *caseWF) decide(ctx workflow.Context) error {
	if err := w.mu.Lock(ctx); err != nil {
		return err
	}
	defer w.mu.Unlock()
	if !w.fresh {
		if err := w.refresh(ctx); err != nil {
			return err
		}
		if err := w.rebudget(); err != nil {
			return err
		}
	}
	now := workflow.Now(ctx)
	for _, t := range w.targets {
		t.clock.Check(t.b.cal, now)
	}
	if err := w.record(ctx, now); err != nil {
		return err
	}
	if at, ok := w.autoCloseAt(); ok && !now.Before(at) {
		if err := w.apply(ctx, &servicev1.CaseCommand{Op: OpAutoClose, Actor: "workflow",
			AutoCloseAfterMs: at.Sub(w.snap.GetResolvedAt().AsTime()).Milliseconds()}); err != nil {
			return err
		}
	}
	w.chase(ctx) // chase.go
	return w.record(ctx, now)
}

// refresh resolves the terms in force for the case's team.
func (w *caseWF) refresh(ctx workflow.Context) error {
	t, err := resolvePolicies(ctx, w.snap.GetTeam())
	if err != nil {
		return err
	}
	w.terms, w.fresh = t, true
	return nil
}

// rebudget applies the resolved terms to every clock not yet met: a new
// priority, a changed policy or calendar re-computes the deadline from the
// case's anchor, keeping every hold (sla.Clock.Reprioritise).
func (w *caseWF) rebudget() error {
	for _, t := range w.targets {
		b, err := w.terms.budgetFor(t.name, w.snap.GetPriority())
		if err != nil {
			return err
		}
		t.b.cal, t.b.calName = b.cal, b.calName
		if t.clock.IsMet() {
			continue
		}
		if b.amount != t.clock.Budget || b.business != t.clock.Business {
			if err := t.clock.Reprioritise(b.amount, b.business); err != nil {
				return temporal.NewNonRetryableApplicationError(err.Error(), "invalid", nil)
			}
		}
		t.clock.WarnShare, t.b = b.warnShare, b
	}
	return nil
}

// nextWake is when the loop must look again by itself: a clock's warning
// point or deadline, or the automatic close.
func (w *caseWF) nextWake() (time.Time, bool) {
	var at time.Time
	for _, t := range w.targets {
		if n, ok := t.clock.NextInstant(t.b.cal); ok && (at.IsZero() || n.Before(at)) {
			at = n
		}
	}
	if n, ok := w.autoCloseAt(); ok && (at.IsZero() || n.Before(at)) {
		at = n
	}
	return at, !at.IsZero()
}

func (w *caseWF) autoCloseAt() (time.Time, bool) {
	if w.snap.GetState() != StateResolved || w.snap.GetResolvedAt() == nil || w.terms == nil {
		return time.Time{}, false
	}
	return w.terms.autoCloseAt(w.snap.GetResolvedAt().AsTime())
}

func (w *caseWF) current() Case {
	c := Case{State: w.snap.GetState(), Priority: w.snap.GetPriority()}
	if r := w.snap.GetResolvedAt(); r != nil {
		c.ResolvedAt = r.AsTime()
	}
	if w.terms != nil {
		c.ReopenWindow = w.terms.reopenWindow()
	}
	return c
}

func (w *caseWF) validate(ctx workflow.Context, cmd *servicev1.CaseCommand) error {
	if w.Applied.Seen(ctx) {
		return nil
	}
	if cmd.GetOp() == OpAutoClose {
		return (&wfx.Refusal{Code: CodeInvalid, Field: "op", Message: "one of state, reopen, reply, note, assign, priority"}).Err()
	}
	return CheckCommand(w.current(), Command{Op: cmd.GetOp(), ToState: cmd.GetToState(), Direction: cmd.GetDirection(),
		Priority: cmd.GetPriority()}, workflow.Now(ctx)).Err()
}

// command is the case-command update: a person's change, applied by the
// service's activity, then passed on to the clocks.
func (w *caseWF) command(ctx workflow.Context, cmd *servicev1.CaseCommand) (*servicev1.CaseSnapshot, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return nil, err
	}
	defer w.mu.Unlock()
	if w.Applied.Seen(ctx) { // a request retried after the workflow continued as new
		return w.snapshot(workflow.Now(ctx)), nil
	}
	w.Decided++
	if err := w.validate(ctx, cmd); err != nil { // the case may have moved while waiting for the lock
		return nil, err
	}
	cmd = proto.Clone(cmd).(*servicev1.CaseCommand)
	cmd.EntryId = w.snap.GetCaseId() + ":" + workflow.GetCurrentUpdateInfo(ctx).ID
	if err := w.apply(ctx, cmd); err != nil {
		return nil, err
	}
	w.Applied.Add(ctx)
	return w.snapshot(workflow.Now(ctx)), nil
}

// apply has the service apply cmd to the record, then moves the clocks as
// the change says and writes them. The caller holds the mutex.
func (w *caseWF) apply(ctx workflow.Context, cmd *servicev1.CaseCommand) error {
	now := workflow.Now(ctx)
	cmd.CaseId, cmd.At = w.snap.GetCaseId(), timestamppb.New(now)
	if cmd.EntryId == "" {
		cmd.EntryId = w.snap.GetCaseId() + ":" + cmd.GetOp() + ":" + now.UTC().Format(time.RFC3339Nano)
	}
	if w.terms != nil {
		cmd.ReopenWindowMs = w.terms.reopenWindow().Milliseconds()
	}
	var after servicev1.CaseSnapshot
	if err := workflow.ExecuteActivity(w.svc, servicec.ActivityApplyCaseCommand, cmd).Get(ctx, &after); err != nil {
		return err
	}
	before := w.snap
	w.snap = &after
	w.snap.Sla = nil
	if err := w.clocksAfter(ctx, before, &after, now); err != nil { // clocks.go
		return err
	}
	w.changed = true
	if err := w.record(ctx, now); err != nil {
		return err
	}
	return w.tell(ctx, cmd.GetEntryId(), cmd.GetActor(), eventsOf(before, &after)) // history.go
}
