package touchmail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/customer/internal/touchmail"
)

// TestAddress: the primary contact's usable address first, else the first
// usable one in order; unusable addresses are skipped, a usable one is
// normalised; no usable address at all is none.
func TestAddress(t *testing.T) {
	cases := []struct {
		name     string
		contacts []touchmail.Contact
		want     string
	}{
		{"the primary's", []touchmail.Contact{{Name: "A", Email: "a@x.example"}, {Name: "P", Email: "p@x.example", Primary: true}}, "p@x.example"},
		{"the primary has none: the first usable", []touchmail.Contact{{Name: "P", Primary: true}, {Name: "A", Email: "nope"}, {Name: "B", Email: " B@X.Example "}}, "b@x.example"},
		{"the primary's is unusable", []touchmail.Contact{{Name: "P", Email: "p@localhost", Primary: true}, {Name: "A", Email: "a@x.example"}}, "a@x.example"},
		{"none usable", []touchmail.Contact{{Name: "A", Email: "a@"}, {Name: "B"}}, ""},
		{"no contact", nil, ""},
	}
	for _, tc := range cases {
		got, ok := touchmail.Address(tc.contacts)
		if got.Email != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %+v %v, want %q", tc.name, got, ok, tc.want)
		}
	}
}

// TestHistoryItem: the email on the customer's history — department
// marketing, a campaign's item done at the send, titled with the campaign
// and the subject, naming the address; one per touch.
func TestHistoryItem(t *testing.T) {
	at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	s := touchmail.Sent{TouchID: "touch-1", CustomerID: "0190d5c8-0000-7000-8000-000000000001", CampaignID: "camp-1", CampaignName: "Spring",
		Subject: "We miss you", Step: 2, Address: "buyer@acme.example", At: at}
	a, err := touchmail.HistoryItem(s, at.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "Spring: email “We miss you”" || a.Department != "marketing" || a.Category != "campaign" || !a.FromCampaign() ||
		!a.OccurredAt.Equal(at) || a.CampaignID != "camp-1" || !strings.Contains(a.Summary, "step 2: an email to buyer@acme.example") {
		t.Errorf("item %+v", a)
	}
	again, _ := touchmail.HistoryItem(s, at.Add(time.Hour))
	other := s
	other.TouchID = "touch-2"
	o, _ := touchmail.HistoryItem(other, at)
	if again.ID != a.ID || o.ID == a.ID {
		t.Error("the item's id is the touch's")
	}
	if _, err := touchmail.HistoryItem(touchmail.Sent{TouchID: "t", CustomerID: "acme", CampaignID: "c", At: at}, at); err == nil {
		t.Error("an email of no customer was taken")
	}
}
