package infoslip

import (
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	servicec "github.com/closeloop/closeloop/proto/contract/service"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// callService is the activity options of the slip workflow (wfx's one
// convention): retried until they succeed, except business refusals, which
// the activities fail as non-retryable.
func callService(ctx workflow.Context) workflow.Context {
	return wfx.Activities(ctx, wfx.Call{Queue: servicec.TaskQueue, NonRetryable: []string{"invalid", "not_found"}})
}

type slipWF struct {
	snap *servicev1.SlipSnapshot
	// chases are the recipients' chases by number, in the order the
	// recipients were added (order).
	chases map[int32]*chase
	order  []int32
	terms  *terms
	// fresh: the terms were resolved since the last policy change.
	fresh   bool
	mu      workflow.Mutex
	svc     workflow.Context
	changed bool  // an update changed the slip since the loop last looked
	err     error // a chase failed: the workflow fails with it
	// alarms: the loop and every chase wait on one timer (recipients'
	// deadlines counted from the same receipt wake together).
	alarms *wfx.Alarms
	wfx.Runs
}

// InfoSlip is the InfoSlip workflow (InfoSlip:<id>); see the package
// documentation and proto/contract/workflows.
func InfoSlip(ctx workflow.Context, in *servicev1.SlipInput) (*servicev1.SlipSnapshot, error) {
	s := in.GetSlip()
	if s.GetSlipId() == "" || s.GetCreatedAt() == nil || s.GetCustomerId() == "" || len(s.GetRecipients()) == 0 {
		return nil, temporal.NewNonRetryableApplicationError("a slip needs an id, a customer, created_at and a recipient", "invalid", nil)
	}
	w := &slipWF{snap: proto.Clone(s).(*servicev1.SlipSnapshot), chases: map[int32]*chase{}, mu: workflow.NewMutex(ctx),
		svc: callService(ctx), Runs: wfx.Runs{Limit: in.GetContinueAsNewAfter()}, alarms: wfx.NewAlarms(ctx)}
	w.sync(ctx)
	if err := workflow.SetQueryHandler(ctx, wfc.QuerySlipState, func() (*servicev1.SlipSnapshot, error) {
		return w.snapshot(), nil
	}); err != nil {
		return nil, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, wfc.UpdateSlipCommand, w.command,
		workflow.UpdateHandlerOptions{Validator: w.validate}); err != nil {
		return nil, err
	}
	w.route(ctx) // policy-change and close signals to the chases (chase.go)

	if carried := in.GetCarried(); carried != nil {
		w.restore(carried)
	} else if err := w.tell(ctx, w.snap.GetSlipId(), w.snap.GetOriginatorId(), "sent", sentSummary(w.snap),
		w.snap.GetOriginatorDepartment()); err != nil {
		return nil, err
	}
	for {
		if w.err != nil {
			return nil, w.err
		}
		if err := w.decide(ctx); err != nil {
			return nil, err
		}
		if w.snap.GetState() != StateOpen && !w.chasing() {
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
		w.changed = false
		cond := func() bool { return w.changed || w.err != nil || w.chaseOutOfStep() || w.ContinueDue(ctx) }
		wake, timed := w.autoCloseAt()
		if !timed {
			if err := workflow.Await(ctx, cond); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := w.alarms.Until(ctx, wake, cond); err != nil {
			return nil, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return nil, err
	}
	return w.snapshot(), nil
}

// decide is the loop's decision point: the terms after a policy change,
// the automatic close of an all-done slip, and which recipients are chased.
func (w *slipWF) decide(ctx workflow.Context) error {
	if err := w.mu.Lock(ctx); err != nil {
		return err
	}
	defer w.mu.Unlock()
	if !w.fresh && w.snap.GetState() == StateOpen {
		t, err := resolveTerms(ctx, w.originatorTeam())
		if err != nil {
			return err
		}
		w.terms, w.fresh = t, true
	}
	if at, ok := w.autoCloseAt(); ok && !workflow.Now(ctx).Before(at) {
		if err := w.apply(ctx, &servicev1.SlipCommand{Op: OpAutoClose, Actor: "workflow",
			ConfirmAfterMs: w.terms.confirmPeriod().Milliseconds()}); err != nil {
			return err
		}
	}
	w.chase(ctx) // chase.go
	return nil
}

// autoCloseAt is when the all-done slip closes by itself, if it is open,
// every part is done and the confirmation period is usable.
func (w *slipWF) autoCloseAt() (time.Time, bool) {
	done := w.snap.GetAllDoneAt()
	if w.snap.GetState() != StateOpen || done == nil || w.terms == nil {
		return time.Time{}, false
	}
	return w.terms.confirmDue(done.AsTime())
}

// current is the slip as the validators see it.
func (w *slipWF) current() Slip {
	s := Slip{State: w.snap.GetState()}
	for _, r := range w.snap.GetRecipients() {
		s.Recipients = append(s.Recipients, Recipient{N: r.GetN(), Kind: r.GetKind(), State: r.GetState(), UserID: r.GetUserId()})
	}
	return s
}

func (w *slipWF) validate(ctx workflow.Context, cmd *servicev1.SlipCommand) error {
	if w.Applied.Seen(ctx) {
		return nil
	}
	if cmd.GetOp() == OpAutoClose {
		return (&wfx.Refusal{Code: CodeInvalid, Field: "op", Message: "the slip closes itself; confirm it instead"}).Err()
	}
	return CheckCommand(w.current(), Command{Op: cmd.GetOp(), Recipient: cmd.GetRecipient(), Text: cmd.GetText(),
		Adds: len(cmd.GetTo())}).Err()
}

// command is the slip-command update: a person's change, applied by the
// service's activity, then passed on to the chases.
func (w *slipWF) command(ctx workflow.Context, cmd *servicev1.SlipCommand) (*servicev1.SlipSnapshot, error) {
	if err := w.mu.Lock(ctx); err != nil {
		return nil, err
	}
	defer w.mu.Unlock()
	if w.Applied.Seen(ctx) { // a request retried after the workflow continued as new
		return w.snapshot(), nil
	}
	w.Decided++
	if err := w.validate(ctx, cmd); err != nil { // the slip may have moved while waiting for the lock
		return nil, err
	}
	cmd = proto.Clone(cmd).(*servicev1.SlipCommand)
	cmd.EntryId = w.snap.GetSlipId() + ":" + workflow.GetCurrentUpdateInfo(ctx).ID
	if err := w.apply(ctx, cmd); err != nil {
		return nil, err
	}
	w.Applied.Add(ctx)
	return w.snapshot(), nil
}

// apply has the service apply cmd to the record and takes the slip it
// answers as the workflow's. The caller holds the mutex.
func (w *slipWF) apply(ctx workflow.Context, cmd *servicev1.SlipCommand) error {
	now := workflow.Now(ctx)
	cmd.SlipId, cmd.At = w.snap.GetSlipId(), timestamppb.New(now)
	if cmd.EntryId == "" {
		cmd.EntryId = w.snap.GetSlipId() + ":" + cmd.GetOp() + ":" + now.UTC().Format(time.RFC3339Nano)
	}
	var after servicev1.SlipSnapshot
	if err := workflow.ExecuteActivity(w.svc, servicec.ActivityApplySlipCommand, cmd).Get(ctx, &after); err != nil {
		return err
	}
	before := w.snap
	w.snap = &after
	w.sync(ctx)
	w.changed = true
	if ev, summary := eventOf(before, &after, cmd); ev != "" {
		return w.tell(ctx, cmd.GetEntryId(), cmd.GetActor(), ev, summary, w.departmentOf(cmd.GetOp(), cmd.GetRecipient())) // history.go
	}
	return nil
}

// sync gives every recipient of the snapshot its chase (new recipients
// arrive with add, forward and reroute).
func (w *slipWF) sync(ctx workflow.Context) {
	for _, r := range w.snap.GetRecipients() {
		if _, ok := w.chases[r.GetN()]; !ok {
			w.chases[r.GetN()] = newChase(ctx, r.GetN())
			w.order = append(w.order, r.GetN())
		}
	}
}

// recipient is recipient n as the workflow knows it now.
func (w *slipWF) recipient(n int32) *servicev1.SlipRecipient {
	i := slices.IndexFunc(w.snap.GetRecipients(), func(r *servicev1.SlipRecipient) bool { return r.GetN() == n })
	if i < 0 {
		return nil
	}
	return w.snap.GetRecipients()[i]
}

// originatorTeam is the team whose managers act for the originator and
// whose calendar counts the confirmation period ("" none).
func (w *slipWF) originatorTeam() string {
	if ts := w.snap.GetOriginatorTeams(); len(ts) > 0 {
		return ts[0]
	}
	return ""
}

// snapshot is the slip with its chases as of now.
func (w *slipWF) snapshot() *servicev1.SlipSnapshot {
	s := proto.Clone(w.snap).(*servicev1.SlipSnapshot)
	for _, r := range s.GetRecipients() {
		c := w.chases[r.GetN()]
		if c == nil || !c.running {
			continue
		}
		r.FollowUpId = c.fuID
		if c.state != nil {
			r.Level = c.state().GetLevel()
		}
	}
	if at, ok := w.autoCloseAt(); ok {
		s.AutoCloseAt = timestamppb.New(at)
	}
	return s
}
