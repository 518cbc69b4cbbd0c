package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

func TestLeadProgress(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	p := domain.LeadProgress{State: domain.LeadNew}
	if _, err := p.Apply(domain.LeadChange{Op: domain.OpQualify, At: at}); !errors.Is(err, domain.ErrLeadTransition) {
		t.Fatalf("qualify a new lead: %v", err)
	}
	if _, err := p.Apply(domain.LeadChange{Op: domain.OpConvert, OpportunityID: "o", At: at}); !errors.Is(err, domain.ErrLeadTransition) {
		t.Fatalf("convert a new lead: %v", err)
	}
	e, err := p.Apply(domain.LeadChange{Op: domain.OpContact, Channel: "call", Summary: "hello", At: at})
	if err != nil || e.Kind != "first_contact" || p.State != domain.LeadContacted || !p.FirstContactAt.Equal(at) {
		t.Fatalf("first contact: %+v %+v %v", e, p, err)
	}
	e, _ = p.Apply(domain.LeadChange{Op: domain.OpContact, Channel: "email", Summary: "again", At: at.Add(time.Hour)})
	if e.Kind != "contact" || !p.FirstContactAt.Equal(at) || e.Summary != "email: again" {
		t.Fatalf("second contact: %+v %+v", e, p)
	}
	if e, err := p.Apply(domain.LeadChange{Op: domain.OpQualify, At: at}); err != nil || p.State != domain.LeadQualified || e.Summary != "qualified" {
		t.Fatalf("qualify: %+v %v", e, err)
	}
	if _, err := p.Apply(domain.LeadChange{Op: domain.OpConvert, At: at}); err == nil {
		t.Fatal("converted without an opportunity")
	}
	e, err = p.Apply(domain.LeadChange{Op: domain.OpConvert, OpportunityID: "o-1", OpportunityName: "Cranes", At: at})
	if err != nil || p.State != domain.LeadConverted || p.OpportunityID != "o-1" || p.ClosedAt == nil || e.Kind != "converted" {
		t.Fatalf("convert: %+v %+v %v", e, p, err)
	}
	if _, err := p.Apply(domain.LeadChange{Op: domain.OpDisqualify, Reason: "x", At: at}); !errors.Is(err, domain.ErrLeadClosed) {
		t.Fatalf("disqualify a converted lead: %v", err)
	}
	q := domain.LeadProgress{State: domain.LeadNew}
	if _, err := q.Apply(domain.LeadChange{Op: domain.OpDisqualify, Reason: "student", At: at}); err != nil || q.State != domain.LeadDisqualified || q.CloseReason != "student" {
		t.Fatalf("disqualify: %+v %v", q, err)
	}
}
