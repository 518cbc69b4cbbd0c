package infoslip_test

import (
	"testing"

	"github.com/closeloop/closeloop/workflows/infoslip"
)

func TestCheckCommand(t *testing.T) {
	open := func(rs ...infoslip.Recipient) infoslip.Slip {
		for i := range rs {
			rs[i].N = int32(i + 1)
		}
		return infoslip.Slip{State: infoslip.StateOpen, Recipients: rs}
	}
	pending := infoslip.Recipient{Kind: infoslip.KindPerson, State: infoslip.RecipientPending, UserID: "svc-sam"}
	acked := infoslip.Recipient{Kind: infoslip.KindPerson, State: infoslip.RecipientAcknowledged, UserID: "svc-sam"}
	done := infoslip.Recipient{Kind: infoslip.KindPerson, State: infoslip.RecipientDone, UserID: "svc-sam"}
	rejected := infoslip.Recipient{Kind: infoslip.KindPerson, State: infoslip.RecipientRejected, UserID: "svc-sue"}
	dept := infoslip.Recipient{Kind: infoslip.KindDepartment, State: infoslip.RecipientPending}
	withdrawn := open(pending)
	withdrawn.State = infoslip.StateWithdrawn
	closed := open(done)
	closed.State = infoslip.StateClosed
	many := open()
	for range infoslip.MaxChain {
		many.Recipients = append(many.Recipients, pending)
	}
	for _, c := range []struct {
		name string
		s    infoslip.Slip
		cmd  infoslip.Command
		want string
	}{
		{"acknowledge", open(pending), infoslip.Command{Op: infoslip.OpAcknowledge, Recipient: 1}, ""},
		{"acknowledge twice", open(acked), infoslip.Command{Op: infoslip.OpAcknowledge, Recipient: 1}, infoslip.CodeAlreadyAcknowledged},
		{"acknowledge a done part", open(done), infoslip.Command{Op: infoslip.OpAcknowledge, Recipient: 1}, infoslip.CodeRecipientState},
		{"acknowledge an unrouted department", open(dept), infoslip.Command{Op: infoslip.OpAcknowledge, Recipient: 1}, infoslip.CodeNotRouted},
		{"no such recipient", open(pending), infoslip.Command{Op: infoslip.OpAcknowledge, Recipient: 2}, infoslip.CodeRecipientNotFound},
		{"unknown op", open(pending), infoslip.Command{Op: "shred"}, infoslip.CodeInvalid},
		{"act on a withdrawn slip", withdrawn, infoslip.Command{Op: infoslip.OpAcknowledge, Recipient: 1}, infoslip.CodeSlipWithdrawn},
		{"act on a closed slip", closed, infoslip.Command{Op: infoslip.OpObject, Recipient: 1, Text: "no"}, infoslip.CodeSlipClosed},
		{"done without a note", open(acked), infoslip.Command{Op: infoslip.OpDone, Recipient: 1, Text: "  "}, infoslip.CodeNoteRequired},
		{"done with a note", open(acked), infoslip.Command{Op: infoslip.OpDone, Recipient: 1, Text: "called"}, ""},
		{"done without acknowledging first", open(pending), infoslip.Command{Op: infoslip.OpDone, Recipient: 1, Text: "called"}, ""},
		{"done twice", open(done), infoslip.Command{Op: infoslip.OpDone, Recipient: 1, Text: "called"}, infoslip.CodeAlreadyDone},
		{"reject without a reason", open(pending), infoslip.Command{Op: infoslip.OpReject, Recipient: 1}, infoslip.CodeReasonRequired},
		{"reject with a reason", open(pending), infoslip.Command{Op: infoslip.OpReject, Recipient: 1, Text: "not my account"}, ""},
		{"reject a done part", open(done), infoslip.Command{Op: infoslip.OpReject, Recipient: 1, Text: "x"}, infoslip.CodeRecipientState},
		{"route a person", open(pending), infoslip.Command{Op: infoslip.OpRoute, Recipient: 1}, infoslip.CodeNotDepartment},
		{"route a department", open(dept), infoslip.Command{Op: infoslip.OpRoute, Recipient: 1}, ""},
		{"forward to one", open(pending), infoslip.Command{Op: infoslip.OpForward, Recipient: 1, Adds: 1}, ""},
		{"forward to nobody", open(pending), infoslip.Command{Op: infoslip.OpForward, Recipient: 1}, infoslip.CodeInvalid},
		{"forward a done part", open(done), infoslip.Command{Op: infoslip.OpForward, Recipient: 1, Adds: 1}, infoslip.CodeRecipientState},
		{"reroute a rejected part", open(rejected), infoslip.Command{Op: infoslip.OpReroute, Recipient: 1, Adds: 1}, ""},
		{"reroute a pending part", open(pending), infoslip.Command{Op: infoslip.OpReroute, Recipient: 1, Adds: 1}, infoslip.CodeRecipientState},
		{"dismiss a rejected part", open(rejected), infoslip.Command{Op: infoslip.OpDismiss, Recipient: 1}, ""},
		{"dismiss a pending part", open(pending), infoslip.Command{Op: infoslip.OpDismiss, Recipient: 1}, infoslip.CodeRecipientState},
		{"object to a done part", open(done), infoslip.Command{Op: infoslip.OpObject, Recipient: 1, Text: "the price is still wrong"}, ""},
		{"object without a reason", open(done), infoslip.Command{Op: infoslip.OpObject, Recipient: 1}, infoslip.CodeReasonRequired},
		{"object to a pending part", open(pending), infoslip.Command{Op: infoslip.OpObject, Recipient: 1, Text: "x"}, infoslip.CodeRecipientState},
		{"confirm all done", open(done, done), infoslip.Command{Op: infoslip.OpConfirm}, ""},
		{"confirm with a part owing", open(done, acked), infoslip.Command{Op: infoslip.OpConfirm}, infoslip.CodeNotAllDone},
		{"confirm with a rejection undecided", open(done, rejected), infoslip.Command{Op: infoslip.OpConfirm}, infoslip.CodeNotAllDone},
		{"add nobody", open(pending), infoslip.Command{Op: infoslip.OpAdd}, infoslip.CodeInvalid},
		{"add past the chain's limit", many, infoslip.Command{Op: infoslip.OpAdd, Adds: 1}, infoslip.CodeTooManyRecipients},
		{"withdraw", open(pending), infoslip.Command{Op: infoslip.OpWithdraw}, ""},
		{"withdraw twice", withdrawn, infoslip.Command{Op: infoslip.OpWithdraw}, infoslip.CodeSlipWithdrawn},
	} {
		got := ""
		if r := infoslip.CheckCommand(c.s, c.cmd); r != nil {
			got = r.Code
			if r.Message == "" {
				t.Errorf("%s: refusal %s without words", c.name, r.Code)
			}
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestAllDone(t *testing.T) {
	r := func(state string) infoslip.Recipient { return infoslip.Recipient{State: state} }
	for _, c := range []struct {
		states []string
		want   bool
	}{
		{nil, false},
		{[]string{infoslip.RecipientDone}, true},
		{[]string{infoslip.RecipientDone, infoslip.RecipientForwarded, infoslip.RecipientDismissed}, true},
		{[]string{infoslip.RecipientForwarded}, false},
		{[]string{infoslip.RecipientDone, infoslip.RecipientRejected}, false},
		{[]string{infoslip.RecipientDone, infoslip.RecipientPending}, false},
	} {
		s := infoslip.Slip{State: infoslip.StateOpen}
		for _, st := range c.states {
			s.Recipients = append(s.Recipients, r(st))
		}
		if got := s.AllDone(); got != c.want {
			t.Errorf("AllDone(%v) = %v, want %v", c.states, got, c.want)
		}
	}
}
