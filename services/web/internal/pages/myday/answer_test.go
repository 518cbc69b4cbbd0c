package myday

import (
	"slices"
	"testing"
)

func TestWhatAnswersAFollowUp(t *testing.T) {
	for _, c := range []struct {
		name, kind, wf, customer string
		want                     answer
	}{
		{"a visit log: the visit of the customer-day", "visit_log", "Visit:c1:2026-12-08", "c1",
			answer{How: byVisitLog, CustomerID: "c1", Day: "2026-12-08", Channels: []string{"visit"}}},
		{"a visit log without its day", "visit_log", "Visit:c1", "c1", answer{How: notByContact}},
		{"a first contact of a lead", "first_contact", "Lead:l7", "c1",
			answer{How: byLeadContact, LeadID: "l7", CustomerID: "c1", Channels: []string{"call", "visit"}}},
		{"a first contact kept elsewhere", "first_contact", "followup:f1", "c1",
			answer{How: byAction, CustomerID: "c1", Channels: []string{"call", "visit"}}},
		{"a care contact", "care_contact", "followup:f2", "c1", answer{How: byAction, CustomerID: "c1", Channels: []string{"call", "visit"}}},
		{"a callback", "callback", "followup:f3", "c1", answer{How: byAction, CustomerID: "c1", Channels: []string{"call", "visit"}}},
		{"a callback without customer", "callback", "followup:f3", "", answer{How: notByContact}},
		{"a stale stage is moved, not called", "stale_stage", "Opportunity:o1", "c1", answer{How: notByContact}},
		{"a service ticket", "service_response", "followup:f4", "c1", answer{How: notByContact}},
	} {
		got := answerFor(c.kind, c.wf, c.customer)
		if got.How != c.want.How || got.LeadID != c.want.LeadID || got.CustomerID != c.want.CustomerID || got.Day != c.want.Day ||
			!slices.Equal(got.Channels, c.want.Channels) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
