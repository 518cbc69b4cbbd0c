package app

import (
	"context"
	"reflect"
	"testing"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	"github.com/closeloop/closeloop/services/followup/client"
)

// fakeFollowUps is the follow-up service's API as actions see it.
type fakeFollowUps struct {
	open      map[string][]client.FollowUp // by customer
	listErr   map[string]error             // by customer
	failClose map[string]error             // by follow-up
	completed []string                     // ids, with their notes
	notes     []string
}

func (f *fakeFollowUps) OpenFirstContacts(_ context.Context, customerID string) ([]client.FollowUp, error) {
	if err := f.listErr[customerID]; err != nil {
		return nil, err
	}
	return f.open[customerID], nil
}

func (f *fakeFollowUps) Complete(_ context.Context, id, note string) (client.FollowUp, error) {
	if err := f.failClose[id]; err != nil {
		return client.FollowUp{}, err
	}
	f.completed = append(f.completed, id)
	f.notes = append(f.notes, note)
	return client.FollowUp{ID: id, State: "done"}, nil
}

func TestCloseAnswered(t *testing.T) {
	ana := auth.Principal{Subject: "rep-ana"}
	unreachable := apperr.Unavailable(client.CodeUnavailable, "the follow-up service did not answer; retry shortly")
	fc := func(id, owner, lead string) client.FollowUp {
		return client.FollowUp{ID: id, Kind: "first_contact", OwnerID: owner, WorkflowID: wfc.LeadWorkflowID(lead)}
	}
	const lead1, lead2 = "0190a000-0000-7000-8000-000000000001", "0190a000-0000-7000-8000-000000000002"
	for _, tc := range []struct {
		name      string
		category  string
		fu        *fakeFollowUps
		customers []string
		leads     []string
		closed    []Closed
		failed    []NotClosed
	}{
		{name: "without leads, the actor's own follow-ups close", category: "phone_call",
			fu:        &fakeFollowUps{open: map[string][]client.FollowUp{"c1": {fc("f1", "rep-ana", lead1), fc("f2", "rep-bo", lead2)}}},
			customers: []string{"c1"},
			closed:    []Closed{{ID: "f1", Kind: "first_contact", Owner: "rep-ana"}}},
		{name: "with leads, those leads' follow-ups close, whoever's", category: "visit_reception",
			fu:        &fakeFollowUps{open: map[string][]client.FollowUp{"c1": {fc("f1", "rep-ana", lead1), fc("f2", "rep-bo", lead2)}}},
			customers: []string{"c1"}, leads: []string{lead2},
			closed: []Closed{{ID: "f2", Kind: "first_contact", Owner: "rep-bo"}}},
		{name: "not a contact: nothing asked", category: "briefing_report",
			fu:        &fakeFollowUps{listErr: map[string]error{"c1": unreachable}},
			customers: []string{"c1"}, closed: []Closed{}},
		{name: "an unreachable follow-up service: each customer not closed, with the reason", category: "phone_call",
			fu:        &fakeFollowUps{listErr: map[string]error{"c1": unreachable}, open: map[string][]client.FollowUp{"c2": {fc("f3", "rep-ana", lead1)}}},
			customers: []string{"c1", "c2"},
			closed:    []Closed{{ID: "f3", Kind: "first_contact", Owner: "rep-ana"}},
			failed: []NotClosed{{Kind: "first_contact",
				Reason: "could not list the customer's follow-ups (the follow-up service did not answer; retry shortly): retry by completing them"}}},
		{name: "a refused close is not closed, with the follow-up service's message", category: "phone_call",
			fu: &fakeFollowUps{open: map[string][]client.FollowUp{"c1": {fc("f1", "rep-ana", lead1), fc("f4", "rep-ana", lead2)}},
				failClose: map[string]error{"f1": apperr.Rule("already_closed", "this follow-up is already done")}},
			customers: []string{"c1"},
			closed:    []Closed{{ID: "f4", Kind: "first_contact", Owner: "rep-ana"}},
			failed:    []NotClosed{{ID: "f1", Kind: "first_contact", Reason: "this follow-up is already done"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{followups: tc.fu}
			a := domain.Action{Category: tc.category, Title: "Call"}
			for _, c := range tc.customers {
				a.Links = append(a.Links, domain.Link{SubjectType: domain.SubjectCustomer, SubjectID: c, CustomerID: c})
			}
			for _, l := range tc.leads {
				a.Links = append(a.Links, domain.Link{SubjectType: domain.SubjectLead, SubjectID: l, CustomerID: tc.customers[0]})
			}
			closed, failed := s.closeAnswered(context.Background(), ana, a)
			if !reflect.DeepEqual(closed, tc.closed) || !reflect.DeepEqual(failed, tc.failed) {
				t.Fatalf("closed %+v, not closed %+v", closed, failed)
			}
			for _, n := range tc.fu.notes {
				if n != "contact logged ("+tc.category+"): Call" {
					t.Errorf("note %q", n)
				}
			}
		})
	}
}
