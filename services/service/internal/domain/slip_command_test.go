package domain_test

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// part puts recipient n of s in state, with the instants and person that
// state implies (a fixture: the real moves are ApplySlip's).
func part(s *domain.Slip, n int32, state string) {
	r := &s.Recipients[n-1]
	at := slipT0.Add(time.Hour)
	if r.Kind == infoslip.KindDepartment && state != infoslip.RecipientPending {
		r.UserID, r.UserName, r.RoutedBy, r.RoutedAt = "svc-sun", "Sun", "mgr-svc", &at
	}
	r.State = state
	switch state {
	case infoslip.RecipientAcknowledged:
		r.AcknowledgedAt = &at
	case infoslip.RecipientDone:
		r.AcknowledgedAt, r.DoneAt, r.ActionNote = &at, &at, "fixed"
	case infoslip.RecipientRejected:
		r.RejectedAt, r.RejectReason = &at, "not ours"
	}
}

func allDone(s *domain.Slip) {
	for n := range int32(len(s.Recipients)) {
		part(s, n+1, infoslip.RecipientDone)
	}
	at := slipT0.Add(time.Hour)
	s.AllDoneAt = &at
}

// TestApplySlip: every op, allowed and refused. The slip (newSlip) has
// three parts: 1 the service department (team service, not routed), 2
// svc-wu, 3 mkt-mo; rep-ana sent it.
func TestApplySlip(t *testing.T) {
	at := slipT0.Add(2 * time.Hour)
	cmd := func(op string, n int32, text string) domain.SlipCommand {
		return domain.SlipCommand{Op: op, Actor: "someone", Recipient: n, Text: text, People: slipPeople(), Org: slipOrg}
	}
	to := func(c domain.SlipCommand, in domain.RecipientInput) domain.SlipCommand { c.To = &in; return c }
	route := func(n int32, user string) domain.SlipCommand {
		c := cmd(infoslip.OpRoute, n, "")
		c.UserID = user
		return c
	}
	add := func(ins ...domain.RecipientInput) domain.SlipCommand {
		c := cmd(infoslip.OpAdd, 0, "please look too")
		c.Adds = ins
		return c
	}
	autoClose := func(after time.Duration) domain.SlipCommand {
		c := cmd(infoslip.OpAutoClose, 0, "")
		c.Actor, c.ConfirmAfter = domain.WorkflowActor, after
		return c
	}
	type result struct {
		s  domain.Slip
		es []domain.SlipEntry
	}
	cases := []struct {
		name  string
		setup func(*domain.Slip)
		cmd   domain.SlipCommand
		err   error             // a sentinel refusal, or
		field map[string]string // a 422 on fields; both nil: applied
		check func(t *testing.T, r result)
	}{
		// route
		{"route the department's part", nil, route(1, "svc-sun"), nil, nil, func(t *testing.T, r result) {
			p := r.s.Recipients[0]
			if p.UserID != "svc-sun" || p.UserName != "Sun" || p.RoutedBy != "someone" || !p.RoutedAt.Equal(at) || p.State != infoslip.RecipientPending {
				t.Errorf("routed part %+v", p)
			}
			entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindRouted, Recipient: 1, To: "svc-sun"})
		}},
		{"the manager takes it", nil, route(1, "mgr-svc"), nil, nil, nil},
		{"re-route an acknowledged part to another person of the team", func(s *domain.Slip) { part(s, 1, infoslip.RecipientAcknowledged) },
			route(1, "svc-lin"), nil, nil, func(t *testing.T, r result) {
				p := r.s.Recipients[0]
				if p.UserID != "svc-lin" || p.State != infoslip.RecipientPending || p.AcknowledgedAt != nil {
					t.Errorf("re-routed part %+v", p)
				}
				entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindRouted, Recipient: 1, From: "svc-sun", To: "svc-lin"})
			}},
		{"route to a person of another team", nil, route(1, "svc-wu"), nil, map[string]string{"user_id": "not_in_team"}, nil},
		{"route to a stranger", nil, route(1, "stranger"), nil, map[string]string{"user_id": "unknown_user"}, nil},
		{"route to a person who has left", nil, route(1, "ex-old"), nil, map[string]string{"user_id": "unknown_user"}, nil},
		{"route to nobody", nil, route(1, ""), nil, map[string]string{"user_id": "required"}, nil},
		{"route to the person it is with", func(s *domain.Slip) { part(s, 1, infoslip.RecipientAcknowledged) }, route(1, "svc-sun"), nil,
			map[string]string{"user_id": "unchanged"}, nil},
		{"route to a person who has a part already", func(s *domain.Slip) { s.Recipients[2].UserID = "svc-lin" }, route(1, "svc-lin"), nil,
			map[string]string{"user_id": "duplicate"}, nil},
		{"route a person's part", nil, route(2, "svc-sun"), domain.ErrSlipNotDepartment, nil, nil},
		{"route a done part", func(s *domain.Slip) { part(s, 1, infoslip.RecipientDone) }, route(1, "svc-lin"), domain.ErrSlipRecipientTransition, nil, nil},
		// acknowledge
		{"acknowledge", nil, cmd(infoslip.OpAcknowledge, 2, ""), nil, nil, func(t *testing.T, r result) {
			if p := r.s.Recipients[1]; p.State != infoslip.RecipientAcknowledged || !p.AcknowledgedAt.Equal(at) {
				t.Errorf("acknowledged part %+v", p)
			}
			entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindAcknowledged, Recipient: 2})
		}},
		{"acknowledge twice", func(s *domain.Slip) { part(s, 2, infoslip.RecipientAcknowledged) }, cmd(infoslip.OpAcknowledge, 2, ""),
			domain.ErrSlipAlreadyAcknowledged, nil, nil},
		{"acknowledge a done part", func(s *domain.Slip) { part(s, 2, infoslip.RecipientDone) }, cmd(infoslip.OpAcknowledge, 2, ""),
			domain.ErrSlipRecipientTransition, nil, nil},
		{"acknowledge a department's part not routed", nil, cmd(infoslip.OpAcknowledge, 1, ""), domain.ErrSlipNotRouted, nil, nil},
		{"acknowledge a routed department's part", func(s *domain.Slip) { s.Recipients[0].UserID = "svc-sun" }, cmd(infoslip.OpAcknowledge, 1, ""), nil, nil, nil},
		// done
		{"done without acknowledging first", nil, cmd(infoslip.OpDone, 3, "called the customer"), nil, nil, func(t *testing.T, r result) {
			p := r.s.Recipients[2]
			if p.State != infoslip.RecipientDone || !p.DoneAt.Equal(at) || !p.AcknowledgedAt.Equal(at) || p.ActionNote != "called the customer" || r.s.AllDoneAt != nil {
				t.Errorf("done part %+v, all done at %v", p, r.s.AllDoneAt)
			}
			entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindDone, Recipient: 3, Body: "called the customer"})
		}},
		{"done keeps the acknowledgement", func(s *domain.Slip) { part(s, 3, infoslip.RecipientAcknowledged) }, cmd(infoslip.OpDone, 3, "x"), nil, nil,
			func(t *testing.T, r result) {
				if p := r.s.Recipients[2]; !p.AcknowledgedAt.Equal(slipT0.Add(time.Hour)) {
					t.Errorf("acknowledged at %v", p.AcknowledgedAt)
				}
			}},
		{"the last part done", func(s *domain.Slip) { part(s, 1, infoslip.RecipientDone); part(s, 2, infoslip.RecipientDismissed) },
			cmd(infoslip.OpDone, 3, "x"), nil, nil, func(t *testing.T, r result) {
				if r.s.AllDoneAt == nil || !r.s.AllDoneAt.Equal(at) || r.s.State != infoslip.StateOpen {
					t.Errorf("all done at %v, state %s", r.s.AllDoneAt, r.s.State)
				}
			}},
		{"done without a note", nil, cmd(infoslip.OpDone, 3, " "), nil, map[string]string{"note": infoslip.CodeNoteRequired}, nil},
		{"done with a note too long", nil, cmd(infoslip.OpDone, 3, strings.Repeat("x", domain.MaxSlipActionNote+1)), nil, map[string]string{"note": "too_long"}, nil},
		{"done twice", func(s *domain.Slip) { part(s, 3, infoslip.RecipientDone) }, cmd(infoslip.OpDone, 3, "x"), domain.ErrSlipAlreadyDone, nil, nil},
		{"done on a rejected part", func(s *domain.Slip) { part(s, 3, infoslip.RecipientRejected) }, cmd(infoslip.OpDone, 3, "x"), domain.ErrSlipRecipientTransition, nil, nil},
		// reject
		{"reject", nil, cmd(infoslip.OpReject, 2, "marketing's, not ours"), nil, nil, func(t *testing.T, r result) {
			if p := r.s.Recipients[1]; p.State != infoslip.RecipientRejected || !p.RejectedAt.Equal(at) || p.RejectReason != "marketing's, not ours" {
				t.Errorf("rejected part %+v", p)
			}
			entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindRejected, Recipient: 2, Reason: "marketing's, not ours"})
		}},
		{"reject without a reason", nil, cmd(infoslip.OpReject, 2, ""), nil, map[string]string{"reason": infoslip.CodeReasonRequired}, nil},
		{"reject with a reason too long", nil, cmd(infoslip.OpReject, 2, strings.Repeat("x", domain.MaxReason+1)), nil, map[string]string{"reason": "too_long"}, nil},
		{"reject a done part", func(s *domain.Slip) { part(s, 2, infoslip.RecipientDone) }, cmd(infoslip.OpReject, 2, "x"), domain.ErrSlipRecipientTransition, nil, nil},
		// forward
		{"forward", nil, to(cmd(infoslip.OpForward, 2, "Sun knows the site"), person("svc-sun")), nil, nil, func(t *testing.T, r result) {
			old, nw := r.s.Recipients[1], r.s.Recipients[3]
			if old.State != infoslip.RecipientForwarded || old.ForwardedTo != 4 || nw.N != 4 || nw.ForwardedFrom != 2 || nw.UserID != "svc-sun" ||
				nw.State != infoslip.RecipientPending || !nw.ReceivedAt.Equal(at) || nw.AddedBy != "someone" || nw.Department != "service" {
				t.Errorf("forwarded %+v\nto %+v", old, nw)
			}
			entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindForwarded, Recipient: 2, To: "4", Body: "Sun knows the site"})
		}},
		{"forward to a department", func(s *domain.Slip) { part(s, 3, infoslip.RecipientAcknowledged) }, to(cmd(infoslip.OpForward, 3, ""), dept("sales", "south")),
			nil, nil, func(t *testing.T, r result) {
				if nw := r.s.Recipients[3]; nw.Kind != infoslip.KindDepartment || nw.Team != "south" || nw.UserID != "" {
					t.Errorf("forwarded to %+v", nw)
				}
			}},
		{"forward to a stranger", nil, to(cmd(infoslip.OpForward, 2, ""), person("stranger")), nil, map[string]string{"to.user_id": "unknown_user"}, nil},
		{"forward to someone who has a part", nil, to(cmd(infoslip.OpForward, 2, ""), person("mkt-mo")), nil, map[string]string{"to.user_id": "duplicate"}, nil},
		{"forward to oneself", nil, to(cmd(infoslip.OpForward, 2, ""), person("svc-wu")), nil, map[string]string{"to.user_id": "duplicate"}, nil},
		{"forward to someone whose part is done", func(s *domain.Slip) { part(s, 3, infoslip.RecipientDone) }, to(cmd(infoslip.OpForward, 2, ""), person("mkt-mo")), nil, nil, nil},
		{"forward to the originator", nil, to(cmd(infoslip.OpForward, 2, ""), person("rep-ana")), nil, map[string]string{"to.user_id": "self"}, nil},
		{"forward to nobody", nil, cmd(infoslip.OpForward, 2, ""), nil, map[string]string{"to": infoslip.CodeInvalid}, nil},
		{"forward a rejected part", func(s *domain.Slip) { part(s, 2, infoslip.RecipientRejected) }, to(cmd(infoslip.OpForward, 2, ""), person("svc-sun")),
			domain.ErrSlipRecipientTransition, nil, nil},
		{"forward past the chain's end", func(s *domain.Slip) { grow(s, infoslip.MaxChain) }, to(cmd(infoslip.OpForward, 2, ""), person("svc-sun")),
			nil, map[string]string{"recipients": infoslip.CodeTooManyRecipients}, nil},
		// add
		{"add", func(s *domain.Slip) { allDone(s) }, add(dept("sales", "south"), person("svc-sun")), nil, nil, func(t *testing.T, r result) {
			if len(r.s.Recipients) != 5 || r.s.Recipients[3].Team != "south" || r.s.Recipients[4].UserID != "svc-sun" || r.s.AllDoneAt != nil {
				t.Errorf("added %+v, all done at %v", r.s.Recipients[3:], r.s.AllDoneAt)
			}
			entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindAdded, Recipient: 4, To: "sales/south", Body: "please look too"},
				domain.SlipEntry{Kind: domain.SlipKindAdded, Recipient: 5, To: "Sun", Body: "please look too"})
		}},
		{"add nobody", nil, add(), nil, map[string]string{"recipients": infoslip.CodeInvalid}, nil},
		{"add one good and one bad", nil, add(person("svc-sun"), person("stranger"), person("svc-sun")), nil,
			map[string]string{"recipients[1].user_id": "unknown_user", "recipients[2].user_id": "duplicate"}, nil},
		{"add up to the chain's end", func(s *domain.Slip) { grow(s, infoslip.MaxChain-1) }, add(person("svc-sun")), nil, nil, nil},
		{"add past the chain's end", func(s *domain.Slip) { grow(s, infoslip.MaxChain-1) }, add(person("svc-sun"), person("svc-lin")), nil,
			map[string]string{"recipients": infoslip.CodeTooManyRecipients}, nil},
		// reroute
		{"reroute to a department team that has a part", func(s *domain.Slip) { part(s, 2, infoslip.RecipientRejected) }, to(cmd(infoslip.OpReroute, 2, ""), dept("service", "service")),
			nil, map[string]string{"to.department": "duplicate"}, nil},
		{"reroute a rejected part to a department", func(s *domain.Slip) { part(s, 2, infoslip.RecipientRejected) }, to(cmd(infoslip.OpReroute, 2, "sales south knows"), dept("sales", "south")),
			nil, nil, func(t *testing.T, r result) {
				old, nw := r.s.Recipients[1], r.s.Recipients[3]
				if old.State != infoslip.RecipientDismissed || old.ReroutedTo != 4 || nw.ReroutedFrom != 2 || nw.State != infoslip.RecipientPending || nw.ForwardedFrom != 0 {
					t.Errorf("rerouted %+v\nto %+v", old, nw)
				}
				entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindRerouted, Recipient: 2, To: "4", Reason: "sales south knows"})
			}},
		{"reroute a pending part", nil, to(cmd(infoslip.OpReroute, 2, ""), person("svc-sun")), domain.ErrSlipRecipientTransition, nil, nil},
		{"reroute to nobody", func(s *domain.Slip) { part(s, 2, infoslip.RecipientRejected) }, cmd(infoslip.OpReroute, 2, ""), nil, map[string]string{"to": infoslip.CodeInvalid}, nil},
		// dismiss
		{"dismiss the last open part", func(s *domain.Slip) {
			part(s, 1, infoslip.RecipientDone)
			part(s, 2, infoslip.RecipientRejected)
			part(s, 3, infoslip.RecipientDone)
		}, cmd(infoslip.OpDismiss, 2, "not needed after all"), nil, nil, func(t *testing.T, r result) {
			if r.s.Recipients[1].State != infoslip.RecipientDismissed || r.s.AllDoneAt == nil || !r.s.AllDoneAt.Equal(at) {
				t.Errorf("dismissed %+v, all done at %v", r.s.Recipients[1], r.s.AllDoneAt)
			}
			entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindDismissed, Recipient: 2, Reason: "not needed after all"})
		}},
		{"dismiss a pending part", nil, cmd(infoslip.OpDismiss, 2, ""), domain.ErrSlipRecipientTransition, nil, nil},
		// object
		{"object", allDone, cmd(infoslip.OpObject, 3, "the customer was not called"), nil, nil, func(t *testing.T, r result) {
			if p := r.s.Recipients[2]; p.State != infoslip.RecipientAcknowledged || p.DoneAt != nil || p.AcknowledgedAt == nil || r.s.AllDoneAt != nil {
				t.Errorf("objected %+v, all done at %v", p, r.s.AllDoneAt)
			}
			entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindObjected, Recipient: 3, Reason: "the customer was not called"})
		}},
		{"object without a reason", allDone, cmd(infoslip.OpObject, 3, ""), nil, map[string]string{"reason": infoslip.CodeReasonRequired}, nil},
		{"object to a pending part", nil, cmd(infoslip.OpObject, 3, "x"), domain.ErrSlipRecipientTransition, nil, nil},
		// confirm, auto_close
		{"confirm", allDone, cmd(infoslip.OpConfirm, 0, ""), nil, nil, func(t *testing.T, r result) {
			if r.s.State != infoslip.StateClosed || !r.s.ClosedAt.Equal(at) || r.s.ClosedBy != "someone" || r.s.AllDoneAt == nil {
				t.Errorf("confirmed %+v", r.s)
			}
			entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindClosed})
		}},
		{"confirm with a part open", func(s *domain.Slip) { allDone(s); part(s, 2, infoslip.RecipientAcknowledged) }, cmd(infoslip.OpConfirm, 0, ""),
			domain.ErrSlipNotAllDone, nil, nil},
		{"confirm with a part rejected", func(s *domain.Slip) { allDone(s); part(s, 2, infoslip.RecipientRejected) }, cmd(infoslip.OpConfirm, 0, ""),
			domain.ErrSlipNotAllDone, nil, nil},
		{"close by itself after the period", allDone, autoClose(time.Hour), nil, nil, func(t *testing.T, r result) {
			if r.s.State != infoslip.StateClosed || r.s.ClosedBy != domain.WorkflowActor || len(r.es) != 1 || r.es[0].Actor != domain.WorkflowActor {
				t.Errorf("closed %+v %+v", r.s, r.es)
			}
		}},
		{"close by itself before the period", allDone, autoClose(time.Hour + time.Microsecond), domain.ErrSlipCloseNotDue, nil, nil},
		{"close by itself with a part open", func(s *domain.Slip) { allDone(s); part(s, 1, infoslip.RecipientPending) }, autoClose(0), domain.ErrSlipNotAllDone, nil, nil},
		// withdraw
		{"withdraw", nil, cmd(infoslip.OpWithdraw, 0, "the customer sorted it out"), nil, nil, func(t *testing.T, r result) {
			if r.s.State != infoslip.StateWithdrawn || !r.s.WithdrawnAt.Equal(at) || r.s.WithdrawReason != "the customer sorted it out" || r.s.ClosedAt != nil {
				t.Errorf("withdrawn %+v", r.s)
			}
			entries(t, r.es, domain.SlipEntry{Kind: domain.SlipKindWithdrawn, Reason: "the customer sorted it out"})
		}},
		{"withdraw without a reason", nil, cmd(infoslip.OpWithdraw, 0, ""), nil, nil, nil},
		{"withdraw with a reason too long", nil, cmd(infoslip.OpWithdraw, 0, strings.Repeat("x", domain.MaxReason+1)), nil, map[string]string{"reason": "too_long"}, nil},
		// the slip's state, the command's shape
		{"acknowledge on a withdrawn slip", func(s *domain.Slip) { s.State = infoslip.StateWithdrawn }, cmd(infoslip.OpAcknowledge, 2, ""), domain.ErrSlipWithdrawn, nil, nil},
		{"done on a withdrawn slip", func(s *domain.Slip) { s.State = infoslip.StateWithdrawn }, cmd(infoslip.OpDone, 2, "x"), domain.ErrSlipWithdrawn, nil, nil},
		{"withdraw twice", func(s *domain.Slip) { s.State = infoslip.StateWithdrawn }, cmd(infoslip.OpWithdraw, 0, ""), domain.ErrSlipWithdrawn, nil, nil},
		{"add to a closed slip", func(s *domain.Slip) { allDone(s); s.State = infoslip.StateClosed }, add(person("svc-sun")), domain.ErrSlipClosed, nil, nil},
		{"object on a closed slip", func(s *domain.Slip) { allDone(s); s.State = infoslip.StateClosed }, cmd(infoslip.OpObject, 1, "x"), domain.ErrSlipClosed, nil, nil},
		{"an unknown op", nil, cmd("shred", 0, ""), nil, map[string]string{"op": infoslip.CodeInvalid}, nil},
		{"no such part", nil, cmd(infoslip.OpAcknowledge, 9, ""), nil, map[string]string{"recipient": infoslip.CodeRecipientNotFound}, nil},
		{"no actor", nil, func() domain.SlipCommand { c := cmd(infoslip.OpAcknowledge, 2, ""); c.Actor = ""; return c }(), nil,
			map[string]string{"actor": "required"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSlip(t)
			if c.setup != nil {
				c.setup(&s)
			}
			before := deepCopy(s)
			got, es, err := domain.ApplySlip(s, c.cmd, at)
			if !reflect.DeepEqual(s, before) {
				t.Fatalf("ApplySlip changed its argument:\n%+v\nwas %+v", s, before)
			}
			switch {
			case c.err != nil:
				if !errors.Is(err, c.err) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
			case c.field != nil:
				if f := fields(t, err); !maps.Equal(f, c.field) {
					t.Fatalf("fields %v, want %v (err %v)", f, c.field, err)
				}
			case err != nil:
				t.Fatalf("refused: %v", err)
			}
			if err != nil {
				if !reflect.DeepEqual(got, before) || es != nil {
					t.Fatalf("a refusal changed the slip: %+v %+v", got, es)
				}
				return
			}
			if !got.UpdatedAt.Equal(at) || len(es) == 0 || got.Version != s.Version {
				t.Errorf("updated at %v, version %d, %d entries", got.UpdatedAt, got.Version, len(es))
			}
			for _, e := range es {
				if e.SlipID != s.ID || !e.At.Equal(at) || e.Actor == "" || e.ID != "" {
					t.Errorf("entry %+v", e)
				}
			}
			if c.check != nil {
				c.check(t, result{got, es})
			}
		})
	}
}

// The whole life of a slip through ApplySlip: three parts done, the
// originator objects to one, it is done again, the slip is confirmed.
func TestApplySlipLife(t *testing.T) {
	s := newSlip(t)
	at := slipT0
	step := func(c domain.SlipCommand) {
		t.Helper()
		at = at.Add(time.Hour)
		c.People, c.Org = slipPeople(), slipOrg
		var err error
		if s, _, err = domain.ApplySlip(s, c, at); err != nil {
			t.Fatalf("%s: %v", c.Op, err)
		}
	}
	step(domain.SlipCommand{Op: infoslip.OpRoute, Actor: "mgr-svc", Recipient: 1, UserID: "svc-sun"})
	step(domain.SlipCommand{Op: infoslip.OpDone, Actor: "svc-sun", Recipient: 1, Text: "brakes replaced"})
	step(domain.SlipCommand{Op: infoslip.OpReject, Actor: "svc-wu", Recipient: 2, Text: "west has no such site"})
	step(domain.SlipCommand{Op: infoslip.OpDismiss, Actor: "rep-ana", Recipient: 2})
	if s.AllDone() {
		t.Fatal("all done with marketing's part pending")
	}
	step(domain.SlipCommand{Op: infoslip.OpDone, Actor: "mkt-mo", Recipient: 3, Text: "case study withdrawn"})
	if s.AllDoneAt == nil || !s.AllDoneAt.Equal(at) {
		t.Fatalf("all done at %v, want %v", s.AllDoneAt, at)
	}
	step(domain.SlipCommand{Op: infoslip.OpObject, Actor: "rep-ana", Recipient: 1, Text: "site B still complains"})
	if s.AllDoneAt != nil {
		t.Fatal("an objection left the slip all done")
	}
	if _, _, err := domain.ApplySlip(s, domain.SlipCommand{Op: infoslip.OpConfirm, Actor: "rep-ana"}, at); !errors.Is(err, domain.ErrSlipNotAllDone) {
		t.Fatalf("confirm after an objection: %v", err)
	}
	step(domain.SlipCommand{Op: infoslip.OpDone, Actor: "svc-sun", Recipient: 1, Text: "site B fixed too"})
	step(domain.SlipCommand{Op: infoslip.OpConfirm, Actor: "rep-ana"})
	if s.State != infoslip.StateClosed || s.ClosedBy != "rep-ana" || s.Recipients[0].ActionNote != "site B fixed too" {
		t.Fatalf("closed slip %+v", s)
	}
}

// entries checks es against want on the fields want sets (kind, recipient,
// body, reason, from, to).
func entries(t *testing.T, es []domain.SlipEntry, want ...domain.SlipEntry) {
	t.Helper()
	if len(es) != len(want) {
		t.Fatalf("%d entries %+v, want %d", len(es), es, len(want))
	}
	for i, w := range want {
		e := es[i]
		if e.Kind != w.Kind || e.Recipient != w.Recipient || e.Body != w.Body || e.Reason != w.Reason || e.From != w.From || e.To != w.To {
			t.Errorf("entry %d %+v\nwant %+v", i, e, w)
		}
	}
}

// grow gives s n recipients in all, the new ones dismissed.
func grow(s *domain.Slip, n int) {
	for i := int32(len(s.Recipients)); i < int32(n); i++ {
		s.Recipients = append(s.Recipients, domain.Recipient{N: i + 1, Kind: infoslip.KindPerson, UserID: "gone", State: infoslip.RecipientDismissed})
	}
}

func deepCopy(s domain.Slip) domain.Slip {
	c := s.Clone()
	for i, r := range c.Recipients {
		for _, p := range []**time.Time{&r.RoutedAt, &r.AcknowledgedAt, &r.DoneAt, &r.RejectedAt} {
			if *p != nil {
				v := **p
				*p = &v
			}
		}
		c.Recipients[i] = r
	}
	c.OriginatorTeams = slices.Clone(s.OriginatorTeams)
	return c
}
