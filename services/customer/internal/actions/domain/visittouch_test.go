package domain

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestVisitTouchPlan: a visit touch's plan is stored with its visit
// request (from the instant the touch counts as made); the answer replaces
// the request — the visit linked and named, or why there is none with a
// next step for its assignee — once. Other touches and a campaign's items
// request nothing; a plan its assignee completed or cancelled has its
// request dropped.
func TestVisitTouchPlan(t *testing.T) {
	made := now.Add(3 * time.Hour)
	visitTouch := func() Action {
		a, err := NewTouchPlan(touch(func(t *Touch) { t.Action, t.PlannedAt = "visit", made.Add(123*time.Millisecond) }), "", now)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := visitTouch()
	if from, ok := a.VisitRequested(); !a.IsVisitTouch() || !a.AwaitsVisit() || !ok || !from.Equal(made) || a.VisitID() != "" ||
		!reflect.DeepEqual(a.Links, []Link{{SubjectCustomer, cust1, cust1}, {SubjectVisitRequest, "2026-03-10T12:00:00Z", cust1}}) ||
		!reflect.DeepEqual(a.CustomerIDs(), []string{cust1}) {
		t.Fatalf("a new visit touch requests its visit from when it is made: %+v", a)
	}
	if unplanned, _ := NewTouchPlan(touch(func(t *Touch) { t.Action = "visit" }), "", now); !reflect.DeepEqual(unplanned.Links[1],
		Link{SubjectVisitRequest, "2026-03-10T09:00:00Z", cust1}) {
		t.Fatalf("a touch without planned_at is made when planned: %+v", unplanned.Links)
	}
	later := now.Add(time.Minute)
	if err := a.NoteVisit(TouchVisit{VisitID: "v-1", Sentence: " Visit booked for 2026-03-12 10:00–11:00 UTC (visit v-1). "}, later); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.VisitRequested(); ok || a.VisitID() != "v-1" || a.AwaitsVisit() || a.NextStep != "" || !a.UpdatedAt.Equal(later) ||
		a.Summary != "Campaign touch, step 2: visit by 2026-03-12T09:00:00Z. Visit booked for 2026-03-12 10:00–11:00 UTC (visit v-1)." ||
		!reflect.DeepEqual(a.Links, []Link{{SubjectCustomer, cust1, cust1}, {SubjectVisit, "v-1", cust1}}) {
		t.Fatalf("noted %+v", a)
	}
	if err := a.NoteVisit(TouchVisit{VisitID: "v-2", Sentence: "again"}, later); !errors.Is(err, ErrVisitSettled) || a.VisitID() != "v-1" {
		t.Fatalf("noted twice: %v %+v", err, a)
	}
	if err := a.DropVisitRequest(); !errors.Is(err, ErrVisitSettled) {
		t.Fatalf("dropped an answered request: %v", err)
	}

	none := visitTouch()
	if err := none.NoteVisit(TouchVisit{Sentence: "No visit booked: the customer is deleted."}, later); err != nil {
		t.Fatal(err)
	}
	if _, ok := none.VisitRequested(); ok || none.AwaitsVisit() || none.VisitID() != "" || none.NextStep != NoVisitNextStep || len(none.Links) != 1 ||
		none.Summary != "Campaign touch, step 2: visit by 2026-03-12T09:00:00Z. No visit booked: the customer is deleted." {
		t.Fatalf("no visit %+v", none)
	}
	if err := none.NoteVisit(TouchVisit{VisitID: "v-3"}, later); !errors.Is(err, ErrVisitSettled) {
		t.Fatalf("noted after none: %v", err)
	}

	// Completed or cancelled before its request was answered: no visit.
	done, cancelled := visitTouch(), visitTouch()
	if err := done.Complete(Completion{Summary: "visited"}, later); err != nil {
		t.Fatal(err)
	}
	if err := cancelled.Cancel(later); err != nil {
		t.Fatal(err)
	}
	for name, x := range map[string]*Action{"done": &done, "cancelled": &cancelled} {
		if x.AwaitsVisit() || x.NoteVisit(TouchVisit{VisitID: "v-9"}, later) == nil {
			t.Errorf("%s awaits a visit", name)
		}
		if err := x.DropVisitRequest(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if _, ok := x.VisitRequested(); ok || x.VisitID() != "" || len(x.Links) != 1 {
			t.Errorf("%s: %+v", name, x.Links)
		}
	}
	if awaited := visitTouch(); !errors.Is(awaited.DropVisitRequest(), ErrVisitSettled) {
		t.Fatal("dropped a request still awaited")
	}

	call, _ := NewTouchPlan(touch(nil), "", now)
	item, _ := NewCampaignEvent(CampaignEvent{Key: "k", CustomerID: cust1, CampaignID: "camp-1", Actor: "winback", Title: "Won back", At: now}, now)
	for name, x := range map[string]Action{"call": call, "item": item} {
		if _, ok := x.VisitRequested(); ok || x.AwaitsVisit() || len(x.Links) != 1 {
			t.Errorf("%s requests a visit: %+v", name, x.Links)
		}
	}
}

// TestTouchDepartment: a touch is marketing's unless it names another
// department that acts towards customers.
func TestTouchDepartment(t *testing.T) {
	a, err := NewTouchPlan(touch(func(t *Touch) { t.Department = " service " }), "", now)
	if err != nil || a.Department != "service" {
		t.Fatalf("%v %s", err, a.Department)
	}
	_, err = NewTouchPlan(touch(func(t *Touch) { t.Department = "finance" }), "touches[1].", now)
	if got := fields(err); !reflect.DeepEqual(got, []string{"touches[1].department:invalid"}) {
		t.Fatalf("refused %v", got)
	}
}
