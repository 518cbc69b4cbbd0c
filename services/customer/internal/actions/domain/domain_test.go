package domain

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
)

var now = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

const (
	cust1 = "0190a000-0000-7000-8000-0000000000c1"
	cust2 = "0190a000-0000-7000-8000-0000000000c2"
	cont1 = "0190a000-0000-7000-8000-0000000000d1"
	lead1 = "0190a000-0000-7000-8000-0000000000e1"
	opp1  = "0190a000-0000-7000-8000-0000000000f1"
)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

// fields lists an error's "field:code" pairs, or its code when it has none.
func fields(err error) []string {
	if err == nil {
		return nil
	}
	var e *apperr.Error
	if !errors.As(err, &e) {
		return []string{err.Error()}
	}
	if len(e.Fields) == 0 {
		return []string{e.Code}
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field+":"+f.Code)
	}
	return out
}

func TestNew(t *testing.T) {
	plan := func(mod func(*Draft)) Draft {
		d := Draft{Kind: KindPlan, Category: "phone_call", Department: "sales", Title: " Call ", CustomerIDs: []string{cust1}, PlannedFor: at(time.Hour)}
		if mod != nil {
			mod(&d)
		}
		return d
	}
	log := func(mod func(*Draft)) Draft {
		d := Draft{Kind: KindLog, Category: "visit_reception", Department: "service", Title: "Visit", Summary: " met ", CustomerIDs: []string{cust1}}
		if mod != nil {
			mod(&d)
		}
		return d
	}
	for _, tc := range []struct {
		name    string
		draft   Draft
		refused []string
		check   func(t *testing.T, a Action, s Subjects)
	}{
		{name: "a plan is planned at its time", draft: plan(nil), check: func(t *testing.T, a Action, s Subjects) {
			if a.Status != StatusPlanned || !a.OccurredAt.Equal(now.Add(time.Hour)) || a.PlannedFor == nil || a.DoneAt != nil || a.Title != "Call" {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "a log is done now by default", draft: log(nil), check: func(t *testing.T, a Action, s Subjects) {
			if a.Status != StatusDone || !a.OccurredAt.Equal(now) || a.DoneAt == nil || a.Summary != "met" || a.ActorID != "rep-ana" {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "a log done earlier occurs then", draft: log(func(d *Draft) { d.DoneAt = at(-48 * time.Hour) }), check: func(t *testing.T, a Action, s Subjects) {
			if !a.OccurredAt.Equal(now.Add(-48 * time.Hour)) {
				t.Fatalf("%+v", a)
			}
		}},
		{name: "subjects are trimmed, without repeats", draft: plan(func(d *Draft) {
			d.CustomerIDs = []string{cust1, " " + cust2, cust1}
			d.ContactIDs, d.LeadIDs, d.OpportunityIDs = []string{cont1}, []string{lead1}, []string{opp1}
		}), check: func(t *testing.T, a Action, s Subjects) {
			want := Subjects{Customers: []string{cust1, cust2}, Contacts: []string{cont1}, Leads: []string{lead1}, Opportunities: []string{opp1}}
			if !reflect.DeepEqual(s, want) {
				t.Fatalf("%+v", s)
			}
		}},
		{name: "kind, category, department and title", draft: Draft{Kind: "memo", Category: "email", Department: "finance", CustomerIDs: []string{cust1}},
			refused: []string{"kind:invalid", "category:invalid", "department:invalid", "title:required"}},
		{name: "a log needs a summary", draft: log(func(d *Draft) { d.Summary = " " }), refused: []string{"summary:required"}},
		{name: "texts are bounded", draft: log(func(d *Draft) { d.Title, d.Outcome = strings.Repeat("x", 201), strings.Repeat("é", 4001) }),
			refused: []string{"title:too_long", "outcome:too_long"}},
		{name: "at least one customer", draft: plan(func(d *Draft) { d.CustomerIDs = nil }), refused: []string{"customer_ids:required"}},
		{name: "ids must be ids", draft: plan(func(d *Draft) { d.CustomerIDs, d.LeadIDs = []string{cust1, "x"}, []string{"y"} }),
			refused: []string{"customer_ids[1]:invalid", "lead_ids[0]:invalid"}},
		{name: "at most 20 of a subject", draft: plan(func(d *Draft) {
			d.OpportunityIDs = nil
			for range 21 {
				d.OpportunityIDs = append(d.OpportunityIDs, opp1)
			}
		}), refused: []string{"opportunity_ids:too_many"}},
		{name: "a plan needs its time", draft: plan(func(d *Draft) { d.PlannedFor = nil }), refused: []string{"planned_for:required"}},
		{name: "a plan is not more than a day back", draft: plan(func(d *Draft) { d.PlannedFor = at(-25 * time.Hour) }), refused: []string{"planned_for:in_past"}},
		{name: "a plan is not done", draft: plan(func(d *Draft) { d.DoneAt = at(0) }), refused: []string{"done_at:not_allowed"}},
		{name: "a log is not in the future", draft: log(func(d *Draft) { d.DoneAt = at(2 * time.Minute) }), refused: []string{"done_at:in_future"}},
		{name: "a log is at most 30 days old", draft: log(func(d *Draft) { d.DoneAt = at(-31 * 24 * time.Hour) }), refused: []string{"done_at:too_old"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, s, err := New(tc.draft, "act-1", "rep-ana", now)
			if got := fields(err); !reflect.DeepEqual(got, tc.refused) {
				t.Fatalf("refused %v, want %v", got, tc.refused)
			}
			if tc.check != nil {
				tc.check(t, a, s)
			}
		})
	}
}

func TestAttach(t *testing.T) {
	s := Subjects{Customers: []string{cust1, cust2}, Contacts: []string{cont1}, Leads: []string{lead1}, Opportunities: []string{opp1}}
	for _, tc := range []struct {
		name    string
		facts   Facts
		refused []string
		links   []Link
	}{
		{name: "contacts under their customer, leads and opportunities under the first",
			facts: Facts{MayChange: map[string]bool{cust1: true, cust2: true}, ContactCustomer: map[string]string{cont1: cust2}},
			links: []Link{{SubjectCustomer, cust1, cust1}, {SubjectCustomer, cust2, cust2}, {SubjectContact, cont1, cust2},
				{SubjectLead, lead1, cust1}, {SubjectOpportunity, opp1, cust1}}},
		{name: "a customer out of scope and a stranger contact are not found",
			facts:   Facts{MayChange: map[string]bool{cust1: true}, ContactCustomer: map[string]string{}},
			refused: []string{"customer_ids[1]:not_found", "contact_ids[0]:not_found"}},
		{name: "a contact of another customer is not found",
			facts:   Facts{MayChange: map[string]bool{cust1: true, cust2: true}, ContactCustomer: map[string]string{cont1: "someone-else"}},
			refused: []string{"contact_ids[0]:not_found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a Action
			err := a.Attach(s, tc.facts)
			if got := fields(err); !reflect.DeepEqual(got, tc.refused) {
				t.Fatalf("refused %v, want %v", got, tc.refused)
			}
			if !reflect.DeepEqual(a.Links, tc.links) {
				t.Fatalf("links %+v", a.Links)
			}
		})
	}
}

func TestCompleteAndCancel(t *testing.T) {
	planned := func() Action {
		return Action{Kind: KindPlan, Status: StatusPlanned, Category: "phone_call", PlannedFor: at(-time.Hour), OccurredAt: now.Add(-time.Hour)}
	}
	for _, tc := range []struct {
		name    string
		from    string
		do      func(a *Action) error
		refused []string
		want    func(a Action) bool
	}{
		{name: "a planned action is done now", from: StatusPlanned,
			do: func(a *Action) error { return a.Complete(Completion{Summary: " called ", NextStep: "send offer"}, now) },
			want: func(a Action) bool {
				return a.Kind == KindLog && a.Status == StatusDone && a.Summary == "called" && a.NextStep == "send offer" &&
					a.DoneAt.Equal(now) && a.OccurredAt.Equal(now) && a.UpdatedAt.Equal(now)
			}},
		{name: "done when it was done", from: StatusPlanned,
			do: func(a *Action) error {
				return a.Complete(Completion{Summary: "called", DoneAt: at(-3 * time.Hour)}, now)
			},
			want: func(a Action) bool { return a.OccurredAt.Equal(now.Add(-3 * time.Hour)) }},
		{name: "completing needs a summary, not in the future", from: StatusPlanned,
			do:      func(a *Action) error { return a.Complete(Completion{DoneAt: at(time.Hour)}, now) },
			refused: []string{"summary:required", "done_at:in_future"}},
		{name: "a done action is not completed again", from: StatusDone,
			do: func(a *Action) error { return a.Complete(Completion{Summary: "x"}, now) }, refused: []string{"not_planned"}},
		{name: "a cancelled action is not completed", from: StatusCancelled,
			do: func(a *Action) error { return a.Complete(Completion{Summary: "x"}, now) }, refused: []string{"not_planned"}},
		{name: "a planned action is cancelled", from: StatusPlanned,
			do: func(a *Action) error { return a.Cancel(now) },
			want: func(a Action) bool {
				return a.Status == StatusCancelled && a.Kind == KindPlan && a.UpdatedAt.Equal(now)
			}},
		{name: "a done action is not cancelled", from: StatusDone,
			do: func(a *Action) error { return a.Cancel(now) }, refused: []string{"not_planned"}},
		{name: "a cancelled action is not cancelled again", from: StatusCancelled,
			do: func(a *Action) error { return a.Cancel(now) }, refused: []string{"not_planned"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := planned()
			a.Status = tc.from
			before := a
			err := tc.do(&a)
			if got := fields(err); !reflect.DeepEqual(got, tc.refused) {
				t.Fatalf("refused %v, want %v", got, tc.refused)
			}
			if err != nil {
				if !reflect.DeepEqual(a, before) {
					t.Fatalf("a refused change changed the action: %+v", a)
				}
				if apperr.From(err).Kind != apperr.KindRule {
					t.Fatalf("kind %v", apperr.From(err).Kind)
				}
				return
			}
			if !tc.want(a) {
				t.Fatalf("%+v", a)
			}
		})
	}
}

func TestContacts(t *testing.T) {
	for _, tc := range []struct {
		category, kind      string
		contact, restarting bool
	}{
		{"phone_call", KindLog, true, true},
		{"visit_reception", KindLog, true, true},
		{"phone_call", KindPlan, true, false},
		{"briefing_report", KindLog, false, false},
		{"materials_submission", KindLog, false, false},
	} {
		a := Action{Kind: tc.kind, Category: tc.category, Title: "T"}
		if IsContact(tc.category) != tc.contact || a.RestartsCare() != tc.restarting {
			t.Errorf("%s %s: contact %v, restarts care %v", tc.kind, tc.category, IsContact(tc.category), a.RestartsCare())
		}
		if n := a.ContactNote(); n != "contact logged ("+tc.category+"): T" {
			t.Errorf("note %q", n)
		}
	}
}

func TestAnswersLead(t *testing.T) {
	const lead2 = "0190a000-0000-7000-8000-0000000000e2"
	for _, tc := range []struct {
		name        string
		owner, lead string
		leads       []string
		answered    bool
		actor       string
	}{
		{name: "no lead named: the actor's own follow-up", owner: "rep-ana", lead: lead1, actor: "rep-ana", answered: true},
		{name: "no lead named: not someone else's", owner: "rep-bo", lead: lead1, actor: "rep-ana"},
		{name: "its lead named: whoever's", owner: "rep-bo", lead: lead1, leads: []string{lead2, lead1}, actor: "rep-ana", answered: true},
		{name: "another lead named: not even the actor's own", owner: "rep-ana", lead: lead1, leads: []string{lead2}, actor: "rep-ana"},
	} {
		if got := AnswersLead(tc.owner, wfc.LeadWorkflowID(tc.lead), tc.leads, tc.actor); got != tc.answered {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

func TestMayChange(t *testing.T) {
	a := Action{ActorID: "rep-ana"}
	if !a.MayChange("rep-ana", false) || a.MayChange("rep-bo", false) || !a.MayChange("mgr-mia", true) {
		t.Fatal("only its author or a manager may change an action")
	}
}

func TestHistoryQuery(t *testing.T) {
	for _, tc := range []struct {
		kind, department string
		refused          []string
	}{
		{"", "", nil},
		{KindPlan, "sales", nil},
		{KindLog, "marketing", nil},
		{"visit", "", []string{"kind:invalid"}},
		{"", "finance", []string{"department:invalid"}},
		{"x", "y", []string{"kind:invalid", "department:invalid"}},
	} {
		err := HistoryQuery{Kind: tc.kind, Department: tc.department}.Validate()
		if got := fields(err); !reflect.DeepEqual(got, tc.refused) {
			t.Errorf("%q %q: refused %v, want %v", tc.kind, tc.department, got, tc.refused)
		}
	}
}
