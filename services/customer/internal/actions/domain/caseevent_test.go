package domain

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const case1 = "0190a000-0000-7000-8000-0000000000a1"

func caseEvent(mod func(*CaseEvent)) CaseEvent {
	e := CaseEvent{Key: "entry-1", CustomerID: cust1, CaseID: case1, Event: "resolved", Actor: "agent-li", Team: "service-north",
		Subject: " Crane hydraulics leak ", Summary: " replaced the seal ", At: now.Add(-time.Minute)}
	if mod != nil {
		mod(&e)
	}
	return e
}

// TestNewCaseEvent: a case's change becomes a done log of department
// service in category service_case, on its customer, linked to its case;
// its id follows from the key alone; a malformed event is refused field by
// field; overlong texts are cut, not refused.
func TestNewCaseEvent(t *testing.T) {
	a, err := NewCaseEvent(caseEvent(nil), now)
	if err != nil {
		t.Fatal(err)
	}
	at := now.Add(-time.Minute)
	want := Action{ID: CaseEventID("entry-1"), Kind: KindLog, Status: StatusDone, Category: CategoryServiceCase, Department: "service",
		ActorID: "agent-li", Title: "Case resolved: Crane hydraulics leak", Summary: "replaced the seal", DoneAt: &at, OccurredAt: at,
		CreatedAt: now, UpdatedAt: now, Links: []Link{{SubjectCustomer, cust1, cust1}},
		Case: &CaseRef{ID: case1, Event: "resolved", Team: "service-north"}}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("got  %+v\nwant %+v", a, want)
	}
	if !a.FromCase() || a.RestartsCare() || IsContact(a.Category) {
		t.Fatal("a case's item is from its case and is no contact: it restarts no care cadence")
	}

	// The same key is the same item, whatever else; another key another.
	again, _ := NewCaseEvent(caseEvent(func(e *CaseEvent) { e.Summary, e.At = "other", now }), now)
	other, _ := NewCaseEvent(caseEvent(func(e *CaseEvent) { e.Key = "entry-2" }), now)
	if again.ID != a.ID || other.ID == a.ID {
		t.Fatalf("ids %s %s %s", a.ID, again.ID, other.ID)
	}

	// Ids are stored in their canonical form.
	up, err := NewCaseEvent(caseEvent(func(e *CaseEvent) { e.CustomerID, e.CaseID = strings.ToUpper(cust1), strings.ToUpper(case1) }), now)
	if err != nil || up.CustomerIDs()[0] != cust1 || up.Case.ID != case1 {
		t.Fatalf("%v %+v", err, up)
	}

	// Without a subject the title is the event in words; long texts are cut.
	long, err := NewCaseEvent(caseEvent(func(e *CaseEvent) {
		e.Event, e.Subject, e.Summary = "breached", "", strings.Repeat("é", 5000)
	}), now)
	if err != nil || long.Title != "SLA breached" || len([]rune(long.Summary)) != maxText || !strings.HasSuffix(long.Summary, "…") {
		t.Fatalf("%v %q %d", err, long.Title, len([]rune(long.Summary)))
	}
	titled, _ := NewCaseEvent(caseEvent(func(e *CaseEvent) { e.Subject = strings.Repeat("x", 300) }), now)
	if n := len([]rune(titled.Title)); n != maxTitle {
		t.Fatalf("title of %d characters", n)
	}

	for _, tc := range []struct {
		name    string
		mod     func(*CaseEvent)
		refused []string
	}{
		{"every field wrong", func(e *CaseEvent) {
			*e = CaseEvent{Key: " ", CustomerID: "c-1", CaseID: "", Event: "escalated", Actor: "", Team: strings.Repeat("t", 101)}
		}, []string{"id:required", "customer_id:invalid", "case_id:invalid", "event:invalid", "actor:required", "team:too_long", "at:required"}},
		{"a key too long", func(e *CaseEvent) { e.Key = strings.Repeat("k", 201) }, []string{"id:too_long"}},
		{"more than an hour ahead", func(e *CaseEvent) { e.At = now.Add(61 * time.Minute) }, []string{"at:in_future"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCaseEvent(caseEvent(tc.mod), now)
			if got := fields(err); !reflect.DeepEqual(got, tc.refused) {
				t.Fatalf("refused %v, want %v", got, tc.refused)
			}
		})
	}
	for _, ev := range CaseEvents {
		if _, err := NewCaseEvent(caseEvent(func(e *CaseEvent) { e.Event = ev }), now); err != nil || caseEventTitles[ev] == "" {
			t.Errorf("%s: %v, title %q", ev, err, caseEventTitles[ev])
		}
	}
}

// TestCaseItemsAreNotActionsPeopleRecordOrChange: POST /v1/actions refuses
// the category, and completing or cancelling a case's item is refused
// before anything else, leaving it as it was.
func TestCaseItemsAreNotActionsPeopleRecordOrChange(t *testing.T) {
	_, _, err := New(Draft{Kind: KindLog, Category: CategoryServiceCase, Department: "service", Title: "Case resolved", Summary: "x",
		CustomerIDs: []string{cust1}}, "act-1", "agent-li", now)
	if got := fields(err); !reflect.DeepEqual(got, []string{"category:invalid"}) {
		t.Fatalf("recording a service_case action: %v", got)
	}
	item, _ := NewCaseEvent(caseEvent(nil), now)
	if !errors.Is(item.Changeable(), ErrRecordedByCase) || (Action{}).Changeable() != nil {
		t.Fatal("only a case's item is unchangeable")
	}
	// Even one that looks planned: the case is the reason, not the state.
	planned := item
	planned.Kind, planned.Status = KindPlan, StatusPlanned
	for name, do := range map[string]func(a *Action) error{
		"complete": func(a *Action) error { return a.Complete(Completion{Summary: "done"}, now) },
		"cancel":   func(a *Action) error { return a.Cancel(now) },
	} {
		for _, a := range []Action{item, planned} {
			before := a
			if err := do(&a); !errors.Is(err, ErrRecordedByCase) {
				t.Errorf("%s a case's %s item: %v", name, a.Status, err)
			}
			if !reflect.DeepEqual(a, before) {
				t.Errorf("%s changed a case's item: %+v", name, a)
			}
		}
	}
}
