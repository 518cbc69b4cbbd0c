// Package followup is the follow-up engine every Closeloop workflow runs on.
//
// A follow-up is one obligation towards a customer with an owner, a due time
// and an escalation path. Track (run by the FollowUp workflow, and embedded by
// the lead, visit and later workflows) opens its record in the follow-up
// service, waits until it is due, walks the escalation ladder, and closes the
// record when the obligation is met or cancelled — also when the workflow is
// cancelled, so no follow-up is left open after its workflow ends. After every
// close it calls the activity the spec's notify names, if any (notice.go).
//
// # Policies and their changes
//
// The due time is never a constant: it is the kind's deadline policy applied
// to the anchor instant (when the lead was assigned, when the visit ended, …),
// and the ladder's steps are offsets from the due time. Track resolves the
// policy versions in force through an activity, computes every instant in
// workflow code with the pure policy and calendar packages, and records the
// versions it used on the follow-up.
//
// When an analyst changes a policy or calendar, the PolicyRollout workflow
// signals every workflow with an open follow-up on an older version. On that
// signal — and at every decision point, whenever a timer fires — Track
// re-resolves and, if a version changed, re-computes the due time from the
// original anchor under the new version: a shortened SLA fires at the new,
// earlier due time (at once if that has passed); a lengthened one waits for the
// new, later one. Escalation steps already carried out stay done.
package followup

import (
	"errors"
	"fmt"
	"maps"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Outcome is how a tracked follow-up ended.
type Outcome struct {
	State string // "done", "cancelled", or Suspended
	By    string
	Note  string
	Level int // escalation steps carried out
	// Resume is where a Suspended follow-up stands, to pass to Track in the
	// workflow's next run.
	Resume *Progress
}

// Suspended is the state of an Outcome when the embedding workflow stopped
// tracking to continue as new: the follow-up is still open.
const Suspended = "suspended"

// Progress is how far a suspended follow-up got: what Track needs to go on
// in a new run of its workflow without opening the follow-up again or
// repeating a step.
type Progress struct {
	Level          int   // escalation steps carried out
	Recomputations int32 // deadline re-computations so far
	// Versions and Calendar are what the due time was last computed and
	// recorded with ("policy:<name>" and "calendar:<name>" → version).
	Versions map[string]int64
	Calendar string
}

// Step is an escalation step about to be recorded.
type Step struct {
	Level  int // 1 for the first step
	Action policy.Action
	At     time.Time
}

// Error types that make the workflow fail without retrying.
const (
	ErrUnknownKind    = "followup_unknown_kind"
	ErrInvalidSpec    = "followup_invalid_spec"
	ErrPolicyUnusable = "followup_policy_unusable"
)

// FollowUp is the FollowUp workflow: Track with no embedding workflow —
// hosted by the follow-up service when started on its queue (host.go).
func FollowUp(ctx workflow.Context, spec *followupv1.FollowUpSpec) (*followupv1.CloseSignal, error) {
	out, err := Track(ctx, spec, hostedOptions(ctx))
	if err != nil {
		return nil, err
	}
	return &followupv1.CloseSignal{State: out.State, By: out.By, Note: out.Note}, nil
}

type tracker struct {
	eng    engine
	spec   *followupv1.FollowUpSpec
	kind   policy.Kind
	anchor time.Time
	opts   Options
	log    interface{ Info(string, ...any) }
	state  followupv1.FollowUpState
	level  int
	// plan is the due time, ladder and versions last computed (compute).
	plan Plan
}

// Track runs the follow-up described by spec until it is closed; see the
// package documentation.
func Track(ctx workflow.Context, spec *followupv1.FollowUpSpec, opts Options) (out Outcome, err error) {
	kind, ok := policy.LookupKind(spec.GetKind())
	if !ok {
		return out, temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown follow-up kind %q", spec.GetKind()), ErrUnknownKind, nil)
	}
	if spec.GetId() == "" || (spec.GetCustomerId() == "" && !kind.WithoutCustomer) || spec.GetOwnerId() == "" || spec.GetAnchorAt() == nil {
		return out, temporal.NewNonRetryableApplicationError("a follow-up needs id, customer_id (unless its kind is about no customer), owner_id and anchor_at", ErrInvalidSpec, nil)
	}
	if kind.Deadline == "" && spec.GetDueAt() == nil {
		return out, temporal.NewNonRetryableApplicationError(fmt.Sprintf("a %s follow-up needs due_at: its kind has no deadline policy", kind.Name), ErrInvalidSpec, nil)
	}
	eng := ownQueueEngine
	if !opts.Current {
		eng = engineFor(ctx)
	}
	t := &tracker{eng: eng, spec: spec, kind: kind, anchor: spec.GetAnchorAt().AsTime(), opts: opts, log: workflow.GetLogger(ctx)}
	call := wfx.Call{Queue: t.eng.queue, NonRetryable: []string{"invalid", "not_found"}}
	ctx = wfx.Activities(ctx, call)
	if opts.Local {
		ctx = wfx.LocalActivities(ctx, call)
	}
	if opts.Signals == nil {
		if err := workflow.SetQueryHandler(ctx, wfc.QueryFollowUpState, func() (*followupv1.FollowUpState, error) {
			return t.snapshot(), nil
		}); err != nil {
			return out, err
		}
	}

	if opts.Expose != nil {
		opts.Expose(t.snapshot)
	}
	if r := opts.Resume; r != nil {
		if err := t.resume(ctx, r); err != nil {
			return out, err
		}
	} else if err := t.open(ctx); err != nil {
		return out, err
	}

	// Whatever ends the workflow from here on, the record is closed: on
	// cancellation in a disconnected context, since ctx is already done.
	defer func() {
		if err == nil || !temporal.IsCanceledError(err) {
			return
		}
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		cerr := t.close(dctx, "cancelled", "workflow", "the workflow was cancelled")
		if cerr != nil {
			err = errors.Join(err, cerr)
		}
		out = Outcome{State: "cancelled", By: "workflow", Level: t.level}
	}()

	var policyCh, closeCh workflow.ReceiveChannel
	if sig := opts.Signals; sig != nil {
		policyCh, closeCh = sig.Policy, sig.Close
	} else {
		policyCh, closeCh = workflow.GetSignalChannel(ctx, wfc.SignalPolicyChanged), workflow.GetSignalChannel(ctx, wfc.SignalCloseFollowUp)
	}
	var wait *waitTimer // what the loop waits on for the next action (timer.go)
	for {
		next, hasNext := t.nextAt()
		var (
			fired, changed, suspend bool
			closing                 *followupv1.CloseSignal
		)
		wait = wait.rearm(ctx, opts, next, hasNext)
		sel := workflow.NewSelector(ctx)
		if w := wait; w != nil {
			sel.AddFuture(w.f, func(f workflow.Future) { fired = w.fired(ctx, f) })
		}
		sel.AddReceive(closeCh, func(c workflow.ReceiveChannel, _ bool) {
			closing = &followupv1.CloseSignal{}
			c.Receive(ctx, closing)
		})
		if opts.Interrupt != nil {
			sel.AddReceive(opts.Interrupt, func(c workflow.ReceiveChannel, _ bool) {
				c.Receive(ctx, &closing)
			})
		}
		var carried burst
		sel.AddReceive(policyCh, func(c workflow.ReceiveChannel, _ bool) {
			var s followupv1.PolicyChangedSignal
			c.Receive(ctx, &s)
			changed = carried.add(t, &s)
			for { // several changes in a burst cost one re-resolution
				var more followupv1.PolicyChangedSignal
				if !c.ReceiveAsync(&more) {
					break
				}
				changed = carried.add(t, &more) || changed
			}
		})
		if opts.Suspend != nil {
			sel.AddReceive(opts.Suspend, func(c workflow.ReceiveChannel, _ bool) {
				c.Receive(ctx, nil)
				suspend = true
			})
		}
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
		if !opts.KeepTimer || fired || closing != nil || suspend || ctx.Err() != nil {
			wait.stop() // a timer is kept only across a wake-up the loop goes on after
			wait = nil
		}
		if err := ctx.Err(); err != nil {
			return out, temporal.NewCanceledError()
		}

		if suspend {
			// A close that arrived meanwhile wins: it would be lost with the run.
			if c := (&followupv1.CloseSignal{}); closeCh.ReceiveAsync(c) {
				closing = c
			} else if opts.Interrupt != nil {
				opts.Interrupt.ReceiveAsync(&closing)
			}
			if closing == nil {
				for policyCh.ReceiveAsync(nil) { // the next run re-resolves anyway
				}
				return Outcome{State: Suspended, Level: t.level, Resume: t.progress()}, nil
			}
		}
		if closing != nil {

			state := closing.GetState()
			if state != "cancelled" {
				state = "done"
			}
			if err := t.close(ctx, state, closing.GetBy(), closing.GetNote()); err != nil {
				return out, err
			}
			return Outcome{State: state, By: closing.GetBy(), Note: closing.GetNote(), Level: t.level}, nil
		}
		if sig := carried.resolution(); changed && !fired && sig != nil &&
			t.version(ctx, ChangeCarriedResolution) == 1 && t.usable(sig) {
			// A rollout resolved for this follow-up already (carried.go).
			if err := t.apply(ctx, sig); err != nil {
				return out, err
			}
		} else if changed || fired {
			// A decision point: the versions in force now decide.
			if err := t.refresh(ctx); err != nil {
				return out, err
			}
		}
		if fired {
			if at, ok := t.nextAt(); ok && !at.After(workflow.Now(ctx)) {
				if err := t.step(ctx, at); err != nil {
					var h *Handover
					if !errors.As(err, &h) {
						return out, err
					}
					state := h.State
					if state == "" {
						state = "cancelled"
					}
					if err := t.close(ctx, state, "workflow", h.Note); err != nil {
						return out, err
					}
					return Outcome{State: state, By: "workflow", Note: h.Note, Level: t.level}, nil
				}
			}
		}
	}
}

// ChangeResolveAndOpen is the workflow.GetVersion change id of opening the
// follow-up in the same activity that resolves its policies (version 1:
// ResolvePolicies with open set, the follow-up service computing the record
// with NewPlan as the workflow does) instead of a ResolvePolicies activity
// followed by an OpenFollowUp one.
const ChangeResolveAndOpen = "resolve-and-open"

// open computes the due time and opens the follow-up's record.
func (t *tracker) open(ctx workflow.Context) error {
	info := workflow.GetInfo(ctx)
	if t.version(ctx, ChangeResolveAndOpen) == 1 {
		var res followupv1.ResolvePoliciesResult
		err := t.engine(ctx, t.eng.resolve, &followupv1.ResolvePoliciesInput{
			Names: t.names(), Team: t.spec.GetTeam(), Territory: t.spec.GetTerritory(), At: timestamppb.New(t.openingAt(ctx)),
			Open: &followupv1.FollowUpOpening{Spec: t.spec, WorkflowId: info.WorkflowExecution.ID, RunId: info.WorkflowExecution.RunID},
		}).Get(ctx, &res)
		if err != nil {
			return err
		}
		// The same computation as the service's: the record it stored is
		// this plan's (or, when the plan fails, it stored nothing).
		return t.compute(&res)
	}
	res, err := t.resolve(ctx)
	if err != nil {
		return err
	}
	if err := t.compute(res); err != nil {
		return err
	}
	return t.engine(ctx, t.eng.open, t.plan.Record(t.spec, info.WorkflowExecution.ID, info.WorkflowExecution.RunID)).Get(ctx, nil)
}

// resume takes up a follow-up an earlier run opened and suspended at r:
// the steps it carried out stay done; a version that changed since it last
// computed the due time re-computes it and is recorded.
func (t *tracker) resume(ctx workflow.Context, r *Progress) error {
	t.level, t.state.Recomputations = r.Level, r.Recomputations
	res, err := t.resolve(ctx)
	if err != nil {
		return err
	}
	if err := t.compute(res); err != nil {
		return err
	}
	return t.recordChange(ctx, r.Versions, r.Calendar)
}

// progress is where the follow-up stands, for Resume in a new run.
func (t *tracker) progress() *Progress {
	return &Progress{Level: t.level, Recomputations: t.state.Recomputations, Versions: maps.Clone(t.plan.Versions), Calendar: t.plan.Calendar}
}

func (t *tracker) names() []string {
	return PolicyNames(t.kind, t.spec.GetDueAt() != nil)
}

func (t *tracker) resolve(ctx workflow.Context) (*followupv1.ResolvePoliciesResult, error) {
	var res followupv1.ResolvePoliciesResult
	err := t.engine(ctx, t.eng.resolve, &followupv1.ResolvePoliciesInput{
		Names: t.names(), Team: t.spec.GetTeam(), Territory: t.spec.GetTerritory(), At: timestamppb.New(workflow.Now(ctx)),
	}).Get(ctx, &res)
	return &res, err
}

// compute derives the due time and ladder from resolved versions (NewPlan).
// It changes nothing when it fails.
func (t *tracker) compute(res *followupv1.ResolvePoliciesResult) error {
	p, err := NewPlan(PlanInputOf(t.kind, t.spec), res)
	if err != nil {
		var pe *PlanError
		if errors.As(err, &pe) {
			return temporal.NewNonRetryableApplicationError(pe.Msg, pe.Code, nil)
		}
		return err
	}
	t.plan = p
	return nil
}

// nextAt is when the next escalation step is due; ok is false when the ladder
// is done (or there is none): then only a close signal ends the wait. Before
// any step the first step is due at the due time plus its offset.
func (t *tracker) nextAt() (time.Time, bool) {
	return t.plan.NextAt(t.level)
}

func (t *tracker) concerns(s *followupv1.PolicyChangedSignal) bool {
	if s.GetPolicy() != "" {
		v, ok := t.plan.Versions["policy:"+s.GetPolicy()]
		return ok && v != s.GetVersion()
	}
	if s.GetCalendar() != "" {
		v, ok := t.plan.Versions["calendar:"+s.GetCalendar()]
		return !ok || v != s.GetVersion() // an unused calendar may now be the assigned one
	}
	return true
}

// refresh re-resolves and, when any version differs, re-computes from the
// original anchor and records the new due time.
func (t *tracker) refresh(ctx workflow.Context) error {
	res, err := t.resolve(ctx)
	if err != nil {
		return err
	}
	old := t.plan.Versions
	oldCal := t.plan.Calendar
	if err := t.compute(res); err != nil {
		// A version this workflow cannot use (it passed validation, so this is
		// a bug): keep following the previous one rather than fail the
		// obligation.
		t.log.Info("policy version unusable; keeping the previous one", "error", err)
		return nil
	}
	return t.recordChange(ctx, old, oldCal)
}

// recordChange records the due time re-computed with versions that differ
// from old (and oldCal, the calendar used before); nothing when none does.
func (t *tracker) recordChange(ctx workflow.Context, old map[string]int64, oldCal string) error {
	if maps.Equal(old, t.plan.Versions) && oldCal == t.plan.Calendar {
		return nil
	}
	t.state.Recomputations++
	in := t.plan.Change(t.spec.GetId(), t.level, old)
	t.log.Info("follow-up deadline re-computed", "due", t.plan.Due, "versions", in.Reason)
	return t.engine(ctx, t.eng.update, in).Get(ctx, nil)
}

func (t *tracker) step(ctx workflow.Context, at time.Time) error {
	action := policy.Action("overdue")
	if t.plan.Ladder != nil {
		action = t.plan.Ladder.Steps[t.level].Action
	}
	t.level++
	recorded := action
	if t.opts.RecordAs != nil && t.plan.Ladder != nil {
		recorded = t.opts.RecordAs(action)
	}
	in := &followupv1.RecordStepInput{
		Id: t.spec.GetId(), Level: int32(t.level), Action: string(recorded),
		At: timestamppb.New(at), RanAt: timestamppb.New(workflow.Now(ctx)),
	}
	if nxt, ok := t.nextAt(); ok {
		in.NextStepAt = timestamppb.New(nxt)
	}
	if err := t.engine(ctx, t.eng.record, in).Get(ctx, nil); err != nil {
		return err
	}
	if t.opts.OnStep != nil && t.plan.Ladder != nil {
		return t.opts.OnStep(ctx, Step{Level: t.level, Action: action, At: at})
	}
	return nil
}

func (t *tracker) close(ctx workflow.Context, state, by, note string) error {
	at := workflow.Now(ctx)
	if err := t.engine(ctx, t.eng.close, &followupv1.CloseFollowUpInput{
		Id: t.spec.GetId(), State: state, By: by, Note: note, At: timestamppb.New(at),
	}).Get(ctx, nil); err != nil {
		return err
	}
	t.notifyClosed(ctx, state, by, note, at) // notice.go
	return nil
}

// version is workflow.GetVersion of one of this package's changes made
// before Options.Current was (between DefaultVersion and 1): 1 without
// asking when the embedding run is at current.
func (t *tracker) version(ctx workflow.Context, change string) workflow.Version {
	if t.opts.Current {
		return 1
	}
	return workflow.GetVersion(ctx, change, workflow.DefaultVersion, 1)
}

func (t *tracker) snapshot() *followupv1.FollowUpState {
	s := &followupv1.FollowUpState{
		PolicyVersion:           t.plan.Versions["policy:"+t.plan.DeadlinePolicy],
		EscalationPolicyVersion: t.plan.Versions["policy:"+t.kind.Escalation], Level: int32(t.level),
		Recomputations: t.state.Recomputations,
	}
	if t.plan.Due.IsZero() {
		// Queried before the first resolution: no due time yet (not year 1).
		return s
	}
	s.DueAt = timestamppb.New(t.plan.Due)
	if at, ok := t.nextAt(); ok {
		s.NextAt = timestamppb.New(at)
		s.NextAction = "overdue"
		if t.plan.Ladder != nil {
			s.NextAction = string(t.plan.Ladder.Steps[t.level].Action)
		}
	}
	return s
}
