package care

import (
	"strings"
	"testing"
	"time"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/policy"
)

var (
	t0     = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	anchor = t0
	closeT = t0.Add(40 * 24 * time.Hour)
)

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

func TestVerdict(t *testing.T) {
	base := openCare{OwnerID: "rep-ana", PolicyKey: "A", AnchorAt: anchor,
		CustOwner: "rep-ana", CustClass: "A", CustStage: "transacting", CustCareFrom: at(0), CustFound: true}
	cases := []struct {
		name      string
		change    func(*openCare)
		state     string
		noteHas   string
		stillOpen bool
	}{
		{"unchanged", func(*openCare) {}, "", "", true},
		{"a contact before the anchor", func(o *openCare) { o.CustLastContact = at(-time.Hour) }, "", "", true},
		{"customer gone", func(o *openCare) { o.CustFound = false }, StateCancelled, "deleted", false},
		{"customer deleted", func(o *openCare) { o.CustDeleted = true }, StateCancelled, "deleted", false},
		{"left care", func(o *openCare) { o.CustStage = "lost" }, StateCancelled, "left care: its lifecycle stage is now lost", false},
		{"no owner", func(o *openCare) { o.CustOwner = "" }, StateCancelled, "no owner", false},
		{"new class", func(o *openCare) { o.CustClass = "C" }, StateCancelled, "from A to C", false},
		{"class removed", func(o *openCare) { o.CustClass = "" }, StateCancelled, "from A to none", false},
		{"new owner", func(o *openCare) { o.CustOwner = "rep-bo" }, StateCancelled, "from rep-ana to rep-bo", false},
		{"a contact after the anchor", func(o *openCare) { o.CustLastContact = at(time.Hour); o.CustCareFrom = at(time.Hour) }, StateDone, "contact was logged", false},
		{"cadence restarted", func(o *openCare) { o.CustCareFrom = at(time.Hour) }, StateCancelled, "restarted", false},
		// A class change is reported before a contact: the follow-up was
		// owed under the old class, a new one follows under the new.
		{"class change and contact", func(o *openCare) { o.CustClass = "B"; o.CustLastContact = at(time.Hour) }, StateCancelled, "from A to B", false},
	}
	for _, c := range cases {
		o := base
		c.change(&o)
		state, note := o.verdict()
		if state != c.state || !strings.Contains(note, c.noteHas) || (state == "") != c.stillOpen {
			t.Errorf("%s: verdict %q %q; want %q containing %q", c.name, state, note, c.state, c.noteHas)
		}
	}
}

func TestCloseEffect(t *testing.T) {
	eq := func(a, b *time.Time) bool { return sameTime(a, b) }
	cases := []struct {
		name         string
		was          careFields
		state, by    string
		wantFrom     *time.Time
		wantContact  *time.Time
		wantEpochInc int64
	}{
		{"done: the close is the contact", careFields{CareFrom: at(0)}, StateDone, "rep-ana", &closeT, &closeT, 0},
		{"done: anchor before, an older contact", careFields{CareFrom: at(-time.Hour), LastContact: at(-time.Hour)}, StateDone, "rep-ana", &closeT, &closeT, 0},
		{"done: a contact after the anchor moved it already", careFields{CareFrom: at(time.Hour), LastContact: at(time.Hour)}, StateDone, "rep-ana", at(time.Hour), at(time.Hour), 0},
		{"done: a contact logged after the close instant", careFields{CareFrom: at(0), LastContact: at(50 * 24 * time.Hour)}, StateDone, "workflow", at(0), at(50 * 24 * time.Hour), 0},
		{"done: no anchor", careFields{}, StateDone, "rep-ana", nil, nil, 0},
		{"cancelled by the system", careFields{CareFrom: at(0), Epoch: 3}, StateCancelled, Actor, at(0), nil, 1},
		{"cancelled by the workflow", careFields{CareFrom: at(0)}, StateCancelled, "workflow", at(0), nil, 1},
		{"cancelled by the plain system", careFields{CareFrom: at(0)}, StateCancelled, "system", at(0), nil, 1},
		{"cancelled by a person: the round is waived", careFields{CareFrom: at(0), LastContact: at(-time.Hour)}, StateCancelled, "mgr-mia", &closeT, at(-time.Hour), 1},
		{"cancelled by a person after a later anchor", careFields{CareFrom: at(50 * 24 * time.Hour)}, StateCancelled, "mgr-mia", at(50 * 24 * time.Hour), nil, 1},
		{"cancelled by nobody named", careFields{CareFrom: at(0)}, StateCancelled, "", at(0), nil, 1},
		{"still open", careFields{CareFrom: at(0), Epoch: 2}, StateOpen, "rep-ana", at(0), nil, 0},
	}
	for _, c := range cases {
		got := closeEffect(c.was, c.state, c.by, anchor, closeT)
		if !eq(got.CareFrom, c.wantFrom) || !eq(got.LastContact, c.wantContact) || got.Epoch != c.was.Epoch+c.wantEpochInc {
			t.Errorf("%s: %+v → care_from %v, last contact %v, epoch %d; want %v, %v, %d", c.name, c.was,
				got.CareFrom, got.LastContact, got.Epoch, c.wantFrom, c.wantContact, c.was.Epoch+c.wantEpochInc)
		}
	}
	// Applying a close twice is what the care_followups row prevents; done
	// is harmless even so (the anchor moved past the follow-up's).
	once := closeEffect(careFields{CareFrom: at(0)}, StateDone, "rep-ana", anchor, closeT)
	if twice := closeEffect(once, StateDone, "rep-ana", anchor, closeT.Add(time.Hour)); !eq(twice.CareFrom, &closeT) {
		t.Errorf("a second done moved the anchor to %v", twice.CareFrom)
	}
}

func TestByPerson(t *testing.T) {
	for by, want := range map[string]bool{"mgr-mia": true, "rep-ana": true, "": false, "workflow": false, "system": false, "system:sweep": false, Actor: false} {
		if byPerson(by) != want {
			t.Errorf("byPerson(%q) = %v", by, !want)
		}
	}
}

func TestCadenceTimer(t *testing.T) {
	def, ok := policy.Lookup(policy.CareCadence)
	if !ok {
		t.Fatal("no care.cadence in the catalogue")
	}
	terms := &followupv1.CareTerms{Cadence: &followupv1.ResolvedPolicy{Name: policy.CareCadence, Version: 1, ValueJson: def.Default.MustJSON()}}
	for class, days := range map[string]int{"A": 30, "B": 60, "C": 120} {
		timer, err := cadenceTimer(terms, class)
		if err != nil {
			t.Fatalf("%s: %v", class, err)
		}
		if timer.Duration.D() != time.Duration(days)*24*time.Hour {
			t.Errorf("class %s: %v; want %d days", class, timer.Duration, days)
		}
	}
	if _, err := cadenceTimer(terms, "D"); err == nil {
		t.Error("a class the policy has no entry for was accepted")
	}
	if _, err := cadenceTimer(&followupv1.CareTerms{Cadence: &followupv1.ResolvedPolicy{ValueJson: []byte("{")}}, "A"); err == nil {
		t.Error("an unreadable policy value was accepted")
	}
}

func TestSpecAsksForTheCloseNotice(t *testing.T) {
	c := candidate{ID: "c1", Name: "Acme", OwnerID: "rep-ana", Team: "north", Region: "north", ValueClass: "B", CareFrom: anchor, CareEpoch: 2}
	s := spec(c)
	if s.GetId() != FollowUpID("c1", anchor, 2) || s.GetKind() != policy.KindCareContact || s.GetPolicyKey() != "B" || s.GetOpenedBy() != Actor {
		t.Errorf("spec %v", s)
	}
	if n := s.GetNotify(); n.GetTaskQueue() != "customer" || n.GetActivity() != "customer.CareFollowUpClosed" {
		t.Errorf("notice %v; want customer.CareFollowUpClosed on the customer queue", n)
	}
	if FollowUpID("c1", anchor, 3) == s.GetId() || FollowUpID("c1", anchor.Add(time.Microsecond), 2) == s.GetId() {
		t.Error("the follow-up id does not depend on the epoch and anchor")
	}
}
