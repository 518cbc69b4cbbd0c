package servicecase

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/sla"
)

// chaseState is the follow-up that chases a target while its clock runs.
//
// The follow-up engine knows nothing of holds: each stretch of running time
// is a generation of its own, a follow-up opened at the clock's effective
// anchor (sla.Clock.EffectiveAnchor: the anchor moved by the time on hold),
// so the engine's own due time — the target's policy entry for the
// priority, counted from that anchor — is the paused deadline. A hold, a new
// priority, team or assignee closes the generation (cancelled, with why)
// and the next one opens with a new id when the clock runs again. Policy
// changes reach the running generation as they reach every follow-up: the
// engine re-computes its due time, and the workflow its clock.
type chaseState struct {
	gen     int32 // generations opened so far
	running bool
	asked   bool   // the workflow asked the running generation to end
	key     string // what the running generation was opened for (wants)
	fuID    string
	state   func() *followupv1.FollowUpState
	// unchased is the key at which a person closed the chase (the board's
	// complete or cancel): no new generation until the key changes.
	unchased string
	// carried is a generation suspended to continue as new, to resume.
	carried *carriedChase
	// interrupt, policy and closes are the generation's channels: the
	// workflow's own close, and the policy-change and close signals routed
	// to it (route).
	interrupt, policy, closes, suspend workflow.Channel
}

type carriedChase struct {
	key      string
	spec     *followupv1.FollowUpSpec
	progress *followup.Progress
}

func newChaseState(ctx workflow.Context) chaseState {
	return chaseState{interrupt: workflow.NewBufferedChannel(ctx, 1), policy: workflow.NewBufferedChannel(ctx, 16),
		closes: workflow.NewBufferedChannel(ctx, 4), suspend: workflow.NewBufferedChannel(ctx, 1)}
}

// route receives the policy-change and close-follow-up signals sent to the
// workflow and passes each to the generation it concerns: a policy change to
// every running one (and to the loop, which re-reads the budgets), a close by
// its follow_up_id.
func (w *caseWF) route(ctx workflow.Context) {
	pol := workflow.GetSignalChannel(ctx, wfc.SignalPolicyChanged)
	closes := workflow.GetSignalChannel(ctx, wfc.SignalCloseFollowUp)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(pol, func(c workflow.ReceiveChannel, _ bool) {
				s := &followupv1.PolicyChangedSignal{}
				c.Receive(ctx, s)
				w.fresh, w.changed = false, true
				for _, t := range w.targets {
					if t.running {
						t.policy.SendAsync(s)
					}
				}
			})
			sel.AddReceive(closes, func(c workflow.ReceiveChannel, _ bool) {
				s := &followupv1.CloseSignal{}
				c.Receive(ctx, s)
				for _, t := range w.targets {
					if t.running && (s.GetFollowUpId() == t.fuID || s.GetFollowUpId() == "") {
						t.closes.SendAsync(s)
						return
					}
				}
			})
			sel.Select(ctx)
		}
	})
}

// wants says whether target t should be chased now, the key of the
// generation that should run (fits compares keys), and — when not — the
// close to send.
//
// Before its deadline a target's generation is timed by the priority and
// the holds (its effective anchor): a change of either re-times it. Once
// breached, the deadline is history: holds and priority no longer move it,
// so the running generation goes on escalating — also when the ladder
// itself raised the priority — and only a new owner or team (or the target
// met, the case no longer worked) ends it. A generation opened for a breached
// target is chased from the moment it opens (chased; see startChase).
func (w *caseWF) wants(t *target, now time.Time) (bool, string, *followupv1.CloseSignal) {
	breached := !t.clock.BreachedAt.IsZero()
	switch {
	case t.clock.Anchor.IsZero():
		return false, "", nil
	case t.clock.IsMet():
		what := "first response sent"
		if t.name == sla.Resolution {
			what = "case resolved"
		}
		return false, "", &followupv1.CloseSignal{State: "done", By: "workflow", Note: what}
	case !Active(w.snap.GetState()):
		return false, "", closeNote("cancelled", "the case is "+w.snap.GetState())
	case t.clock.IsPaused() && !breached:
		return false, "", closeNote("cancelled", "the case waits for the customer: its SLA clock is paused")
	}
	key := w.owner() + "|" + w.snap.GetTeam() + "#"
	if breached {
		key += "breached"
	} else {
		key += w.snap.GetPriority() + "|" + strconv.FormatInt(t.clock.EffectiveAnchor(t.b.cal, now).UnixNano(), 10)
	}
	if t.unchased != "" && fits(t.unchased, key) {
		return false, key, nil
	}
	return true, key, closeNote("cancelled", "re-timed: the case's priority, team, assignee or time on hold changed")
}

// fits says whether a generation opened with key have still chases what
// key want asks for: the same owner and team, and — unless the target is
// breached — the same timing.
func fits(have, want string) bool {
	hb, ht, _ := strings.Cut(have, "#")
	wb, wt, _ := strings.Cut(want, "#")
	return hb == wb && (wt == "breached" || ht == wt)
}

// owner is who a generation chases: the assignee, else (the case waits in
// its team's queue) who filed it; the ladder's escalations reach the team's
// managers either way.
func (w *caseWF) owner() string {
	if a := w.snap.GetAssigneeId(); a != "" {
		return a
	}
	return w.snap.GetCreatedBy()
}

// chase opens, ends or re-opens each target's generation as wants says. The
// caller holds the mutex.
func (w *caseWF) chase(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for _, t := range w.targets {
		want, key, closing := w.wants(t, now)
		if t.running {
			if (!want || !fits(t.key, key)) && !t.asked && closing != nil {
				t.asked = true
				t.interrupt.SendAsync(closing)
			}
			continue
		}
		if want || t.carried != nil { // a carried generation resumes, to be closed if it no longer fits
			w.startChase(ctx, t, key)
		}
	}
}

// chaseOutOfStep says whether chase has something to do.
func (w *caseWF) chaseOutOfStep(ctx workflow.Context) bool {
	if w.terms == nil {
		return false
	}
	now := workflow.Now(ctx)
	for _, t := range w.targets {
		want, key, _ := w.wants(t, now)
		if t.running && (!want || !fits(t.key, key)) && !t.asked || !t.running && want {
			return true
		}
	}
	return false
}

// chasing says whether a generation runs.
func (w *caseWF) chasing() bool {
	for _, t := range w.targets {
		if t.running {
			return true
		}
	}
	return false
}

// startChase opens target t's next generation (or resumes the one carried
// from the previous run) in a goroutine of its own.
func (w *caseWF) startChase(ctx workflow.Context, t *target, key string) {
	for t.interrupt.ReceiveAsync(nil) { // a close for a generation that has ended
	}
	for t.closes.ReceiveAsync(nil) {
	}
	var spec *followupv1.FollowUpSpec
	var resume *followup.Progress
	if c := t.carried; c != nil {
		spec, resume, key, t.carried = c.spec, c.progress, c.key, nil
	} else {
		t.gen++
		title := "First response to case: "
		if t.name == sla.Resolution {
			title = "Resolution of case: "
		}
		pkey, _ := sla.Priority(w.snap.GetPriority()).PolicyKey()
		now := workflow.Now(ctx)
		spec = &followupv1.FollowUpSpec{
			Id:   uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/case-sla\x00"+w.snap.GetCaseId()+"\x00"+string(t.name)+"\x00"+strconv.Itoa(int(t.gen)))).String(),
			Kind: t.kind, CustomerId: w.snap.GetCustomerId(), OwnerId: w.owner(), Team: w.snap.GetTeam(),
			Title: title + w.snap.GetSubject(), AnchorAt: ts(t.clock.EffectiveAnchor(t.b.cal, now)), PolicyKey: pkey,
			OpenedBy: "workflow",
		}
		if !t.clock.BreachedAt.IsZero() {
			// Re-chased after the breach (a new owner or team): due now, so
			// the ladder starts over for whoever has it from this moment,
			// rather than every step at once for a deadline long past.
			spec.AnchorAt, spec.DueAt, spec.PolicyKey = ts(now), ts(now), ""
		}
	}
	t.running, t.asked, t.key, t.fuID = true, false, key, spec.GetId()
	opts := followup.Options{
		OnStep:    func(ctx workflow.Context, s followup.Step) error { return w.onStep(ctx, t, s) },
		RecordAs:  w.recordAs,
		Interrupt: t.interrupt,
		Expose:    func(f func() *followupv1.FollowUpState) { t.state = f },
		Signals:   &followup.Signals{Policy: t.policy, Close: t.closes},
		Suspend:   t.suspend,
		Resume:    resume,
		Alarms:    w.alarms,
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		out, err := followup.Track(ctx, spec, opts)
		t.running, t.state, w.changed = false, nil, true
		switch {
		case err != nil:
			w.err = err
		case out.State == followup.Suspended:
			t.carried = &carriedChase{key: t.key, spec: spec, progress: out.Resume}
		case !t.asked && out.By != "workflow":
			t.unchased = t.key // a person closed it from the board
		}
		t.asked = false
	})
}

// recordAs names a ladder step as carried out for this case: a case is never
// moved automatically (reassign is shown to the managers to decide), and a
// P1 case cannot be raised further.
func (w *caseWF) recordAs(a policy.Action) policy.Action {
	switch a {
	case policy.ActionReassign:
		return policy.ActionEscalateManager
	case policy.ActionRaisePriority:
		if _, ok := Raised(w.snap.GetPriority()); !ok {
			return policy.ActionEscalateManager
		}
	}
	return a
}

// onStep carries out the ladder's raise_priority: one level more urgent,
// recorded on the case like a person's change (the target is breached by
// then — every step comes after the deadline — so the generation goes on).
func (w *caseWF) onStep(ctx workflow.Context, t *target, s followup.Step) error {
	if s.Action != policy.ActionRaisePriority {
		return nil
	}
	if err := w.mu.Lock(ctx); err != nil {
		return err
	}
	defer w.mu.Unlock()
	to, ok := Raised(w.snap.GetPriority())
	if !ok || !Active(w.snap.GetState()) {
		return nil
	}
	return w.apply(ctx, &servicev1.CaseCommand{Op: OpPriority, Priority: to, Actor: "workflow",
		Reason:  "escalation step " + strconv.Itoa(s.Level) + ": the " + string(t.name) + " target was missed",
		EntryId: t.fuID + ":raise:" + strconv.Itoa(s.Level)})
}
