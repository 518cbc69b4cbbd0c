package lead

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// The escalation ladder's steps, as the Lead workflow carries them out.

// stepRecordedAs is what a ladder step is recorded as on the follow-up: a
// lead bound to its customer's owner is not reassigned nor pooled, its
// managers are asked to decide (see onStep), so the follow-up says escalated.
func (w *leadWF) stepRecordedAs(a policy.Action) policy.Action {
	if w.ownerRules && w.bound && (a == policy.ActionReassign || a == policy.ActionReturnToPool) {
		return policy.ActionEscalateManager
	}
	return a
}

// onStep carries out a ladder step of the first-contact follow-up (Track has
// recorded it on the follow-up already).
func (w *leadWF) onStep(ctx workflow.Context, s followup.Step) error {
	if err := w.mu.Lock(ctx); err != nil {
		return err
	}
	defer w.mu.Unlock()
	if w.snap.GetState() != StateNew || w.seq != w.trackSeq {
		return nil // contact logged or lead reassigned while the step was due: Track is being interrupted
	}
	a := w.snap.GetAssignment()
	id := w.fuID + ":step:" + strconv.Itoa(s.Level)
	// Each step's timeline entry is stamped when it ran; its data keeps when
	// the ladder had it due, so lateness reads from the timeline too.
	due := s.At.UTC().Format(time.RFC3339Nano)
	switch s.Action {
	case policy.ActionRemind:
		return w.eventID(ctx, id, "reminder", "reminded "+a.GetOwnerId()+": first contact is overdue", "workflow",
			map[string]string{"scheduled_at": due})
	case policy.ActionEscalateManager:
		mgr := a.GetManagerId()
		if mgr == "" {
			mgr = "the managers of team " + a.GetTeam()
		}
		return w.eventID(ctx, id, "escalated", "escalated to "+mgr+": "+a.GetOwnerId()+" has not contacted the lead", "workflow",
			map[string]string{"manager_id": a.GetManagerId(), "owner_id": a.GetOwnerId(), "scheduled_at": due})
	case policy.ActionReassign, policy.ActionReturnToPool:
		if w.ownerRules && w.bound {
			// The lead belongs to the customer's owner: the step asks the
			// managers to decide instead of handing the customer's lead away.
			mgr := a.GetManagerId()
			if mgr == "" {
				mgr = "the managers of team " + a.GetTeam()
			}
			return w.eventID(ctx, id, "escalated", "escalated to "+mgr+" to decide on "+string(s.Action)+": "+a.GetOwnerId()+
				" has not contacted the lead, and the customer is theirs (reassign with move_customer to move both)", "workflow",
				map[string]string{"manager_id": a.GetManagerId(), "owner_id": a.GetOwnerId(), "action": string(s.Action), "scheduled_at": due})
		}
		prev := a.GetOwnerId()
		in := &salesv1.AssignLeadInput{Exclude: []string{prev}, Reason: "no first contact by " + prev + " (escalation step " + strconv.Itoa(s.Level) + ")"}
		if s.Action == policy.ActionReturnToPool {
			in = &salesv1.AssignLeadInput{ToPool: true, Reason: "no first contact by " + prev + " (escalation step " + strconv.Itoa(s.Level) + ")"}
		}
		in.StepDueAt = timestamppb.New(s.At)
		if err := w.assign(ctx, in); err != nil {
			return err
		}
		if err := w.followLead(ctx, false); err != nil {
			return err
		}
		to := "the pool"
		if !w.snap.GetAssignment().GetPooled() {
			to = w.snap.GetAssignment().GetOwnerId()
		}
		return &followup.Handover{Note: "handed from " + prev + " to " + to}
	}
	return nil
}
