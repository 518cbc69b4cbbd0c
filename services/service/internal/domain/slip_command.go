package domain

import (
	"fmt"
	"slices"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// SlipCommand is one change of a slip after filing, as the InfoSlip
// workflow passes it to the service (and as the API checks it before
// sending it): Op names the change (infoslip.Op*), the other fields are its
// arguments.
type SlipCommand struct {
	Op, Actor string
	// Recipient is the number of the part a recipient op acts on.
	Recipient int32
	// Text is the op's note (done, forward, add) or reason (reject, object,
	// reroute, dismiss, withdraw).
	Text string
	// To is who a part is forwarded or re-routed to.
	To *RecipientInput
	// Adds are the recipients the originator adds.
	Adds []RecipientInput
	// UserID is the person a department's part is routed to.
	UserID string
	// People are the persons the command names (To, Adds, UserID), looked
	// up in the directory by id; Org the organisation's departments.
	People map[string]Person
	Org    Org
	// ConfirmAfter is the confirmation period in force (auto_close): the
	// slip closes by itself no sooner after every part was done. 0: not checked.
	ConfirmAfter time.Duration
}

// rules is cmd as the workflow's rules see it.
func (cmd SlipCommand) rules() infoslip.Command {
	c := infoslip.Command{Op: cmd.Op, Recipient: cmd.Recipient, Text: cmd.Text}
	switch cmd.Op {
	case infoslip.OpAdd:
		c.Adds = len(cmd.Adds)
	case infoslip.OpForward, infoslip.OpReroute:
		if cmd.To != nil {
			c.Adds = 1
		}
	}
	return c
}

// CheckSlipCommand says whether the slip takes cmd by the workflow's rules
// alone (infoslip.CheckCommand): what the InfoSlip workflow's validator
// decides, as this service's error.
func CheckSlipCommand(s Slip, cmd SlipCommand) error {
	return SlipRefusal(infoslip.CheckCommand(s.Rules(), cmd.rules()))
}

// ApplySlip applies cmd to s at now: the one door through which a slip
// changes after filing. It checks the workflow's rules first
// (infoslip.CheckCommand: 409 for the slip's or the part's state, 422 for a
// field), then what only the record can tell (the people named, the
// departments, the lengths), and returns the changed slip and its timeline
// entries, or the refusal (nothing changes then). Applying it twice is the
// repository's to prevent (Slips.UpdateOnce): a retried change with the
// same entry id is not applied again.
//
// Who may send cmd is not checked here (SlipScope.CheckOp, before the
// workflow): the workflow's activity knows the actor's id, not their token.
func ApplySlip(s Slip, cmd SlipCommand, now time.Time) (Slip, []SlipEntry, error) {
	var v apperr.Validation
	user(&v, "actor", cmd.Actor, true)
	if err := v.Err(); err != nil {
		return s, nil, err
	}
	if err := CheckSlipCommand(s, cmd); err != nil {
		return s, nil, err
	}
	at := instant(now)
	out := s.Clone()
	var es []SlipEntry
	var err error
	switch cmd.Op {
	case infoslip.OpRoute:
		es, err = out.route(cmd, at)
	case infoslip.OpAcknowledge, infoslip.OpDone, infoslip.OpReject, infoslip.OpDismiss, infoslip.OpObject:
		es, err = out.move(cmd, at)
	case infoslip.OpForward, infoslip.OpReroute:
		es, err = out.handOn(cmd, at)
	case infoslip.OpAdd:
		es, err = out.add(cmd, at)
	case infoslip.OpConfirm, infoslip.OpAutoClose, infoslip.OpWithdraw:
		es, err = out.finish(cmd, at)
	}
	if err != nil {
		return s, nil, err
	}
	out.UpdatedAt = at
	if out.State == infoslip.StateOpen {
		switch done := out.AllDone(); {
		case done && out.AllDoneAt == nil:
			out.AllDoneAt = slipTime(at)
		case !done:
			out.AllDoneAt = nil
		}
	}
	return out, es, nil
}

// route gives a department's part to a person of its team (or to another
// one while the part still owes: who had it is on the timeline). A part
// re-routed after it was acknowledged is pending again: the new person has
// not taken it on yet.
func (s *Slip) route(cmd SlipCommand, at time.Time) ([]SlipEntry, error) {
	r := &s.Recipients[s.index(cmd.Recipient)]
	var v apperr.Validation
	p, ok := s.person(&v, "user_id", cmd.UserID, cmd.People)
	switch {
	case !ok:
	case !slices.Contains(p.Teams, r.Team):
		v.Add("user_id", "not_in_team", "a person of team "+r.Team+", whose part this is")
	case p.ID == r.UserID:
		v.Add("user_id", "unchanged", "the part is already with this person")
	case s.owes(func(o Recipient) bool { return o.N != r.N && o.UserID == p.ID }):
		v.Add("user_id", "duplicate", "this person already has the slip")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	e := s.entry(SlipKindRouted, cmd.Actor, at)
	e.Recipient, e.From, e.To = r.N, r.UserID, p.ID
	r.UserID, r.UserName, r.RoutedBy, r.RoutedAt = p.ID, p.Name, cmd.Actor, slipTime(at)
	if r.State == infoslip.RecipientAcknowledged {
		r.State, r.AcknowledgedAt = infoslip.RecipientPending, nil
	}
	return []SlipEntry{e}, nil
}

// move changes one part's state in place: acknowledge, done, reject (by its
// person), dismiss, object (by the originator).
func (s *Slip) move(cmd SlipCommand, at time.Time) ([]SlipEntry, error) {
	r := &s.Recipients[s.index(cmd.Recipient)]
	var v apperr.Validation
	switch cmd.Op {
	case infoslip.OpDone:
		text(&v, "note", cmd.Text, MaxSlipActionNote, true)
	case infoslip.OpReject, infoslip.OpObject:
		text(&v, "reason", cmd.Text, MaxReason, true)
	case infoslip.OpDismiss:
		text(&v, "reason", cmd.Text, MaxReason, false)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var e SlipEntry
	switch cmd.Op {
	case infoslip.OpAcknowledge:
		e = s.entry(SlipKindAcknowledged, cmd.Actor, at)
		r.State, r.AcknowledgedAt = infoslip.RecipientAcknowledged, slipTime(at)
	case infoslip.OpDone:
		e = s.entry(SlipKindDone, cmd.Actor, at)
		e.Body = cmd.Text
		if r.AcknowledgedAt == nil { // acting is acknowledging
			r.AcknowledgedAt = slipTime(at)
		}
		r.State, r.DoneAt, r.ActionNote = infoslip.RecipientDone, slipTime(at), cmd.Text
	case infoslip.OpReject:
		e = s.entry(SlipKindRejected, cmd.Actor, at)
		e.Reason = cmd.Text
		r.State, r.RejectedAt, r.RejectReason = infoslip.RecipientRejected, slipTime(at), cmd.Text
	case infoslip.OpDismiss:
		e = s.entry(SlipKindDismissed, cmd.Actor, at)
		e.Reason = cmd.Text
		r.State = infoslip.RecipientDismissed
	case infoslip.OpObject: // not done after all: back to work
		e = s.entry(SlipKindObjected, cmd.Actor, at)
		e.Reason = cmd.Text
		r.State, r.DoneAt = infoslip.RecipientAcknowledged, nil
	}
	e.Recipient = r.N
	return []SlipEntry{e}, nil
}

// handOn gives a part to a new recipient, keeping the chain: forward (by the
// part's person; the part is forwarded) or reroute (by the originator, of a
// rejected part; the part is dismissed).
func (s *Slip) handOn(cmd SlipCommand, at time.Time) ([]SlipEntry, error) {
	var v apperr.Validation
	kind := SlipKindForwarded
	if cmd.Op == infoslip.OpForward {
		text(&v, "note", cmd.Text, MaxBody, false)
	} else {
		kind = SlipKindRerouted
		text(&v, "reason", cmd.Text, MaxReason, false)
	}
	nr, _ := s.newRecipient(&v, "to", *cmd.To, cmd.Org, cmd.People, cmd.Actor, at)
	if err := v.Err(); err != nil {
		return nil, err
	}
	r := &s.Recipients[s.index(cmd.Recipient)]
	e := s.entry(kind, cmd.Actor, at)
	e.Recipient, e.To = r.N, slipN(nr.N)
	if cmd.Op == infoslip.OpForward {
		e.Body = cmd.Text
		r.State, r.ForwardedTo, nr.ForwardedFrom = infoslip.RecipientForwarded, nr.N, r.N
	} else {
		e.Reason = cmd.Text
		r.State, r.ReroutedTo, nr.ReroutedFrom = infoslip.RecipientDismissed, nr.N, r.N
	}
	s.Recipients = append(s.Recipients, nr)
	return []SlipEntry{e}, nil
}

// add routes the slip to more recipients, each checked as at filing (and
// against those added before it).
func (s *Slip) add(cmd SlipCommand, at time.Time) ([]SlipEntry, error) {
	var v apperr.Validation
	text(&v, "note", cmd.Text, MaxBody, false)
	var es []SlipEntry
	for i, in := range cmd.Adds {
		nr, ok := s.newRecipient(&v, fmt.Sprintf("recipients[%d]", i), in, cmd.Org, cmd.People, cmd.Actor, at)
		if !ok {
			continue
		}
		s.Recipients = append(s.Recipients, nr)
		e := s.entry(SlipKindAdded, cmd.Actor, at)
		e.Recipient, e.To, e.Body = nr.N, nr.Label(), cmd.Text
		es = append(es, e)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return es, nil
}

// finish closes the slip (confirm; auto_close after the confirmation
// period) or withdraws it.
func (s *Slip) finish(cmd SlipCommand, at time.Time) ([]SlipEntry, error) {
	switch cmd.Op {
	case infoslip.OpConfirm:
		e := s.entry(SlipKindClosed, cmd.Actor, at)
		s.State, s.ClosedAt, s.ClosedBy = infoslip.StateClosed, slipTime(at), cmd.Actor
		return []SlipEntry{e}, nil
	case infoslip.OpAutoClose:
		if cmd.ConfirmAfter > 0 && s.AllDoneAt != nil && at.Before(s.AllDoneAt.Add(cmd.ConfirmAfter)) {
			return nil, ErrSlipCloseNotDue
		}
		e := s.entry(SlipKindClosed, WorkflowActor, at)
		e.Reason = "closed by itself: every part done, and no objection"
		if cmd.ConfirmAfter > 0 {
			e.Reason += " within " + cmd.ConfirmAfter.String()
		}
		s.State, s.ClosedAt, s.ClosedBy = infoslip.StateClosed, slipTime(at), WorkflowActor
		return []SlipEntry{e}, nil
	}
	var v apperr.Validation
	text(&v, "reason", cmd.Text, MaxReason, false)
	if err := v.Err(); err != nil {
		return nil, err
	}
	e := s.entry(SlipKindWithdrawn, cmd.Actor, at)
	e.Reason = cmd.Text
	s.State, s.WithdrawnAt, s.WithdrawReason = infoslip.StateWithdrawn, slipTime(at), cmd.Text
	return []SlipEntry{e}, nil
}

func slipTime(t time.Time) *time.Time { return &t }

// CheckSlipVersion refuses a change made against a version of the slip
// other than the stored one (expected 0: the caller did not say).
func CheckSlipVersion(s Slip, expected int64) error {
	if expected != 0 && expected != s.Version {
		return ErrSlipVersionConflict
	}
	return nil
}
