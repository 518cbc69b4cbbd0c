package domain

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const slip1 = "0190a000-0000-7000-8000-0000000000b7"

func slipEvent(mod func(*SlipEvent)) SlipEvent {
	e := SlipEvent{Key: "slip-entry-1", CustomerID: cust1, SlipID: slip1, Event: "acknowledged", Actor: "agent-li", Department: "service",
		Subject: " Competitor offers 10% off ", Summary: " service acknowledged ", At: now.Add(-time.Minute)}
	if mod != nil {
		mod(&e)
	}
	return e
}

// TestNewSlipEvent: a slip's change becomes a done log in category
// info_slip of the department of whoever made it (none when unknown), on
// its customer, linked to its slip; its id follows from the key alone and
// is not a case item's of the same key; a malformed event is refused field
// by field; overlong texts are cut, not refused.
func TestNewSlipEvent(t *testing.T) {
	a, err := NewSlipEvent(slipEvent(nil), now)
	if err != nil {
		t.Fatal(err)
	}
	at := now.Add(-time.Minute)
	want := Action{ID: SlipEventID("slip-entry-1"), Kind: KindLog, Status: StatusDone, Category: CategoryInfoSlip, Department: "service",
		ActorID: "agent-li", Title: "Slip acknowledged: Competitor offers 10% off", Summary: "service acknowledged", DoneAt: &at, OccurredAt: at,
		CreatedAt: now, UpdatedAt: now, Links: []Link{{SubjectCustomer, cust1, cust1}},
		Slip: &SlipRef{ID: slip1, Event: "acknowledged"}}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("got  %+v\nwant %+v", a, want)
	}
	if !a.FromSlip() || a.FromCase() || a.RestartsCare() || IsContact(a.Category) {
		t.Fatal("a slip's item is from its slip and is no contact: it restarts no care cadence")
	}

	// The same key is the same item, whatever else; another key another;
	// a case's item of the same key is another item.
	again, _ := NewSlipEvent(slipEvent(func(e *SlipEvent) { e.Summary, e.At, e.Department = "other", now, "sales" }), now)
	other, _ := NewSlipEvent(slipEvent(func(e *SlipEvent) { e.Key = "slip-entry-2" }), now)
	if again.ID != a.ID || other.ID == a.ID || CaseEventID("slip-entry-1") == a.ID {
		t.Fatalf("ids %s %s %s", a.ID, again.ID, other.ID)
	}

	// Every department of the history, or none when the workflow does not
	// know whose change it was.
	for _, d := range append([]string{""}, Departments...) {
		item, err := NewSlipEvent(slipEvent(func(e *SlipEvent) { e.Department = d }), now)
		if err != nil || item.Department != d {
			t.Errorf("department %q: %v %q", d, err, item.Department)
		}
	}

	// Ids are stored in their canonical form.
	up, err := NewSlipEvent(slipEvent(func(e *SlipEvent) { e.CustomerID, e.SlipID = strings.ToUpper(cust1), strings.ToUpper(slip1) }), now)
	if err != nil || up.CustomerIDs()[0] != cust1 || up.Slip.ID != slip1 {
		t.Fatalf("%v %+v", err, up)
	}

	// Without a subject the title is the event in words; long texts are cut.
	long, err := NewSlipEvent(slipEvent(func(e *SlipEvent) {
		e.Event, e.Subject, e.Summary = "withdrawn", "  ", strings.Repeat("é", 5000)
	}), now)
	if err != nil || long.Title != "Slip withdrawn" || len([]rune(long.Summary)) != maxText || !strings.HasSuffix(long.Summary, "…") {
		t.Fatalf("%v %q %d", err, long.Title, len([]rune(long.Summary)))
	}
	titled, _ := NewSlipEvent(slipEvent(func(e *SlipEvent) { e.Subject = strings.Repeat("x", 300) }), now)
	if n := len([]rune(titled.Title)); n != maxTitle {
		t.Fatalf("title of %d characters", n)
	}

	for _, tc := range []struct {
		name    string
		mod     func(*SlipEvent)
		refused []string
	}{
		{"every field wrong", func(e *SlipEvent) {
			*e = SlipEvent{Key: " ", CustomerID: "c-1", SlipID: "", Event: "escalated", Actor: " ", Department: "finance"}
		}, []string{"id:required", "customer_id:invalid", "slip_id:invalid", "event:invalid", "actor:required", "department:invalid", "at:required"}},
		{"a case's event", func(e *SlipEvent) { e.Event = "resolved" }, []string{"event:invalid"}},
		{"a department in other words", func(e *SlipEvent) { e.Department = "Service" }, []string{"department:invalid"}},
		{"a key too long", func(e *SlipEvent) { e.Key = strings.Repeat("k", 201) }, []string{"id:too_long"}},
		{"more than an hour ahead", func(e *SlipEvent) { e.At = now.Add(61 * time.Minute) }, []string{"at:in_future"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSlipEvent(slipEvent(tc.mod), now)
			if got := fields(err); !reflect.DeepEqual(got, tc.refused) {
				t.Fatalf("refused %v, want %v", got, tc.refused)
			}
		})
	}
	wantTitles := map[string]string{"sent": "Slip sent", "acknowledged": "Slip acknowledged", "done": "Slip acted on",
		"rejected": "Slip rejected", "forwarded": "Slip forwarded", "added": "Recipient added", "rerouted": "Slip rerouted",
		"closed": "Slip closed", "withdrawn": "Slip withdrawn"}
	if len(SlipEvents) != len(wantTitles) {
		t.Fatalf("events %v", SlipEvents)
	}
	for _, ev := range SlipEvents {
		item, err := NewSlipEvent(slipEvent(func(e *SlipEvent) { e.Event, e.Subject = ev, "Plant move" }), now)
		if err != nil || item.Title != wantTitles[ev]+": Plant move" || item.Slip.Event != ev {
			t.Errorf("%s: %v, title %q", ev, err, item.Title)
		}
	}
}

// TestSlipItemsAreNotActionsPeopleRecordOrChange: POST /v1/actions refuses
// the category, and completing or cancelling a slip's item is refused
// before anything else, leaving it as it was.
func TestSlipItemsAreNotActionsPeopleRecordOrChange(t *testing.T) {
	_, _, err := New(Draft{Kind: KindLog, Category: CategoryInfoSlip, Department: "sales", Title: "Slip sent", Summary: "x",
		CustomerIDs: []string{cust1}}, "act-1", "rep-ana", now)
	if got := fields(err); !reflect.DeepEqual(got, []string{"category:invalid"}) {
		t.Fatalf("recording an info_slip action: %v", got)
	}
	item, _ := NewSlipEvent(slipEvent(nil), now)
	if !errors.Is(item.Changeable(), ErrRecordedBySlip) {
		t.Fatalf("a slip's item: %v", item.Changeable())
	}
	planned := item
	planned.Kind, planned.Status = KindPlan, StatusPlanned
	for name, do := range map[string]func(a *Action) error{
		"complete": func(a *Action) error { return a.Complete(Completion{Summary: "done"}, now) },
		"cancel":   func(a *Action) error { return a.Cancel(now) },
	} {
		for _, a := range []Action{item, planned} {
			before := a
			if err := do(&a); !errors.Is(err, ErrRecordedBySlip) {
				t.Errorf("%s a slip's %s item: %v", name, a.Status, err)
			}
			if !reflect.DeepEqual(a, before) {
				t.Errorf("%s changed a slip's item: %+v", name, a)
			}
		}
	}
}
