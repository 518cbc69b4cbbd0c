package infoslip

import (
	"strconv"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	servicec "github.com/closeloop/closeloop/proto/contract/service"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// chase is the follow-up that chases one recipient while it owes the slip
// something: its acknowledgement (kind slip_ack, infoslip.ack_deadline),
// then its action (slip_close, infoslip.close_deadline), both counted from
// when the recipient received the slip, both escalated along
// infoslip.escalation_ladder. Recipients are chased separately: one acting
// late delays nobody else.
//
// Each stretch is a generation of its own, opened for a phase (ack, close)
// and an owner (the person, or the department's team while nobody is routed):
// acknowledging ends the ack generation (done) and opens the close one;
// routing a department's part to a person ends the generation and opens the
// next for them at the same anchor, so the deadline does not move. Policy
// changes reach the running generation as they reach every follow-up.
type chase struct {
	n       int32
	gen     int32 // generations opened so far
	running bool
	asked   bool   // the workflow asked the running generation to end
	key     string // what the running generation was opened for
	fuID    string
	state   func() *followupv1.FollowUpState
	// unchased is the key at which a person closed the chase from the board:
	// no new generation until the key changes.
	unchased string
	// carried is a generation suspended to continue as new, to resume.
	carried *carriedChase
	// overdue: the running generation's due time has passed (the next one
	// for the same phase is then due at once rather than stepping through
	// a ladder long past).
	overdue                            bool
	interrupt, policy, closes, suspend workflow.Channel
}

type carriedChase struct {
	key      string
	spec     *followupv1.FollowUpSpec
	progress *followup.Progress
}

func newChase(ctx workflow.Context, n int32) *chase {
	return &chase{n: n, interrupt: workflow.NewBufferedChannel(ctx, 1), policy: workflow.NewBufferedChannel(ctx, 16),
		closes: workflow.NewBufferedChannel(ctx, 4), suspend: workflow.NewBufferedChannel(ctx, 1)}
}

// Phases of a recipient's chase.
const (
	phaseAck   = "ack"
	phaseClose = "close"
)

// route receives the policy-change and close-follow-up signals sent to the
// workflow and passes each to the chase it concerns: a policy change to
// every running one (and to the loop, which re-reads the confirmation
// period), a close by its follow_up_id.
func (w *slipWF) route(ctx workflow.Context) {
	pol := workflow.GetSignalChannel(ctx, wfc.SignalPolicyChanged)
	closes := workflow.GetSignalChannel(ctx, wfc.SignalCloseFollowUp)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(pol, func(c workflow.ReceiveChannel, _ bool) {
				s := &followupv1.PolicyChangedSignal{}
				c.Receive(ctx, s)
				w.fresh, w.changed = false, true
				for _, n := range w.order {
					if ch := w.chases[n]; ch.running {
						ch.policy.SendAsync(s)
					}
				}
			})
			sel.AddReceive(closes, func(c workflow.ReceiveChannel, _ bool) {
				s := &followupv1.CloseSignal{}
				c.Receive(ctx, s)
				for _, n := range w.order {
					if ch := w.chases[n]; ch.running && s.GetFollowUpId() == ch.fuID {
						ch.closes.SendAsync(s)
						return
					}
				}
			})
			sel.Select(ctx)
		}
	})
}

// wants says whether recipient r should be chased now, the key of the
// generation that should run, and — when not — the close to send.
func (w *slipWF) wants(r *servicev1.SlipRecipient) (bool, string, *followupv1.CloseSignal) {
	switch {
	case w.snap.GetState() == StateClosed:
		return false, "", closeNote("cancelled", "the slip was closed")
	case w.snap.GetState() == StateWithdrawn:
		return false, "", closeNote("cancelled", "the slip was withdrawn")
	}
	var phase string
	switch r.GetState() {
	case RecipientPending:
		phase = phaseAck
	case RecipientAcknowledged:
		phase = phaseClose
	case RecipientDone:
		return false, "", closeNote("done", "the recipient's part is done")
	case RecipientRejected:
		return false, "", closeNote("cancelled", "the recipient rejected the slip")
	case RecipientForwarded:
		return false, "", closeNote("cancelled", "the recipient forwarded the slip")
	default:
		return false, "", closeNote("cancelled", "the recipient's part was dismissed")
	}
	key := phase + "|" + r.GetUserId() + "|" + r.GetTeam()
	c := w.chases[r.GetN()]
	if c.unchased != "" && c.unchased == key {
		return false, key, nil
	}
	note := "re-routed to another person"
	if c.running && phaseOf(c.key) != phase {
		note = "acknowledged"
		return true, key, closeNote("done", note)
	}
	return true, key, closeNote("cancelled", note)
}

func phaseOf(key string) string {
	for i := range len(key) {
		if key[i] == '|' {
			return key[:i]
		}
	}
	return key
}

func closeNote(state, note string) *followupv1.CloseSignal {
	return &followupv1.CloseSignal{State: state, By: "workflow", Note: note}
}

// chase ends the generations that no longer fit and opens the ones wanted.
func (w *slipWF) chase(ctx workflow.Context) {
	for _, n := range w.order {
		c, r := w.chases[n], w.recipient(n)
		if r == nil {
			continue
		}
		want, key, closing := w.wants(r)
		if c.running {
			if (!want || c.key != key) && !c.asked && closing != nil {
				c.asked = true
				c.interrupt.SendAsync(closing)
			}
			continue
		}
		if want || c.carried != nil { // a carried generation resumes, to be closed if it no longer fits
			w.startChase(ctx, c, r, key)
		}
	}
}

// chaseOutOfStep says whether chase has something to do.
func (w *slipWF) chaseOutOfStep() bool {
	for _, n := range w.order {
		c, r := w.chases[n], w.recipient(n)
		if r == nil {
			continue
		}
		want, key, _ := w.wants(r)
		if c.running && (!want || c.key != key) && !c.asked || !c.running && want {
			return true
		}
	}
	return false
}

// chasing says whether a generation runs.
func (w *slipWF) chasing() bool {
	for _, n := range w.order {
		if w.chases[n].running {
			return true
		}
	}
	return false
}

// startChase opens recipient r's next generation (or resumes the one
// carried from the previous run) in a goroutine of its own.
func (w *slipWF) startChase(ctx workflow.Context, c *chase, r *servicev1.SlipRecipient, key string) {
	for c.interrupt.ReceiveAsync(nil) { // a close for a generation that has ended
	}
	for c.closes.ReceiveAsync(nil) {
	}
	var spec *followupv1.FollowUpSpec
	var resume *followup.Progress
	if cc := c.carried; cc != nil {
		spec, resume, key, c.carried = cc.spec, cc.progress, cc.key, nil
	} else {
		c.gen++
		kind, title := policy.KindSlipAck, "Acknowledge info slip: "
		if phaseOf(key) == phaseClose {
			kind, title = policy.KindSlipClose, "Act on info slip: "
		}
		spec = &followupv1.FollowUpSpec{
			Id: uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/info-slip\x00"+w.snap.GetSlipId()+"\x00"+
				strconv.Itoa(int(c.n))+"\x00"+strconv.Itoa(int(c.gen)))).String(),
			Kind: kind, CustomerId: w.snap.GetCustomerId(), OwnerId: w.ownerOf(r), Team: r.GetTeam(),
			Title: title + w.snap.GetSubject(), AnchorAt: r.GetReceivedAt(), OpenedBy: "workflow",
			RequesterTeam: w.originatorTeam(),
		}
		if c.overdue && phaseOf(c.key) == phaseOf(key) {
			// Re-chased after its due time passed (routed to someone else):
			// due now, so the ladder starts over for whoever has it from
			// this moment.
			now := timestamppb.New(workflow.Now(ctx))
			spec.AnchorAt, spec.DueAt = now, now
		}
	}
	c.running, c.asked, c.key, c.fuID, c.overdue = true, false, key, spec.GetId(), false
	unrouted := r.GetUserId() == ""
	opts := followup.Options{
		OnStep:    func(ctx workflow.Context, s followup.Step) error { return w.onStep(ctx, c, s) },
		RecordAs:  func(a policy.Action) policy.Action { return w.recordAs(a, unrouted) },
		Interrupt: c.interrupt,
		Expose:    func(f func() *followupv1.FollowUpState) { c.state = f },
		Signals:   &followup.Signals{Policy: c.policy, Close: c.closes},
		Suspend:   c.suspend,
		Resume:    resume,
		Alarms:    w.alarms,
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		out, err := followup.Track(ctx, spec, opts)
		c.running, c.state, w.changed = false, nil, true
		switch {
		case err != nil:
			w.err = err
		case out.State == followup.Suspended:
			c.carried = &carriedChase{key: c.key, spec: spec, progress: out.Resume}
		case !c.asked && out.By != "workflow":
			c.unchased = c.key // a person closed it from the board
		}
		c.overdue = out.Level > 0
		c.asked = false
	})
}

// ownerOf is who a recipient's chase is owned by: the person who acts, or —
// while nobody is routed to a department's part — the originator, as a
// case waiting in a team's queue is owned by whoever filed it: they hear
// that their slip was not taken up, and the ladder's escalations reach the
// department's managers, who route it.
func (w *slipWF) ownerOf(r *servicev1.SlipRecipient) string {
	if u := r.GetUserId(); u != "" {
		return u
	}
	return w.snap.GetOriginatorId()
}

// recordAs names a ladder step as carried out for a recipient: a
// department's part nobody was routed to has no one to remind, so its
// reminders go to the department's managers (who route it); a slip without
// an originator's team escalates to the recipient's managers instead.
func (w *slipWF) recordAs(a policy.Action, unrouted bool) policy.Action {
	switch {
	case a == policy.ActionRemind && unrouted:
		return policy.ActionEscalateManager
	case a == policy.ActionEscalateOriginator && w.originatorTeam() == "":
		return policy.ActionEscalateManager
	case a == policy.ActionReassign || a == policy.ActionRaisePriority || a == policy.ActionReturnToPool:
		return policy.ActionEscalateManager
	}
	return a
}

// onStep puts the step on the slip's timeline: who was reminded, to whom it
// was escalated.
func (w *slipWF) onStep(ctx workflow.Context, c *chase, s followup.Step) error {
	r := w.recipient(c.n)
	if r == nil {
		return nil
	}
	who := r.GetUserId()
	if who == "" {
		who = "department " + r.GetDepartment() + " (team " + r.GetTeam() + ")"
	}
	what := "acknowledge"
	if phaseOf(c.key) == phaseClose {
		what = "report what was done"
	}
	kind, body := "reminded", "reminded "+who+" to "+what
	switch w.recordAs(s.Action, r.GetUserId() == "") {
	case policy.ActionEscalateManager:
		kind, body = "escalated", "escalated to the managers of team "+r.GetTeam()+": "+who+" did not "+what+" in time"
	case policy.ActionEscalateOriginator:
		kind, body = "escalated", "escalated to the managers of team "+w.originatorTeam()+" (the originator's): "+who+" did not "+what+" in time"
	}
	return workflow.ExecuteActivity(w.svc, servicec.ActivityRecordSlipChase, &servicev1.SlipChaseRecord{
		SlipId: w.snap.GetSlipId(), Recipient: c.n, Kind: kind, Body: body,
		EntryId: c.fuID + ":step:" + strconv.Itoa(s.Level), At: timestamppb.New(s.At),
	}).Get(ctx, nil)
}
