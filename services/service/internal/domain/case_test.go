package domain_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

var t0 = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

func draft() domain.Draft {
	return domain.Draft{
		ID: "0190a000-0000-7000-8000-000000000001", CustomerID: "c-basalt", ContactID: "ct-li", Asset: "Crane K-40, serial 7781",
		Type: domain.TypeRepair, Channel: domain.ChannelPhone, Subject: "Crane stops under load", Description: "Since Monday.",
		Team: "service-north", CustomerOwnerID: "rep-ana", CustomerTeam: "north", CreatedBy: "svc-sun",
	}
}

// caseIn is a stored case in state, with the instants that state implies.
func caseIn(state string) domain.Case {
	c, _, err := domain.New(draft(), t0)
	if err != nil {
		panic(err)
	}
	c.State = state
	at := t0.Add(time.Hour)
	switch state {
	case domain.StateResolved:
		c.ResolvedAt = &at
	case domain.StateClosed:
		c.ResolvedAt, c.ClosedAt = &at, &at
	}
	return c
}

// fields are the field errors of a 422 validation failure, field → code;
// nil when err is something else.
func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	e := apperr.From(err)
	if err == nil || e.Kind != apperr.KindRule || e.Code != "validation_failed" {
		return nil
	}
	out := map[string]string{}
	for _, f := range e.Fields {
		out[f.Field] = f.Code
	}
	return out
}

func TestNewCaseDefaultsPriorityByType(t *testing.T) {
	for _, c := range []struct{ typ, want string }{
		{domain.TypeComplaint, domain.P2}, {domain.TypeRepair, domain.P2}, {domain.TypeReturns, domain.P3},
		{domain.TypeRequest, domain.P3}, {domain.TypeConsultation, domain.P4},
	} {
		d := draft()
		d.Type = c.typ
		got, _, err := domain.New(d, t0)
		if err != nil || got.Priority != c.want {
			t.Errorf("%s: priority %q, %v; want %s", c.typ, got.Priority, err, c.want)
		}
	}
	if len(domain.DefaultPriority) != len(domain.Types) {
		t.Errorf("a type without a default priority: %v", domain.DefaultPriority)
	}
	d := draft()
	d.Priority = domain.P1
	if got, _, _ := domain.New(d, t0); got.Priority != domain.P1 {
		t.Errorf("a chosen priority was replaced by the default: %s", got.Priority)
	}
}

func TestNewCase(t *testing.T) {
	d := draft()
	d.Subject, d.AssigneeID = "  Crane stops under load ", "svc-sun"
	c, e, err := domain.New(d, t0.Add(123*time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	// Filed with an assignee, still new: nobody has acted on it since intake.
	if c.State != domain.StateNew || c.Version != 1 || c.Subject != "Crane stops under load" || !c.CreatedAt.Equal(t0) || c.CreatedAt != c.UpdatedAt ||
		c.AssigneeID != "svc-sun" || c.FirstResponseAt != nil || c.ResolvedAt != nil || c.ClosedAt != nil || c.CustomerOwnerID != "rep-ana" {
		t.Errorf("new case: %+v", c)
	}
	want := domain.Entry{CaseID: c.ID, Kind: domain.KindCreated, Actor: "svc-sun", At: t0, Visibility: domain.Public, Body: c.Subject, To: "svc-sun", ToTeam: "service-north"}
	if e != want {
		t.Errorf("created entry %+v, want %+v", e, want)
	}
}

func TestNewCaseReportsEveryBadFieldAtOnce(t *testing.T) {
	bad := domain.Draft{
		ID: strings.Repeat("x", 37), ContactID: "has space", OpportunityID: strings.Repeat("o", 37), Asset: strings.Repeat("a", 201),
		Type: "warranty", Priority: "P5", Channel: "fax", Subject: "two\nlines", Description: strings.Repeat("d", 10001),
		AssigneeID: strings.Repeat("u", 201), Team: " ", CustomerOwnerID: "bad\x00id", CustomerTeam: strings.Repeat("t", 101),
	}
	got := fields(t, func() error { _, _, err := domain.New(bad, t0); return err }())
	want := map[string]string{
		"id": "too_long", "customer_id": "required", "contact_id": "invalid", "opportunity_id": "invalid", "asset": "too_long",
		"type": "invalid", "priority": "invalid", "channel": "invalid", "subject": "invalid", "description": "too_long",
		"assignee_id": "invalid", "team": "required", "customer_owner_id": "invalid", "customer_team": "invalid", "created_by": "required",
	}
	if !maps.Equal(got, want) {
		t.Errorf("fields %v\nwant   %v", got, want)
	}
}

func TestNewCaseFieldRules(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*domain.Draft)
		field string // "" valid
		code  string
	}{
		{"no id", func(d *domain.Draft) { d.ID = "" }, "id", "required"},
		{"no customer", func(d *domain.Draft) { d.CustomerID = "" }, "customer_id", "required"},
		{"customer id too long", func(d *domain.Draft) { d.CustomerID = strings.Repeat("c", 37) }, "customer_id", "invalid"},
		{"no contact", func(d *domain.Draft) { d.ContactID = "" }, "", ""},
		{"no asset", func(d *domain.Draft) { d.Asset = "" }, "", ""},
		{"asset of 200 characters", func(d *domain.Draft) { d.Asset = strings.Repeat("机", 200) }, "", ""},
		{"asset not UTF-8", func(d *domain.Draft) { d.Asset = "\xff" }, "asset", "invalid"},
		{"no type", func(d *domain.Draft) { d.Type = "" }, "type", "invalid"},
		{"no channel", func(d *domain.Draft) { d.Channel = "" }, "channel", "invalid"},
		{"every channel", func(d *domain.Draft) { d.Channel = domain.ChannelInternal }, "", ""},
		{"no subject", func(d *domain.Draft) { d.Subject = "  " }, "subject", "required"},
		{"subject of 200 characters", func(d *domain.Draft) { d.Subject = strings.Repeat("修", 200) }, "", ""},
		{"subject of 201 characters", func(d *domain.Draft) { d.Subject = strings.Repeat("修", 201) }, "subject", "too_long"},
		{"subject with a tab", func(d *domain.Draft) { d.Subject = "a\tb" }, "subject", "invalid"},
		{"no description", func(d *domain.Draft) { d.Description = "" }, "", ""},
		{"description of 10000 characters", func(d *domain.Draft) { d.Description = strings.Repeat("é", 10000) }, "", ""},
		{"description of 10001 characters", func(d *domain.Draft) { d.Description = strings.Repeat("é", 10001) }, "description", "too_long"},
		{"description with NUL", func(d *domain.Draft) { d.Description = "a\x00b" }, "description", "invalid"},
		{"no team", func(d *domain.Draft) { d.Team = "" }, "team", "required"},
		{"team of 101 characters", func(d *domain.Draft) { d.Team = strings.Repeat("t", 101) }, "team", "invalid"},
		{"no customer owner", func(d *domain.Draft) { d.CustomerOwnerID, d.CustomerTeam = "", "" }, "", ""},
		{"no creator", func(d *domain.Draft) { d.CreatedBy = "" }, "created_by", "required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := draft()
			c.edit(&d)
			_, _, err := domain.New(d, t0)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := fields(t, err); !maps.Equal(got, map[string]string{c.field: c.code}) {
				t.Fatalf("fields %v (%v), want %s: %s", got, err, c.field, c.code)
			}
		})
	}
}

func TestFollowOn(t *testing.T) {
	window := 7 * 24 * time.Hour
	resolved := caseIn(domain.StateResolved) // at t0+1h
	closed := caseIn(domain.StateClosed)
	next := domain.Draft{ID: "0190a000-0000-7000-8000-000000000002", Channel: domain.ChannelEmail, Subject: "Crane stops again", CreatedBy: "svc-li"}
	cases := []struct {
		name string
		prev domain.Case
		edit func(*domain.Draft)
		now  time.Time
		want error
	}{
		{"of a closed case", closed, nil, t0.Add(2 * time.Hour), nil},
		{"of a resolved case within the reopen window", resolved, nil, resolved.ResolvedAt.Add(window), domain.ErrReopenInstead},
		{"of a resolved case after the reopen window", resolved, nil, resolved.ResolvedAt.Add(window + time.Microsecond), nil},
		{"of an open case", caseIn(domain.StateOpen), nil, t0, domain.ErrNotFinished},
		{"of a new case", caseIn(domain.StateNew), nil, t0, domain.ErrNotFinished},
		{"of a pending case", caseIn(domain.StatePendingInternal), nil, t0, domain.ErrNotFinished},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, e, err := domain.FollowOn(c.prev, next, window, c.now)
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if c.want != nil {
				return
			}
			if f.FollowOnOf != c.prev.ID || f.CustomerID != c.prev.CustomerID || f.ContactID != "ct-li" || f.Asset != c.prev.Asset || f.Type != domain.TypeRepair ||
				f.Priority != domain.P2 || f.Team != "service-north" || f.CustomerOwnerID != "rep-ana" || f.CustomerTeam != "north" || f.Channel != domain.ChannelEmail ||
				f.State != domain.StateNew || f.ID != next.ID {
				t.Errorf("follow-on %+v", f)
			}
			if e.Kind != domain.KindCreated || e.From != c.prev.ID || e.CaseID != f.ID {
				t.Errorf("entry %+v", e)
			}
		})
	}
	other := next
	other.CustomerID = "c-other"
	if got := fields(t, func() error { _, _, err := domain.FollowOn(closed, other, window, t0); return err }()); got["customer_id"] != "mismatch" {
		t.Errorf("another customer: %v", got)
	}
	noSubject := next
	noSubject.Subject = ""
	if got := fields(t, func() error { _, _, err := domain.FollowOn(closed, noSubject, window, t0); return err }()); got["subject"] != "required" {
		t.Errorf("no subject: %v", got)
	}
}

func TestAssign(t *testing.T) {
	at := t0.Add(time.Minute)
	cases := []struct {
		name       string
		state      string
		a          domain.Assignment
		want       error
		wantState  string
		wantKinds  []string
		assignee   string
		wantTeam   string
		fieldError string
	}{
		{"a new case to someone opens it", domain.StateNew, domain.Assignment{AssigneeID: "svc-sun"}, nil, domain.StateOpen,
			[]string{domain.KindAssigned, domain.KindStateChanged}, "svc-sun", "service-north", ""},
		{"a new case to another team's queue stays new", domain.StateNew, domain.Assignment{Team: "service-south"}, nil, domain.StateNew,
			[]string{domain.KindAssigned}, "", "service-south", ""},
		{"an open case to someone else", domain.StateOpen, domain.Assignment{AssigneeID: "svc-li", Reason: "holiday"}, nil, domain.StateOpen,
			[]string{domain.KindAssigned}, "svc-li", "service-north", ""},
		{"a pending case", domain.StatePendingCustomer, domain.Assignment{AssigneeID: "svc-li"}, nil, domain.StatePendingCustomer,
			[]string{domain.KindAssigned}, "svc-li", "service-north", ""},
		{"a resolved case", domain.StateResolved, domain.Assignment{AssigneeID: "svc-li"}, nil, domain.StateResolved,
			[]string{domain.KindAssigned}, "svc-li", "service-north", ""},
		{"a closed case", domain.StateClosed, domain.Assignment{AssigneeID: "svc-li"}, domain.ErrCaseClosed, "", nil, "", "", ""},
		{"to the same queue", domain.StateOpen, domain.Assignment{}, domain.ErrAssignmentUnchanged, "", nil, "", "", ""},
		{"a bad assignee", domain.StateOpen, domain.Assignment{AssigneeID: strings.Repeat("u", 201)}, nil, "", nil, "", "", "assignee_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := caseIn(c.state)
			got, es, err := domain.Assign(before, c.a, "mgr-mia", at)
			if c.fieldError != "" {
				if _, ok := fields(t, err)[c.fieldError]; !ok {
					t.Fatalf("got %v, want a field error on %s", err, c.fieldError)
				}
				return
			}
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if c.want != nil {
				if got != before || es != nil {
					t.Errorf("a refusal changed the case or added entries: %+v %+v", got, es)
				}
				return
			}
			if got.State != c.wantState || got.AssigneeID != c.assignee || got.Team != c.wantTeam || !got.UpdatedAt.Equal(at) || !slices.Equal(kinds(es), c.wantKinds) {
				t.Errorf("case %+v, entries %v", got, kinds(es))
			}
			a := es[0]
			if a.From != before.AssigneeID || a.To != c.assignee || a.FromTeam != before.Team || a.ToTeam != c.wantTeam || a.Reason != c.a.Reason ||
				a.Actor != "mgr-mia" || a.Visibility != domain.Internal {
				t.Errorf("assigned entry %+v", a)
			}
		})
	}
}

func TestReprioritize(t *testing.T) {
	cases := []struct {
		name, state, to, reason string
		want                    error
		field                   string
	}{
		{"raise an open case", domain.StateOpen, domain.P1, "line stopped", nil, ""},
		{"lower a new case", domain.StateNew, domain.P4, "cosmetic", nil, ""},
		{"a pending case", domain.StatePendingInternal, domain.P3, "parts on the way", nil, ""},
		{"a resolved case", domain.StateResolved, domain.P1, "x", domain.ErrCaseResolved, ""},
		{"a closed case", domain.StateClosed, domain.P1, "x", domain.ErrCaseClosed, ""},
		{"the same priority", domain.StateOpen, domain.P2, "x", domain.ErrPriorityUnchanged, ""},
		{"no reason", domain.StateOpen, domain.P1, "", nil, "reason"},
		{"no such priority", domain.StateOpen, "P0", "x", nil, "priority"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := caseIn(c.state) // a repair: P2
			got, es, err := domain.Reprioritize(before, c.to, c.reason, "mgr-mia", t0)
			switch {
			case c.field != "":
				if _, ok := fields(t, err)[c.field]; !ok {
					t.Fatalf("got %v, want a field error on %s", err, c.field)
				}
			case c.want != nil:
				if !errors.Is(err, c.want) || got != before {
					t.Fatalf("got %v, want %v", err, c.want)
				}
			default:
				want := domain.Entry{CaseID: before.ID, Kind: domain.KindPriorityChanged, Actor: "mgr-mia", At: t0, Visibility: domain.Internal,
					From: domain.P2, To: c.to, Reason: c.reason}
				if err != nil || got.Priority != c.to || got.State != c.state || len(es) != 1 || es[0] != want {
					t.Fatalf("%+v %+v %v", got, es, err)
				}
			}
		})
	}
}

func kinds(es []domain.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Kind)
	}
	return out
}
