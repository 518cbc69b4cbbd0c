package domain_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/workflows/infoslip"
)

// TestSlipScope: who sees the slip (else 404) and which ops each may ask
// for (else 403). The slip: rep-ana of north sent it to the service
// department (part 1, team service, routed to svc-sun), to svc-wu (part 2,
// service-west, who forwarded it to mkt-mo: part 3, marketing).
func TestSlipScope(t *testing.T) {
	s := newSlip(t)
	s.Recipients[0].UserID = "svc-sun"
	s.Recipients[1].State, s.Recipients[1].ForwardedTo = infoslip.RecipientForwarded, 3
	s.Recipients[2].ForwardedFrom = 2
	p := func(sub string, teams []string, roles ...auth.Role) auth.Principal {
		return auth.Principal{Subject: sub, Roles: roles, Teams: teams}
	}
	const (
		origin = "add reroute dismiss object confirm withdraw"
		none   = ""
	)
	// may: the ops allowed, by part: key 0 the originator's ops (any part).
	type may map[int32]string
	cases := []struct {
		name string
		p    auth.Principal
		sees bool
		may  may
	}{
		{"the originator", p("rep-ana", []string{"north"}, auth.RoleRep), true, may{0: origin}},
		{"the originator's manager", p("mgr-north", []string{"north"}, auth.RoleManager), true, may{0: origin}},
		{"a rep of the originator's team", p("rep-cy", []string{"north"}, auth.RoleRep), false, nil},
		{"the person a department's part is routed to", p("svc-sun", []string{"service"}, auth.RoleRep), true,
			may{1: "acknowledge done reject forward"}},
		{"the department's manager", p("mgr-svc", []string{"service"}, auth.RoleManager), true, may{1: "route"}},
		{"a person who forwarded their part (still sees it)", p("svc-wu", []string{"service-west"}, auth.RoleRep), true,
			may{2: "acknowledge done reject forward"}},
		{"the manager of a forwarding person's team", p("mgr-west", []string{"service-west"}, auth.RoleManager), true, may{2: "route"}},
		{"the person forwarded to", p("mkt-mo", []string{"marketing"}, auth.RoleRep), true, may{3: "acknowledge done reject forward"}},
		{"a manager and the routed person", p("svc-sun", []string{"service"}, auth.RoleRep, auth.RoleManager), true,
			may{1: "route acknowledge done reject forward"}},
		{"another rep of the department's team", p("svc-lin", []string{"service"}, auth.RoleRep), false, nil},
		{"a manager of other teams", p("mgr-south", []string{"south"}, auth.RoleManager), false, nil},
		{"a manager without teams", p("mgr-none", nil, auth.RoleManager), false, nil},
		{"an analyst", p("ann", nil, auth.RoleAnalyst), false, nil},
		{"an analyst who is a recipient", p("mkt-mo", nil, auth.RoleAnalyst), true, may{3: "acknowledge done reject forward"}},
		{"a token without a role", p("rep-ana", []string{"north"}), false, nil},
		{"an empty subject", p("", nil, auth.RoleRep), false, nil},
		{"an admin", p("adm", nil, auth.RoleAdmin), true, may{0: origin, 1: "route acknowledge done reject forward",
			2: "route acknowledge done reject forward", 3: "route acknowledge done reject forward"}},
	}
	recipientOps := []string{infoslip.OpRoute, infoslip.OpAcknowledge, infoslip.OpDone, infoslip.OpReject, infoslip.OpForward}
	originatorOps := []string{infoslip.OpAdd, infoslip.OpReroute, infoslip.OpDismiss, infoslip.OpObject, infoslip.OpConfirm, infoslip.OpWithdraw}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := domain.SlipScopeOf(c.p)
			if got := sc.Sees(s); got != c.sees {
				t.Fatalf("Sees = %v", got)
			}
			if err := sc.Check(s); (err == nil) != c.sees || (err != nil && !errors.Is(err, domain.ErrSlipNotFound)) {
				t.Fatalf("Check = %v", err)
			}
			allowed := func(n int32, op string) bool {
				ops := c.may[n]
				if n > 0 && isOriginatorOp(op) {
					ops = c.may[0]
				}
				return containsWord(ops, op)
			}
			for n := int32(1); n <= 3; n++ {
				for _, op := range append(recipientOps, originatorOps...) {
					err := sc.CheckOp(s, op, n)
					switch {
					case !c.sees:
						if !errors.Is(err, domain.ErrSlipNotFound) {
							t.Errorf("%s on part %d: %v, want 404", op, n, err)
						}
					case allowed(n, op):
						if err != nil {
							t.Errorf("%s on part %d: %v, want allowed", op, n, err)
						}
					default:
						if !errors.Is(err, domain.ErrSlipNotAllowed) {
							t.Errorf("%s on part %d: %v, want 403", op, n, err)
						}
					}
				}
			}
			if c.sees {
				if err := sc.CheckOp(s, infoslip.OpAutoClose, 0); !errors.Is(err, domain.ErrSlipNotAllowed) {
					t.Errorf("auto_close by a person: %v", err)
				}
				if err := sc.CheckOp(s, "shred", 0); !maps.Equal(fields(t, err), map[string]string{"op": "invalid"}) {
					t.Errorf("an unknown op: %v", err)
				}
				if err := sc.CheckOp(s, infoslip.OpAcknowledge, 9); !maps.Equal(fields(t, err), map[string]string{"recipient": infoslip.CodeRecipientNotFound}) {
					t.Errorf("no such part: %v", err)
				}
			}
		})
	}
	// A slip without the originator's teams is not seen by a manager of
	// "" (no team).
	o := s
	o.OriginatorTeams = []string{""}
	o.Recipients = []domain.Recipient{{N: 1, Kind: infoslip.KindPerson, UserID: "x", Team: ""}}
	if domain.SlipScopeOf(p("mgr", []string{""}, auth.RoleManager)).Sees(o) {
		t.Error("a manager of the empty team saw a slip")
	}
}

func isOriginatorOp(op string) bool {
	return containsWord("add reroute dismiss object confirm withdraw", op)
}

func containsWord(words, w string) bool { return slices.Contains(strings.Fields(words), w) }

func TestSlipFilterCheck(t *testing.T) {
	if err := (domain.SlipFilter{Role: domain.SlipRoleReceived, State: infoslip.StateOpen, RecipientState: infoslip.RecipientPending,
		CustomerID: "0190c000-0000-7000-8000-000000000001"}).Check(); err != nil {
		t.Fatal(err)
	}
	err := domain.SlipFilter{Role: "mine", State: "done", RecipientState: "late", CustomerID: "a b"}.Check()
	want := map[string]string{"role": "invalid", "state": "invalid", "recipient_state": "invalid", "customer_id": "invalid"}
	if got := fields(t, err); !maps.Equal(got, want) {
		t.Fatalf("fields %v", got)
	}
}
