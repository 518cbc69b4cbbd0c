package care

import (
	"strings"
	"testing"
	"time"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/policy"
)

func TestNotInCareReason(t *testing.T) {
	in := Customer{Stage: "transacting", OwnerID: "rep-ana", ValueClass: "A"}
	cases := map[string]func(*Customer){
		"":                              func(*Customer) {},
		"deleted":                       func(c *Customer) { c.Deleted = true },
		"its lifecycle stage is lost":   func(c *Customer) { c.Stage = "lost" },
		"its lifecycle stage is lead":   func(c *Customer) { c.Stage = "lead" },
		"it has no owner":               func(c *Customer) { c.OwnerID = "" },
		"it has no value class yet":     func(c *Customer) { c.ValueClass = "" },
		"its lifecycle stage is prosp":  func(c *Customer) { c.Stage = "prospect"; c.OwnerID = "" }, // the stage is said first
		"deleted (whatever else is so)": func(c *Customer) { c.Deleted = true; c.Stage = "lead" },
	}
	for want, change := range cases {
		c := in
		change(&c)
		got := c.NotInCareReason()
		if prefix, _, _ := strings.Cut(want, " ("); (want == "") != (got == "") || !strings.HasPrefix(got, prefix) {
			t.Errorf("%+v: %q; want %q", c, got, want)
		}
	}
	if c := (Customer{Stage: "service", OwnerID: "rep-ana", ValueClass: "C"}); c.NotInCareReason() != "" {
		t.Errorf("a service customer with owner and class is not in care: %q", c.NotInCareReason())
	}
}

// standardTerms is a cadence of 8 working hours for every class in a
// Monday-to-Friday 09:00–18:00 calendar (lunch 12:00–13:00 on Monday and
// Friday) assigned as the default.
func standardTerms() *followupv1.CareTerms {
	eight := policy.Timer{Duration: policy.Duration(8 * time.Hour), Clock: policy.ClockBusiness}
	cadence := policy.Value{Table: map[string]policy.Timer{"A": eight, "B": eight, "C": eight}}
	week := `{"monday":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"18:00"}],"tuesday":[{"start":"09:00","end":"18:00"}],` +
		`"wednesday":[{"start":"09:00","end":"18:00"}],"thursday":[{"start":"09:00","end":"18:00"}],"friday":[{"start":"09:00","end":"12:00"},{"start":"13:00","end":"18:00"}]}`
	return &followupv1.CareTerms{
		Cadence:     &followupv1.ResolvedPolicy{Name: policy.CareCadence, Version: 2, ValueJson: cadence.MustJSON()},
		Calendars:   []*followupv1.ResolvedCalendar{{Name: "standard", Version: 1, SpecJson: []byte(`{"name":"standard","time_zone":"UTC","week":` + week + `}`)}},
		Assignments: []*followupv1.CalendarAssignment{{Scope: policy.ScopeDefault, Calendar: "standard"}},
	}
}

func TestStatusOf(t *testing.T) {
	day := 24 * time.Hour
	asOf := t0.Add(-time.Hour)
	from := t0
	c := Customer{Stage: "transacting", OwnerID: "rep-ana", ValueClass: "A", Team: "north", Region: "north", CareFrom: &from}
	terms := defaultTerms() // A 30 days, B 60, C 120, calendar time

	st := StatusOf(c, terms, asOf, nil, t0.Add(29*day))
	if !st.InCare || st.DueAt == nil || !st.DueAt.Equal(t0.Add(30*day)) || st.Overdue || st.Note != "" {
		t.Fatalf("a day before due: %+v", st)
	}
	if cd := st.Cadence; cd == nil || cd.ValueClass != "A" || cd.Duration != "30d" || cd.Clock != "calendar" || cd.Calendar != "" || cd.PolicyVersion != 1 {
		t.Errorf("cadence %+v", st.Cadence)
	}
	if st.TermsAsOf == nil || !st.TermsAsOf.Equal(asOf) {
		t.Errorf("terms as of %v; want %v", st.TermsAsOf, asOf)
	}
	// Due at the instant itself: overdue (the follow-up falls due then).
	if st := StatusOf(c, terms, asOf, nil, t0.Add(30*day)); !st.Overdue {
		t.Errorf("at the due instant: not overdue")
	}
	if st := StatusOf(c, terms, asOf, nil, t0.Add(30*day-time.Microsecond)); st.Overdue {
		t.Errorf("just before the due instant: overdue")
	}
	b := c
	b.ValueClass = "C"
	if st := StatusOf(b, terms, asOf, nil, t0); !st.DueAt.Equal(t0.Add(120*day)) || st.Cadence.Duration != "120d" {
		t.Errorf("class C: due %v, cadence %+v", st.DueAt, st.Cadence)
	}

	// An open follow-up is shown.
	open := &FollowUp{ID: "f1", OwnerID: "rep-ana", AnchorAt: t0, OpenedAt: t0.Add(29 * day)}
	if st := StatusOf(c, terms, asOf, open, t0.Add(31*day)); st.OpenFollowUp == nil || st.OpenFollowUp.ID != "f1" || !st.Overdue {
		t.Errorf("with an open follow-up: %+v", st)
	}

	// Not in care: why, and no cadence.
	lost := c
	lost.Stage = "lost"
	if st := StatusOf(lost, terms, asOf, nil, t0); st.InCare || st.Cadence != nil || st.DueAt != nil || !strings.Contains(st.NotInCareReason, "lost") {
		t.Errorf("a lost customer: %+v", st)
	}
	// No terms yet: in care, due unknown.
	if st := StatusOf(c, nil, time.Time{}, nil, t0); !st.InCare || st.DueAt != nil || st.Note != NoTermsNote || st.TermsAsOf != nil {
		t.Errorf("without terms: %+v", st)
	}
	// A class the cadence has no entry for: due unknown, and why.
	d := c
	d.ValueClass = "D"
	if st := StatusOf(d, terms, asOf, nil, t0); st.DueAt != nil || !strings.Contains(st.Note, "no entry for class D") {
		t.Errorf("unknown class: %+v", st)
	}

	// Business time: Friday 10:00 + 8 working hours is Monday 10:00, in the
	// calendar the terms assign.
	friday := time.Date(2025, 2, 28, 10, 0, 0, 0, time.UTC)
	c.CareFrom = &friday
	st = StatusOf(c, standardTerms(), asOf, nil, friday.Add(time.Hour))
	if want := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC); st.DueAt == nil || !st.DueAt.Equal(want) || st.Overdue {
		t.Errorf("business time: due %v; want %v", st.DueAt, want)
	}
	if cd := st.Cadence; cd == nil || cd.Duration != "8h" || cd.Clock != "business" || cd.Calendar != "standard" || cd.PolicyVersion != 2 {
		t.Errorf("business cadence %+v", st.Cadence)
	}
	noCal := standardTerms()
	noCal.Calendars = nil
	if st := StatusOf(c, noCal, asOf, nil, friday); st.DueAt != nil || !strings.Contains(st.Note, "standard") {
		t.Errorf("terms without the assigned calendar: %+v", st)
	}
}

// TestContactCutoffs checks the cutoff against the due rule itself: a last
// contact after its group's cutoff is due after now, one at or before it is
// due at or before now — in calendar time, and in business time at instants
// inside working hours, at a range's edge, over lunch and over a weekend.
func TestContactCutoffs(t *testing.T) {
	a, north := Group{"A", "north", "north"}, Group{"C", "north", "east"}
	now := time.Date(2025, 3, 5, 15, 30, 0, 0, time.UTC)
	cut, unknown := ContactCutoffs(defaultTerms(), []Group{a, north}, now)
	if len(unknown) != 0 || !cut[a].Equal(now.Add(-30*24*time.Hour)) || !cut[north].Equal(now.Add(-120*24*time.Hour)) {
		t.Fatalf("calendar time: %v %v", cut, unknown)
	}

	terms := standardTerms()
	timer, cal, err := cadenceOf(terms, "A", "north", "north")
	if err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{
		time.Date(2025, 3, 5, 15, 30, 0, 0, time.UTC), // Wednesday afternoon
		time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC),   // Monday, the first working instant
		time.Date(2025, 3, 3, 12, 30, 0, 0, time.UTC), // Monday lunch
		time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC),  // Saturday
		time.Date(2025, 3, 7, 18, 0, 0, 0, time.UTC),  // Friday, the end of the week's work
	} {
		cut, unknown := ContactCutoffs(terms, []Group{a}, now)
		if len(unknown) != 0 {
			t.Fatalf("%v: %v", now, unknown)
		}
		c := cut[a]
		for _, last := range []time.Time{c.Add(-time.Hour), c.Add(-time.Microsecond), c, c.Add(time.Microsecond), c.Add(time.Hour), now} {
			due, err := timer.Due(last, cal)
			if err != nil {
				t.Fatal(err)
			}
			if within := last.After(c); within != due.After(now) {
				t.Errorf("now %v, cutoff %v: a contact at %v is due %v; within the cadence by the cutoff: %v", now, c, last, due, within)
			}
		}
	}

	noCal := standardTerms()
	noCal.Calendars = nil
	if cut, unknown := ContactCutoffs(noCal, []Group{a}, now); len(cut) != 0 || !strings.Contains(unknown[a], "standard") {
		t.Errorf("terms without the calendar: %v %v", cut, unknown)
	}
	if cut, unknown := ContactCutoffs(nil, []Group{a}, now); len(cut) != 0 || unknown[a] != NoTermsNote {
		t.Errorf("without terms: %v %v", cut, unknown)
	}
}

func TestClassCadence(t *testing.T) {
	c, err := ClassCadence(defaultTerms(), "B")
	if err != nil || c.ValueClass != "B" || c.Duration != "60d" || c.Clock != "calendar" || c.Calendar != "" || c.PolicyVersion != 1 {
		t.Errorf("class B: %+v %v", c, err)
	}
	c, err = ClassCadence(standardTerms(), "A")
	if err != nil || c.Duration != "8h" || c.Clock != "business" || c.Calendar != "" || c.PolicyVersion != 2 {
		t.Errorf("business time, the team's calendar: %+v %v", c, err)
	}
	if _, err := ClassCadence(defaultTerms(), "D"); err == nil {
		t.Error("a class without an entry has a cadence")
	}
}
