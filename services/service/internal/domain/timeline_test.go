package domain_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

func TestReplyEffects(t *testing.T) {
	at := t0.Add(30 * time.Minute)
	earlier := t0.Add(10 * time.Minute)
	cases := []struct {
		name      string
		state     string
		responded bool // a first response was already sent
		direction string
		want      error
		wantState string
		wantKinds []string
		eff       domain.Effects
	}{
		{"first outbound reply to a new case: opens it, meets first response", domain.StateNew, false, domain.Outbound, nil, domain.StateOpen,
			[]string{domain.KindReply, domain.KindStateChanged}, domain.Effects{MeetsFirstResponse: true}},
		{"first outbound reply to an open case", domain.StateOpen, false, domain.Outbound, nil, domain.StateOpen,
			[]string{domain.KindReply}, domain.Effects{MeetsFirstResponse: true}},
		{"first outbound reply while waiting internally", domain.StatePendingInternal, false, domain.Outbound, nil, domain.StatePendingInternal,
			[]string{domain.KindReply}, domain.Effects{MeetsFirstResponse: true}},
		{"a later outbound reply meets nothing", domain.StateOpen, true, domain.Outbound, nil, domain.StateOpen,
			[]string{domain.KindReply}, domain.Effects{}},
		{"outbound while waiting for the customer: still waiting", domain.StatePendingCustomer, true, domain.Outbound, nil, domain.StatePendingCustomer,
			[]string{domain.KindReply}, domain.Effects{}},
		{"inbound while waiting for the customer: resumes", domain.StatePendingCustomer, true, domain.Inbound, nil, domain.StateOpen,
			[]string{domain.KindReply, domain.KindStateChanged}, domain.Effects{Resumes: true}},
		{"inbound to a new case: more information", domain.StateNew, false, domain.Inbound, nil, domain.StateNew,
			[]string{domain.KindReply}, domain.Effects{}},
		{"inbound to an open case", domain.StateOpen, true, domain.Inbound, nil, domain.StateOpen,
			[]string{domain.KindReply}, domain.Effects{}},
		{"inbound while waiting internally: no resume", domain.StatePendingInternal, true, domain.Inbound, nil, domain.StatePendingInternal,
			[]string{domain.KindReply}, domain.Effects{}},
		{"inbound to a resolved case: a person judges", domain.StateResolved, true, domain.Inbound, nil, domain.StateResolved,
			[]string{domain.KindReply}, domain.Effects{}},
		{"outbound to a closed case", domain.StateClosed, true, domain.Outbound, domain.ErrCaseClosed, "", nil, domain.Effects{}},
		{"inbound to a closed case", domain.StateClosed, true, domain.Inbound, domain.ErrCaseClosed, "", nil, domain.Effects{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := caseIn(c.state)
			if c.responded {
				before.FirstResponseAt = &earlier
			}
			actor := "svc-sun"
			if c.direction == domain.Inbound {
				actor = "ct-li"
			}
			got, es, eff, err := domain.Reply(before, domain.Message{Direction: c.direction, Body: "We will send a technician.", Actor: actor}, at)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if c.want != nil {
				if got != before || es != nil || eff != (domain.Effects{}) {
					t.Errorf("a refusal changed something: %+v %+v %+v", got, es, eff)
				}
				return
			}
			if got.State != c.wantState || !slices.Equal(kinds(es), c.wantKinds) || eff != c.eff || !got.UpdatedAt.Equal(at) {
				t.Fatalf("state %s, entries %v, effects %+v", got.State, kinds(es), eff)
			}
			reply := domain.Entry{CaseID: before.ID, Kind: domain.KindReply, Actor: actor, At: at, Visibility: domain.Public,
				Body: "We will send a technician.", Direction: c.direction}
			if es[0] != reply {
				t.Errorf("reply entry %+v, want %+v", es[0], reply)
			}
			if len(es) == 2 && (es[1].From != c.state || es[1].To != c.wantState || es[1].Actor != actor || es[1].Visibility != domain.Internal) {
				t.Errorf("state entry %+v", es[1])
			}
			switch {
			case c.eff.MeetsFirstResponse:
				if got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(at) {
					t.Errorf("first_response_at %v, want %v", got.FirstResponseAt, at)
				}
			case c.responded:
				if got.FirstResponseAt != &earlier {
					t.Errorf("first_response_at moved to %v", got.FirstResponseAt)
				}
			default:
				if got.FirstResponseAt != nil {
					t.Errorf("an inbound reply set first_response_at %v", got.FirstResponseAt)
				}
			}
		})
	}
}

func TestReplyReportsEveryBadFieldAtOnce(t *testing.T) {
	open := caseIn(domain.StateOpen)
	_, _, _, err := domain.Reply(open, domain.Message{Direction: "sideways", Body: " "}, t0)
	if got, want := fields(t, err), map[string]string{"direction": "invalid", "body": "required", "actor": "required"}; !maps.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	_, _, _, err = domain.Reply(open, domain.Message{Direction: domain.Outbound, Body: strings.Repeat("字", domain.MaxBody+1), Actor: "svc-sun"}, t0)
	if got := fields(t, err); !maps.Equal(got, map[string]string{"body": "too_long"}) {
		t.Errorf("a body of %d characters: %v", domain.MaxBody+1, got)
	}
	if _, _, _, err := domain.Reply(open, domain.Message{Direction: domain.Outbound, Body: strings.Repeat("字", domain.MaxBody), Actor: "svc-sun"}, t0); err != nil {
		t.Errorf("a body of %d characters: %v", domain.MaxBody, err)
	}
}

func TestNote(t *testing.T) {
	at := t0.Add(time.Hour)
	cases := []struct {
		state, wantState string
		wantKinds        []string
	}{
		{domain.StateNew, domain.StateOpen, []string{domain.KindNote, domain.KindStateChanged}},
		{domain.StateOpen, domain.StateOpen, []string{domain.KindNote}},
		{domain.StatePendingCustomer, domain.StatePendingCustomer, []string{domain.KindNote}},
		{domain.StateResolved, domain.StateResolved, []string{domain.KindNote}},
		{domain.StateClosed, domain.StateClosed, []string{domain.KindNote}}, // a remark changes nothing the customer was told
	}
	for _, c := range cases {
		t.Run(c.state, func(t *testing.T) {
			got, es, err := domain.Note(caseIn(c.state), "called the plant: motor overheats", "svc-sun", at)
			if err != nil || got.State != c.wantState || !slices.Equal(kinds(es), c.wantKinds) {
				t.Fatalf("state %s, entries %v, %v", got.State, kinds(es), err)
			}
			if es[0].Visibility != domain.Internal || es[0].Body != "called the plant: motor overheats" || es[0].Actor != "svc-sun" || !es[0].At.Equal(at) {
				t.Errorf("note %+v", es[0])
			}
			if got.FirstResponseAt != nil {
				t.Error("a note is no response to the customer")
			}
		})
	}
	_, _, err := domain.Note(caseIn(domain.StateOpen), "", "", at)
	if got, want := fields(t, err), map[string]string{"body": "required", "actor": "required"}; !maps.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}

func TestSLAResult(t *testing.T) {
	c := caseIn(domain.StateOpen)
	due, at := t0.Add(4*time.Hour), t0.Add(3*time.Hour)
	e, err := domain.SLAResult(c, domain.TargetFirstResponse, true, due, at)
	if err != nil || e.Kind != domain.KindSLAMet || e.Target != domain.TargetFirstResponse || !e.DueAt.Equal(due) || !e.At.Equal(at) ||
		e.Visibility != domain.Internal || e.Actor != domain.WorkflowActor || e.CaseID != c.ID {
		t.Errorf("met: %+v %v", e, err)
	}
	if e, _ := domain.SLAResult(c, domain.TargetResolution, false, due, due); e.Kind != domain.KindSLABreached {
		t.Errorf("breached: %+v", e)
	}
	if _, err := domain.SLAResult(c, "lunch", true, due, at); fields(t, err)["target"] != "invalid" {
		t.Errorf("unknown target: %v", err)
	}
}

// What the customer sees of the timeline: the filing, the replies, the survey.
func TestVisibilityOfEveryKind(t *testing.T) {
	c := caseIn(domain.StateNew)
	created := func() domain.Entry { _, e, _ := domain.New(draft(), t0); return e }()
	_, assigned, _ := domain.Assign(c, domain.Assignment{AssigneeID: "svc-sun"}, "mgr-mia", t0)
	_, prio, _ := domain.Reprioritize(c, domain.P1, "line down", "mgr-mia", t0)
	_, note, _ := domain.Note(c, "x", "svc-sun", t0)
	_, reply, _, _ := domain.Reply(c, domain.Message{Direction: domain.Outbound, Body: "x", Actor: "svc-sun"}, t0)
	sla, _ := domain.SLAResult(c, domain.TargetResolution, false, t0, t0)
	for _, c := range []struct {
		e    domain.Entry
		kind string
		want string
	}{
		{created, domain.KindCreated, domain.Public},
		{assigned[0], domain.KindAssigned, domain.Internal},
		{assigned[1], domain.KindStateChanged, domain.Internal},
		{prio[0], domain.KindPriorityChanged, domain.Internal},
		{note[0], domain.KindNote, domain.Internal},
		{reply[0], domain.KindReply, domain.Public},
		{sla, domain.KindSLABreached, domain.Internal},
	} {
		if c.e.Kind != c.kind || c.e.Visibility != c.want {
			t.Errorf("%s: %s (kind %s), want %s", c.kind, c.e.Visibility, c.e.Kind, c.want)
		}
	}
}
